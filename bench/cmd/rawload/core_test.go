//go:build linux

package main

import (
	"math"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestStatTimes(t *testing.T) {
	const stat = "cpu  100 1 50 900 5 0 20 7 0 0\n" +
		"cpu0 40 1 20 400 2 3 10 4 9 0\n" +
		"cpu1 60 0 30 500 3 0 10 3 0 0\n" +
		"cpu10 7 0 0 8 0 0 0 0 0 0\n" +
		"cpu11 1 2\n" +
		"cpu12 1 2 x 4 5 6 7 8\n" +
		"cpu13 1 2 3 4 5 6 7\n" + // no steal column
		"cpu14 1 2 3 4 5 6 7 y\n" +
		"intr 12345 0 0\n"
	bad := cpuTimes{-1, -1}
	for _, tc := range []struct {
		cpu  int
		want cpuTimes
	}{
		{0, cpuTimes{40 + 1 + 20 + 3 + 10, 400 + 2 + 4}}, // guest (9) is in user already
		{1, cpuTimes{60 + 30 + 10, 500 + 3 + 3}},
		{10, cpuTimes{7, 8}}, // not confused with cpu1
		{11, bad},
		{12, bad},
		{13, bad},
		{14, bad},
		{2, bad},
	} {
		if got := statTimes([]byte(stat), tc.cpu); got != tc.want {
			t.Errorf("cpu%d: got %+v, want %+v", tc.cpu, got, tc.want)
		}
	}
}

func TestCoreShares(t *testing.T) {
	bad := cpuTimes{-1, -1}
	for _, tc := range []struct {
		name          string
		a, b          cpuTimes
		window, wall  float64
		busy, notIdle float64
	}{
		// 4 s window read 4.1 s apart: 300 busy ticks, 102 away.
		{"both", cpuTimes{1000, 5000}, cpuTimes{1300, 5102}, 4, 4.1, 0.75, 1 - 1.02/4.1},
		{"never idle", cpuTimes{0, 7}, cpuTimes{200, 7}, 2, 2, 1, 1},
		{"idle throughout", cpuTimes{0, 0}, cpuTimes{1, 400}, 4, 4, 0.0025, 0},
		{"no busy tick", cpuTimes{10, 0}, cpuTimes{10, 50}, 1, 1, 0, 0},
		{"unread start", bad, cpuTimes{10, 0}, 1, 1, 0, 0},
		{"unread end", cpuTimes{10, 0}, bad, 1, 1, 0, 0},
		{"no wall time", cpuTimes{0, 0}, cpuTimes{100, 0}, 1, 0, 1, 0},
		{"away went back", cpuTimes{0, 50}, cpuTimes{100, 0}, 1, 1, 1, 0},
	} {
		busy, notIdle := coreShares(tc.a, tc.b, tc.window, tc.wall)
		if math.Abs(busy-tc.busy) > 1e-12 || math.Abs(notIdle-tc.notIdle) > 1e-12 {
			t.Errorf("%s: got %.6f busy, %.6f not idle; want %.6f, %.6f", tc.name, busy, notIdle, tc.busy, tc.notIdle)
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
	// Nor is the spinning CPU ever idle: the exact count says about one
	// too (1 at most, as a fraction of the wall time between the reads).
	if res.CoreNotIdle < 0.8 || res.CoreNotIdle > 1 {
		t.Fatalf("core not idle %.3f, want about 1", res.CoreNotIdle)
	}
	if want := res.MsgsPerSec / res.CoreNotIdle; res.PerCoreNotIdleSec != want {
		t.Fatalf("per not-idle core-second %.0f, want %.0f", res.PerCoreNotIdleSec, want)
	}
	// The shell is the server here: its own CPU is about a core on an
	// idle machine. On a busy one it shares its CPU with whatever else is
	// runnable there (0.28 beside two busy loops and this test's own
	// threads), so the check is only that the figure was read.
	if res.ServerCPU < 0.1 {
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
	if res.ServerCoreID != nil || res.CoreBusy != 0 || res.PerCoreBusySec != 0 || res.CoreNotIdle != 0 || res.PerCoreNotIdleSec != 0 {
		t.Fatalf("unpinned server got core figures: %v %.2f %.0f %.2f %.0f", res.ServerCoreID, res.CoreBusy, res.PerCoreBusySec, res.CoreNotIdle, res.PerCoreNotIdleSec)
	}
}
