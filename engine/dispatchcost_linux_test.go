package engine_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestDispatchCost logs what each dispatch mode costs: Go memory per idle
// session (2,000 sessions, clients as bare fds) and the p50/p99 latency of
// 10,000 sequential 128-byte echoes. It asserts only that the modes work;
// the figures are for docs/engine.md and are noisy on a shared machine.
func TestDispatchCost(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement; skipped in -short mode")
	}
	rounds, idle := 10000, 2000
	if raceEnabled {
		rounds = 1000 // the race detector makes each round trip ~10x slower
	}
	var rows []string
	for _, mode := range dispatchModes {
		st := measureIdle(t, mode, idle, false)
		c := echoPair(t, mode)
		p := make([]byte, 128)
		for i := 0; i < 200; i++ {
			roundTrip(t, c, p)
		}
		lat := make([]time.Duration, rounds)
		for i := range lat {
			start := time.Now()
			roundTrip(t, c, p)
			lat[i] = time.Since(start)
		}
		slices.Sort(lat)
		rows = append(rows, fmt.Sprintf("%-7s | %5.0f B (heap %4.0f + stack %4.0f) | %+6d goroutines | p50 %6.1f µs | p99 %6.1f µs",
			mode, st.perSession, st.heap, st.stack, st.goroutines,
			float64(lat[len(lat)/2])/1e3, float64(lat[len(lat)*99/100])/1e3))
	}
	t.Logf("GOMAXPROCS=%d %s, %d idle sessions, %d round trips, race=%v", runtime.GOMAXPROCS(0), runtime.Version(), idle, rounds, raceEnabled)
	for _, r := range rows {
		t.Log(r)
	}
}
