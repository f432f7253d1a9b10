package bufpool

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Large buffers are not kept in sync.Pool. A sync.Pool gives its buffers
// back only after two garbage collections, and a process that went idle
// after a burst of large messages allocates nothing, so no collection runs:
// the burst's buffers, and the RSS under them, stayed for minutes. Large
// classes keep their free buffers in lists instead, and a timer releases
// what the working set did not touch for a whole trim period, then returns
// the memory to the OS, so that RSS comes back within a few seconds of the
// load leaving.

const (
	// largeShift is the smallest class kept in a trimmed list (64 KiB):
	// below it buffers are cheap and many, and sync.Pool's per-P caches pay.
	// At 64 KiB a list's lock is nothing next to filling the buffer, and
	// received messages of that size are what channel-style sessions hold
	// by the dozen (72 each at the default Incoming buffer and queue).
	largeShift = 16
	largeFrom  = largeShift - minShift // index of the first large class

	// trimPeriod is how long a free large buffer may go unused before it
	// is released.
	trimPeriod = time.Second
	// freeOSAfter is how much a trim must release to return memory to the
	// OS at once (a forced collection, so not for small amounts).
	freeOSAfter = 16 << 20
)

// largeList is the free list of one large class.
type largeList struct {
	mu   sync.Mutex
	free []*Buf
	// low is the fewest buffers the list held since the last trim: that
	// many were not needed by anyone during the whole period.
	low int
}

var (
	large     [classes - largeFrom]largeList
	trimArmed atomic.Bool
	trimMu    sync.Mutex
	trimTimer *time.Timer // made once, reset while any list holds a buffer
)

func getLarge(c int) *Buf {
	l := &large[c-largeFrom]
	l.mu.Lock()
	n := len(l.free)
	if n == 0 {
		l.mu.Unlock()
		return &Buf{B: make([]byte, 0, 1<<(c+minShift))}
	}
	b := l.free[n-1]
	l.free[n-1] = nil
	l.free = l.free[:n-1]
	l.low = min(l.low, n-1)
	l.mu.Unlock()
	return b
}

func putLarge(b *Buf, c int) {
	l := &large[c-largeFrom]
	l.mu.Lock()
	l.free = append(l.free, b)
	l.mu.Unlock()
	armTrim()
}

// armTrim makes sure a trim will run, without allocating once the timer
// exists.
func armTrim() {
	if trimArmed.Load() || !trimArmed.CompareAndSwap(false, true) {
		return
	}
	trimMu.Lock()
	if trimTimer == nil {
		trimTimer = time.AfterFunc(trimPeriod, trim)
	} else {
		trimTimer.Reset(trimPeriod)
	}
	trimMu.Unlock()
}

// trim releases the buffers of each large list that went unused for the
// whole period, returns the memory to the OS when that was much, and runs
// again while any list holds buffers.
func trim() {
	trimArmed.Store(false) // a Put from now on arms the next trim
	released, left := 0, 0
	for i := range large {
		l := &large[i]
		l.mu.Lock()
		drop := min(l.low, len(l.free))
		for j := 0; j < drop; j++ {
			released += cap(l.free[j].B)
			l.free[j] = nil
		}
		l.free = append(l.free[:0], l.free[drop:]...)
		clear(l.free[len(l.free):cap(l.free)])
		l.low = len(l.free)
		left += len(l.free)
		l.mu.Unlock()
	}
	if released >= freeOSAfter {
		debug.FreeOSMemory()
	}
	if left > 0 {
		armTrim()
	}
}
