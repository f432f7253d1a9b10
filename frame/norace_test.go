//go:build !race

package frame

const raceBuild = false
