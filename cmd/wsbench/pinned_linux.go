//go:build linux

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// cpusPinned returns the number of CPUs this process may run on when that is
// fewer than are online, as under taskset (the sign of a benchmark that gave
// the load generator cores of its own), else 0.
func cpusPinned() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return 0
	}
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	if online, ok := countCPUList(string(b)); !ok || set.Count() >= online {
		return 0
	}
	return set.Count()
}
