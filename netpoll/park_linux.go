package netpoll

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

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
	deadline bool // a read deadline is set on f
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
	return k
}

// wait parks until an event is pending or msec milliseconds pass (msec < 0:
// no limit) and then fetches the events without blocking.
func (k *parker) wait(msec int) (int, error) {
	if msec > 0 {
		_ = k.f.SetReadDeadline(time.Now().Add(time.Duration(msec) * time.Millisecond))
		k.deadline = true
	} else if k.deadline {
		_ = k.f.SetReadDeadline(time.Time{})
		k.deadline = false
	}
	k.n, k.err = 0, nil
	if err := k.rc.Read(k.poll); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
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

func (k *parker) close() error { return k.f.Close() }
