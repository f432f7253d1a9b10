//go:build linux

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// pinned reports whether this process may run on fewer CPUs than are online,
// as under taskset: the sign of a benchmark that gave the load generator cores
// of its own.
func pinned() bool {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return false
	}
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return false
	}
	online, ok := countCPUList(string(b))
	return ok && set.Count() < online
}
