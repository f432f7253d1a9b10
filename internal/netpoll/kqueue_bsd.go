//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll

import (
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Poller is one kqueue plus a wake-up source (EVFILT_USER where the kernel
// has it, a pipe on NetBSD and OpenBSD). The zero value is not usable:
// create one with [New]. Wait must run on one goroutine at a time; every
// other method is safe from any goroutine. See poller.go for the method set
// shared with the epoll and unsupported builds.
type Poller struct {
	life    lifecycle
	kq      int
	waker   waker
	waiting atomic.Bool // a Wait is running: guards events and ts
	woken   atomic.Bool // a trigger is pending: coalesces Wake
	events  []unix.Kevent_t
	ts      unix.Timespec
}

// New creates a kqueue (close-on-exec) with its wake-up source registered.
// The caller must Close it.
func New(cfg Config) (*Poller, error) {
	batch, err := cfg.batch()
	if err != nil {
		return nil, err
	}
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	p := &Poller{kq: kq, events: make([]unix.Kevent_t, batch)}
	if err := p.waker.init(kq); err != nil {
		unix.Close(kq)
		return nil, err
	}
	return p, nil
}

// Add registers fd with the given interest (see [Event]). Both the read and
// the write filter are registered, the ones not in interest disabled, so
// Modify only toggles them. Unlike epoll, adding an fd twice is not an error.
// kqueue reports hang-up through the read filter only, so [EventHup] without
// [EventRead] is not watched.
func (p *Poller) Add(fd int, interest Event) error {
	return p.ctl("kevent add", fd, interest, false)
}

// Modify replaces the interest of a registered fd.
func (p *Poller) Modify(fd int, interest Event) error {
	return p.ctl("kevent mod", fd, interest, false)
}

// Delete unregisters fd. Call it before closing fd: the kernel drops the
// registration by itself when the fd is closed.
func (p *Poller) Delete(fd int) error {
	return p.ctl("kevent del", fd, 0, true)
}

// interestMask holds the bits Add and Modify accept.
const interestMask = EventRead | EventWrite | EventHup | EventErr | EventEdge

func (p *Poller) ctl(name string, fd int, interest Event, del bool) error {
	if fd < 0 {
		return ErrBadFD
	}
	if interest&^interestMask != 0 {
		return ErrBadInterest
	}
	var changes [2]unix.Kevent_t
	if del {
		unix.SetKevent(&changes[0], fd, unix.EVFILT_READ, unix.EV_DELETE)
		unix.SetKevent(&changes[1], fd, unix.EVFILT_WRITE, unix.EV_DELETE)
	} else {
		base := unix.EV_ADD
		if interest&EventEdge != 0 {
			base |= unix.EV_CLEAR
		}
		unix.SetKevent(&changes[0], fd, unix.EVFILT_READ, base|enable(interest&EventRead != 0))
		unix.SetKevent(&changes[1], fd, unix.EVFILT_WRITE, base|enable(interest&EventWrite != 0))
	}
	if !p.life.acquire() {
		return ErrClosed
	}
	err := p.kevent(changes[:], nil)
	rerr := p.release()
	if err != nil {
		return os.NewSyscallError(name, err)
	}
	return rerr
}

func enable(on bool) int {
	if on {
		return unix.EV_ENABLE
	}
	return unix.EV_DISABLE
}

// kevent applies changes, retrying EINTR (the changes are not applied when
// kevent is interrupted before processing them, and re-applying EV_ADD,
// EV_ENABLE or EV_DISABLE is idempotent).
func (p *Poller) kevent(changes, events []unix.Kevent_t) error {
	for {
		_, err := unix.Kevent(p.kq, changes, events, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

func kqueueReady(e *unix.Kevent_t) Event {
	var ev Event
	switch e.Filter {
	case unix.EVFILT_READ:
		ev = EventRead
	case unix.EVFILT_WRITE:
		ev = EventWrite
	}
	if e.Flags&unix.EV_EOF != 0 {
		ev |= EventHup
		if e.Fflags != 0 {
			// Fflags carries the socket error on EOF.
			ev |= EventErr
		}
	}
	if e.Flags&unix.EV_ERROR != 0 {
		ev |= EventErr
	}
	return ev
}

// Wait blocks until at least one registered fd is ready, the timeout passes
// (timeout < 0 waits forever, 0 polls), or [Poller.Wake] is called. It then
// calls fn(fd, ev) for the ready fds, on the calling goroutine and without
// allocating, and returns the number of calls made. Read and write readiness
// of one fd are separate kqueue events; they are merged when adjacent, so an
// fd may be delivered twice per Wait. A wake-up may return with n == 0.
// EINTR is retried with the remaining time.
//
// Wait returns [ErrClosed] once the poller is closed, also when Close is
// called while it blocks or from inside fn; events not yet delivered are then
// dropped. fn may call any other method of p.
func (p *Poller) Wait(timeout time.Duration, fn func(fd int, ev Event)) (int, error) {
	if !p.life.acquire() {
		return 0, ErrClosed
	}
	if !p.waiting.CompareAndSwap(false, true) {
		_ = p.release()
		return 0, ErrConcurrentWait
	}
	n, err := p.wait(timeout, fn)
	p.waiting.Store(false)
	// A close error surfacing here would only replace the ErrClosed the
	// caller needs to see to stop its loop.
	_ = p.release()
	return n, err
}

func (p *Poller) wait(timeout time.Duration, fn func(fd int, ev Event)) (int, error) {
	var deadline time.Time
	ts := &p.ts
	switch {
	case timeout < 0:
		ts = nil
	case timeout > 0:
		deadline = time.Now().Add(timeout)
	}
	if ts != nil {
		*ts = unix.NsecToTimespec(int64(timeout))
	}
	var ready int
	for {
		var err error
		ready, err = unix.Kevent(p.kq, nil, p.events, ts)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("kevent", err)
		}
		if p.life.closed() {
			return 0, ErrClosed
		}
		if timeout > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return 0, nil
			}
			*ts = unix.NsecToTimespec(int64(left))
		}
	}
	delivered := 0
	for i := 0; i < ready; i++ {
		if p.life.closed() {
			return delivered, ErrClosed
		}
		e := &p.events[i]
		if p.waker.isWake(e) {
			// Reset before clearing the flag; see the Linux
			// resetWake for why the order matters.
			p.waker.reset()
			p.woken.Store(false)
			continue
		}
		fd := int(e.Ident)
		ev := kqueueReady(e)
		for i+1 < ready && int(p.events[i+1].Ident) == fd && !p.waker.isWake(&p.events[i+1]) {
			i++
			ev |= kqueueReady(&p.events[i])
		}
		fn(fd, ev)
		delivered++
	}
	if p.life.closed() {
		return delivered, ErrClosed
	}
	return delivered, nil
}

// Wake makes the current Wait, or the next one if none is running, return.
// It is safe from any goroutine and cheap when repeated: calls are coalesced
// until Wait has observed the wake-up, so only the first one enters the
// kernel. After Close it returns [ErrClosed].
func (p *Poller) Wake() error {
	if p.woken.Load() && !p.life.closed() {
		return nil
	}
	if !p.life.acquire() {
		return ErrClosed
	}
	err := p.wake()
	if rerr := p.release(); err == nil {
		err = rerr
	}
	return err
}

// wake triggers the waker unless a trigger is pending. The caller holds a
// reference.
func (p *Poller) wake() error {
	if !p.woken.CompareAndSwap(false, true) {
		return nil
	}
	if err := p.waker.trigger(p); err != nil {
		p.woken.Store(false)
		return err
	}
	return nil
}

// Close marks the poller closed and wakes a blocked Wait, which then returns
// [ErrClosed]. The kqueue and the wake-up fds are closed by whichever
// goroutine drops the last reference to them: by Close itself when no other
// method is running, otherwise by that method (usually Wait) as it returns;
// see "Closing" in the package doc. Close does not wait for Wait to return,
// so it may be called from inside the Wait callback. A second Close returns
// ErrClosed. Registered fds are left open.
func (p *Poller) Close() error {
	if !p.life.acquire() {
		return ErrClosed
	}
	if !p.life.markClosed() {
		_ = p.release()
		return ErrClosed
	}
	err := p.wake()
	if rerr := p.release(); err == nil {
		err = rerr
	}
	return err
}

// release drops a reference and, if it was the last one after Close, closes
// the kernel fds.
func (p *Poller) release() error {
	if !p.life.release() {
		return nil
	}
	werr := p.waker.close()
	if err := unix.Close(p.kq); err != nil {
		return os.NewSyscallError("close kqueue", err)
	}
	return werr
}
