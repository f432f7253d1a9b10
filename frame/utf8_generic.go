//go:build !amd64 || purego

package frame

// simdUTF8 is nil here: the scalar validator does all the work.
var simdUTF8 func([]byte) bool
