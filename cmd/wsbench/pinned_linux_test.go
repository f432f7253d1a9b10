package main

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCPUsPinned: a thread allowed on one CPU of several reads as pinned to
// one, and on all of them as not pinned (the test's own affinity is checked
// first, whatever it is).
func TestCPUsPinned(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Skip(err)
	}
	defer unix.SchedSetaffinity(0, &all)
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Skip(err)
	}
	online, _ := countCPUList(string(b))
	want := all.Count()
	if want >= online {
		want = 0
	}
	if got := cpusPinned(); got != want {
		t.Fatalf("allowed on %d of %d CPUs: cpusPinned() = %d, want %d", all.Count(), online, got, want)
	}
	if all.Count() < 2 {
		t.Skip("one CPU: nothing to pin to")
	}
	var one unix.CPUSet
	for c := 0; c < 1024; c++ {
		if all.IsSet(c) {
			one.Set(c)
			break
		}
	}
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Skip(err)
	}
	if got := cpusPinned(); got != 1 {
		t.Fatalf("allowed on one CPU: cpusPinned() = %d, want 1", got)
	}
}
