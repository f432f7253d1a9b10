//go:build !linux

package main

// pinned is false where CPU affinity is not read.
func pinned() bool { return false }
