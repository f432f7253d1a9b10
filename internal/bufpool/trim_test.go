package bufpool

import (
	"fmt"
	"runtime"
	"runtime/debug"
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
// allocation to trigger a collection; buffers in use stay. 64 KiB is the
// smallest trimmed class: a channel-style session can hold 72 received
// messages (Incoming and its queue), 4.6 MiB at 64 KiB each, which sync.Pool
// kept for minutes after slow readers were dropped (docs/reliability.md).
func TestLargeBuffersReleased(t *testing.T) {
	for _, tc := range []struct {
		size, burst int
	}{
		{4 << 20, 32},    // 128 MiB
		{64 << 10, 2048}, // 128 MiB
	} {
		t.Run(fmt.Sprint(tc.size>>10, "KiB"), func(t *testing.T) {
			const slack = 32 << 20
			runtime.GC()
			runtime.GC() // and sync.Pool's victim cache
			debug.FreeOSMemory()
			before := retained()
			kept := Get(tc.size) // in use throughout: must survive the trims
			bufs := make([]*Buf, tc.burst)
			for i := range bufs {
				bufs[i] = Get(tc.size)
				b := bufs[i].B[:cap(bufs[i].B)]
				for j := 0; j < len(b); j += 4096 {
					b[j] = 1 // touch every page, as a message would
				}
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
			if cap(kept.B) < tc.size {
				t.Fatal("the buffer in use lost its memory")
			}
			Put(kept)
		})
	}
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
