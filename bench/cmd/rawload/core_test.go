//go:build linux

package main

import (
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestStatBusy(t *testing.T) {
	const stat = "cpu  100 1 50 900 5 0 20 7 0 0\n" +
		"cpu0 40 1 20 400 2 3 10 4 9 0\n" +
		"cpu1 60 0 30 500 3 0 10 3 0 0\n" +
		"cpu10 7 0 0 0 0 0 0 0 0 0\n" +
		"cpu11 1 2\n" +
		"cpu12 1 2 x 4 5 6 7\n" +
		"intr 12345 0 0\n"
	for _, tc := range []struct {
		cpu  int
		want int64
	}{
		{0, 40 + 1 + 20 + 3 + 10}, // steal (4) and guest (9) are not added
		{1, 60 + 30 + 10},
		{10, 7}, // not confused with cpu1
		{11, -1},
		{12, -1},
		{2, -1},
	} {
		if got := statBusy([]byte(stat), tc.cpu); got != tc.want {
			t.Errorf("cpu%d: got %d, want %d", tc.cpu, got, tc.want)
		}
	}
}

// busyChild starts a shell that spins, pinned to one CPU, and returns its
// pid and that CPU.
func busyChild(t *testing.T) (int, int) {
	t.Helper()
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Skipf("no shell: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	cpu := runtime.NumCPU() - 1
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(cmd.Process.Pid, &set); err != nil {
		t.Skipf("cannot pin: %v", err)
	}
	return cmd.Process.Pid, cpu
}

func TestPinnedCore(t *testing.T) {
	pid, cpu := busyChild(t)
	if got := pinnedCore(pid); got != cpu {
		t.Fatalf("pinned to %d, read %d", cpu, got)
	}
	if runtime.NumCPU() > 1 {
		cmd := exec.Command("sleep", "5")
		if err := cmd.Start(); err != nil {
			t.Skip(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		var set unix.CPUSet
		set.Set(0)
		set.Set(1)
		if err := unix.SchedSetaffinity(cmd.Process.Pid, &set); err != nil {
			t.Skip(err)
		}
		if got := pinnedCore(cmd.Process.Pid); got != -1 {
			t.Fatalf("two CPUs allowed, read %d", got)
		}
	}
}

// TestCoreBusyMeasured: with -server-pid naming a process pinned to one
// CPU that it keeps busy, the result has that CPU, a busy fraction near
// one, and msg per busy core-second consistent with it.
func TestCoreBusyMeasured(t *testing.T) {
	pid, cpu := busyChild(t)
	o := options{url: echoServer(t, false), conns: 2, size: 64, depth: 1,
		warmup: 50 * time.Millisecond, duration: 500 * time.Millisecond, serverPID: pid}
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerCoreID == nil || *res.ServerCoreID != cpu {
		t.Fatalf("server core %v, want %d", res.ServerCoreID, cpu)
	}
	// The spinning shell keeps its CPU busy whatever else runs there (all
	// of it counts); ticks are 10 ms, and a hypervisor's steal is not busy.
	if res.CoreBusy < 0.8 || res.CoreBusy > 1.1 {
		t.Fatalf("core busy %.2f, want about 1", res.CoreBusy)
	}
	if want := res.MsgsPerSec / res.CoreBusy; res.PerCoreBusySec != want {
		t.Fatalf("per busy core-second %.0f, want %.0f", res.PerCoreBusySec, want)
	}
	// The shell is the server here: its own CPU is about a core too.
	if res.ServerCPU < 0.3 {
		t.Fatalf("server CPU %.2f", res.ServerCPU)
	}
}

// TestCoreBusyNeedsOneCore: a server free to run anywhere has no core
// figures.
func TestCoreBusyNeedsOneCore(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: every process is pinned")
	}
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var all unix.CPUSet
	for i := range runtime.NumCPU() {
		all.Set(i)
	}
	_ = unix.SchedSetaffinity(cmd.Process.Pid, &all)
	o := options{url: echoServer(t, false), conns: 2, size: 64, depth: 1,
		warmup: 50 * time.Millisecond, duration: 200 * time.Millisecond, serverPID: cmd.Process.Pid}
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerCoreID != nil || res.CoreBusy != 0 || res.PerCoreBusySec != 0 {
		t.Fatalf("unpinned server got core figures: %v %.2f %.0f", res.ServerCoreID, res.CoreBusy, res.PerCoreBusySec)
	}
}
