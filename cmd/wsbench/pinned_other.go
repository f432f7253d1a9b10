//go:build !linux

package main

// cpusPinned is 0 where CPU affinity is not read.
func cpusPinned() int { return 0 }
