// Package testalloc holds the allocation gate shared by the burst tests of
// several packages: a measurement over many messages, where the runtime's
// own housekeeping can get in the way of a single run.
package testalloc

import (
	"runtime"
	"testing"
)

// Zero fails the test unless, in one of three attempts, measure allocates
// nothing (runtime.MemStats.Mallocs, the whole process) after warm. Each
// attempt starts from empty sync.Pools (two collections) and runs warm
// again, so a bug that grows the pools past what warm needs fails every
// attempt, while a garbage collection during measure (which empties the
// pools) or a rare scheduling order only spoils one.
func Zero(t testing.TB, what string, warm, measure func()) {
	t.Helper()
	var last uint64
	for range 3 {
		runtime.GC()
		runtime.GC()
		warm()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		measure()
		runtime.ReadMemStats(&after)
		if last = after.Mallocs - before.Mallocs; last == 0 {
			return
		}
	}
	t.Errorf("%s: %d allocations in the last of three attempts, want 0", what, last)
}
