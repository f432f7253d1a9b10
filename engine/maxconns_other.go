//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package engine

// fdLimit returns 0: there is no open-files limit to derive MaxConns from.
func fdLimit() int { return 0 }
