package bufpool

import (
	"runtime"
	"testing"
	"time"
)

// retained is the heap memory the process holds from the OS.
func retained() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapSys - ms.HeapReleased
}

// TestLargeBuffersReleased: after a burst of large buffers is given back,
// the memory returns to the OS within a few trim periods, with no
// allocation to trigger a collection; buffers in use stay.
func TestLargeBuffersReleased(t *testing.T) {
	const (
		size  = 4 << 20
		burst = 32 // 128 MiB
		slack = 32 << 20
	)
	runtime.GC()
	before := retained()
	kept := Get(size) // in use throughout: must survive the trims
	bufs := make([]*Buf, burst)
	for i := range bufs {
		bufs[i] = Get(size)
		bufs[i].B = append(bufs[i].B, make([]byte, size)...)
	}
	peak := retained()
	for _, b := range bufs {
		Put(b)
	}
	start := time.Now()
	deadline := start.Add(10 * trimPeriod)
	for retained() > before+slack {
		if time.Now().After(deadline) {
			t.Fatalf("retained heap %d MiB %v after the burst ended (before it %d MiB, peak %d MiB)",
				retained()>>20, time.Since(start).Round(time.Millisecond), before>>20, peak>>20)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("retained heap: %d MiB before, %d MiB at the peak, %d MiB %v after the burst",
		before>>20, peak>>20, retained()>>20, time.Since(start).Round(time.Millisecond))
	if cap(kept.B) < size {
		t.Fatal("the buffer in use lost its memory")
	}
	Put(kept)
}

// TestLargeBuffersReused: a working set of large buffers that keeps being
// used is not trimmed: Get after Put returns the same buffer.
func TestLargeBuffersReused(t *testing.T) {
	b := Get(1 << 20)
	Put(b)
	deadline := time.Now().Add(5 * trimPeriod / 2)
	for time.Now().Before(deadline) {
		g := Get(1 << 20)
		if g != b {
			t.Fatal("a large buffer in steady use was released")
		}
		Put(g)
		time.Sleep(trimPeriod / 10)
	}
}
