package netpoll

import (
	"errors"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// livePollers counts the open Pollers that can park. Parking is only safe
// while they do not outnumber the Ps: the runtime checks its poller only
// when a P runs out of work (or every 10 ms, from sysmon), and a busy loop
// yielding after every batch never runs out. With more loops than Ps, a
// parked loop waited ~8 ms behind a busy one; blocked in epoll_wait, its
// thread wakes at once and queues it for the next yield (~50 µs).
var livePollers atomic.Int64

// expired is a deadline in the past: setting it readies a parked Wait at
// once, without waiting for the runtime to poll.
var expired = time.Unix(1, 0)

// parker makes a blocking Wait park its goroutine in the Go scheduler instead
// of blocking its thread in epoll_wait(2). A duplicate of the epoll fd is
// registered with the runtime's own poller (an epoll fd is readable while it
// has events to report) and Wait parks on it through syscall.RawConn.
//
// Why: a thread blocked in a system call keeps its P until sysmon takes it
// back, and sysmon, idle because the hot path's non-blocking calls skip the
// scheduler, looks only every 10 ms. With GOMAXPROCS=1 every timer and
// goroutine of the process then waited up to 10 ms behind an idle loop; a
// load generator's paced senders reported 5 ms medians that were its own.
// Parked, an idle loop holds neither a thread nor a P.
//
// Readiness is not lost between the last poll and the park: RawRead resets
// the runtime's readiness before calling poll, and every event the epoll
// instance queues after that wakes the runtime's (edge-triggered) watch of
// the duplicate.
type parker struct {
	f        *os.File
	fd       int // f's descriptor: f.Fd would make it blocking again
	rc       syscall.RawConn
	poll     func(fd uintptr) bool // p.pollOnce, bound once so parking does not allocate
	events   []unix.EpollEvent
	n        int
	err      error
	deadline bool  // a read deadline is set on f
	procs    int64 // GOMAXPROCS as last read, at procsAt (Unix ns)
	procsAt  int64
	parked   atomic.Bool // a Wait is inside rc.Read
	expired  atomic.Bool // wake set the expired deadline
}

// newParker returns nil when the runtime cannot watch the epoll fd; Wait
// then blocks in epoll_wait as before.
func newParker(epfd int, events []unix.EpollEvent) *parker {
	dup, err := unix.FcntlInt(uintptr(epfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	// Non-blocking is what makes os.NewFile hand the fd to the runtime's
	// poller; epoll_wait itself ignores the flag.
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil
	}
	f := os.NewFile(uintptr(dup), "epoll")
	// Only a file in the runtime's poller supports deadlines: this tells
	// whether the registration took.
	if f.SetReadDeadline(time.Time{}) != nil {
		f.Close()
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	k := &parker{f: f, fd: dup, rc: rc, events: events}
	k.poll = k.pollOnce
	livePollers.Add(1)
	return k
}

// usable reports whether a Wait may park now rather than block in
// epoll_wait (see livePollers). GOMAXPROCS is read at most every 100 ms:
// runtime.GOMAXPROCS takes the scheduler's global lock, which many loops
// parking thousands of times a second would contend for.
func (k *parker) usable() bool {
	if now := time.Now().UnixNano(); now-k.procsAt > int64(100*time.Millisecond) {
		k.procs, k.procsAt = int64(runtime.GOMAXPROCS(0)), now
	}
	return livePollers.Load() <= k.procs
}

// wake readies a parked Wait directly. Wake's eventfd write alone would
// wait for the runtime to poll, which a busy process does only every 10 ms.
// The eventfd stays the source of truth: a Wait that returns on the expired
// deadline finds it on its next poll, and one that parks afterwards sets its
// own deadline first. A late expiry (the Wait returned between the check
// and the set) costs one spurious return of the next Wait.
func (k *parker) wake() {
	if k.parked.Load() {
		_ = k.f.SetReadDeadline(expired)
		k.expired.Store(true)
	}
}

// wait parks until an event is pending or msec milliseconds pass (msec < 0:
// no limit) and then fetches the events without blocking.
func (k *parker) wait(msec int) (int, error) {
	if k.expired.Swap(false) {
		k.deadline = true // set by wake, perhaps after readiness woke us
	}
	if msec > 0 {
		_ = k.f.SetReadDeadline(time.Now().Add(time.Duration(msec) * time.Millisecond))
		k.deadline = true
	} else if k.deadline {
		_ = k.f.SetReadDeadline(time.Time{})
		k.deadline = false
	}
	k.n, k.err = 0, nil
	k.parked.Store(true)
	err := k.rc.Read(k.poll)
	k.parked.Store(false)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Ours or one set by wake: either way the deadline is now
			// in the past and must be cleared before an unlimited park.
			k.deadline = true
			return 0, nil
		}
		return 0, err
	}
	return k.n, k.err
}

// pollOnce is the RawConn callback: a non-blocking epoll_wait; false parks.
func (k *parker) pollOnce(fd uintptr) bool {
	for {
		n, err := epollPoll(int(fd), k.events)
		if err == unix.EINTR {
			continue
		}
		k.n, k.err = n, err
		return n > 0 || err != nil
	}
}

func (k *parker) close() error {
	livePollers.Add(-1)
	return k.f.Close()
}
