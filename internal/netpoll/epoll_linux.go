//go:build linux

package netpoll

import (
	"encoding/binary"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Poller is one epoll instance plus an eventfd for [Poller.Wake]. The zero
// value is not usable: create one with [New]. Wait must run on one goroutine
// at a time; every other method is safe from any goroutine. See poller.go
// for the method set shared with the kqueue and unsupported builds.
type Poller struct {
	life    lifecycle
	epfd    int
	wakefd  int
	park    *parker     // blocks Wait in the scheduler; nil: in epoll_wait
	waiting atomic.Bool // a Wait is running: guards events
	woken   atomic.Bool // an eventfd write is pending: coalesces Wake
	events  []unix.EpollEvent
	wakeBuf [8]byte // eventfd counter, read by Wait only
	wakeOne [8]byte // the value 1 for eventfd writes; set by New, then read-only
}

// New creates an epoll instance (close-on-exec) with an eventfd registered
// for wake-ups. The caller must Close it.
func New(cfg Config) (*Poller, error) {
	batch, err := cfg.batch()
	if err != nil {
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	// Level-triggered: a wake that Wait has not yet reset is reported
	// again, so no wake-up can be lost between Wait calls.
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(wakefd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	p := &Poller{
		epfd:   epfd,
		wakefd: wakefd,
		events: make([]unix.EpollEvent, batch),
	}
	p.park = newParker(epfd, p.events)
	binary.NativeEndian.PutUint64(p.wakeOne[:], 1)
	return p, nil
}

// Add registers fd with the given interest (see [Event]); it fails with
// EEXIST if fd is already registered. An interest of 0 registers fd without
// watching it, except for errors and full hang-ups, which epoll always
// reports.
func (p *Poller) Add(fd int, interest Event) error {
	return p.ctl(unix.EPOLL_CTL_ADD, "epoll_ctl add", fd, interest)
}

// Modify replaces the interest of a registered fd; it fails with ENOENT if
// fd is not registered.
func (p *Poller) Modify(fd int, interest Event) error {
	return p.ctl(unix.EPOLL_CTL_MOD, "epoll_ctl mod", fd, interest)
}

// Delete unregisters fd. Call it before closing fd: the kernel drops the
// registration by itself only when the last descriptor of the file closes.
func (p *Poller) Delete(fd int) error {
	return p.ctl(unix.EPOLL_CTL_DEL, "epoll_ctl del", fd, 0)
}

func (p *Poller) ctl(op int, name string, fd int, interest Event) error {
	if fd < 0 {
		return ErrBadFD
	}
	if interest&^interestMask != 0 {
		return ErrBadInterest
	}
	if !p.life.acquire() {
		return ErrClosed
	}
	ev := unix.EpollEvent{Events: epollInterest(interest), Fd: int32(fd)}
	err := unix.EpollCtl(p.epfd, op, fd, &ev)
	rerr := p.release()
	if err != nil {
		return os.NewSyscallError(name, err)
	}
	return rerr
}

// interestMask holds the bits Add and Modify accept.
const interestMask = EventRead | EventWrite | EventHup | EventErr | EventEdge

func epollInterest(interest Event) uint32 {
	var e uint32
	if interest&EventRead != 0 {
		// Hang-up is a read-side condition (read returns EOF), so read
		// interest watches for it; without read interest it is left out,
		// or a level-triggered half-closed fd would be reported forever.
		e |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if interest&EventHup != 0 {
		e |= unix.EPOLLRDHUP
	}
	if interest&EventWrite != 0 {
		e |= unix.EPOLLOUT
	}
	if interest&EventEdge != 0 {
		e |= unix.EPOLLET
	}
	return e
}

func epollReady(e uint32) Event {
	var ev Event
	if e&(unix.EPOLLIN|unix.EPOLLPRI) != 0 {
		ev |= EventRead
	}
	if e&unix.EPOLLOUT != 0 {
		ev |= EventWrite
	}
	if e&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		ev |= EventHup
	}
	if e&unix.EPOLLERR != 0 {
		ev |= EventErr
	}
	return ev
}

// Wait blocks until at least one registered fd is ready, the timeout passes
// (timeout < 0 waits forever, 0 polls), or [Poller.Wake] is called. It then
// calls fn(fd, ev) once per ready fd, on the calling goroutine and without
// allocating, and returns the number of events delivered. A wake-up may
// return with n == 0. A positive timeout is rounded up to whole
// milliseconds. EINTR is retried with the remaining time.
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
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	msec := timeoutMillis(timeout)
	var ready int
	for {
		// Under load events are pending: a non-blocking poll finds them
		// without the runtime's syscall bookkeeping, and only an empty
		// poll pays for the blocking call. A parking Wait leaves that
		// first poll to the park, whose callback polls before it parks.
		var err error
		if msec != 0 && p.park != nil && p.park.usable() {
			ready, err = p.park.wait(msec)
		} else {
			ready, err = epollPoll(p.epfd, p.events)
			if err == nil && ready == 0 && msec != 0 {
				ready, err = unix.EpollWait(p.epfd, p.events, msec)
			}
		}
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		if p.life.closed() {
			return 0, ErrClosed
		}
		if timeout > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return 0, nil
			}
			msec = timeoutMillis(left)
		}
	}
	delivered := 0
	for i := range ready {
		if p.life.closed() {
			return delivered, ErrClosed
		}
		e := &p.events[i]
		fd := int(e.Fd)
		if fd == p.wakefd {
			p.resetWake()
			continue
		}
		fn(fd, epollReady(e.Events))
		delivered++
	}
	if p.life.closed() {
		return delivered, ErrClosed
	}
	return delivered, nil
}

// resetWake re-arms Wake. The counter is read before the flag is cleared,
// as the runtime's own netpollBreak does: while the flag is set no other
// Wake writes, so the read cannot swallow a wake-up whose flag then stays
// set (that order would leave every later Wake, Close included, coalesced
// into nothing). A Wake between the read and the clear sees the flag and
// skips its write, which is fine: this Wait is returning anyway.
func (p *Poller) resetWake() {
	for {
		_, err := unix.Read(p.wakefd, p.wakeBuf[:])
		if err != unix.EINTR {
			break
		}
	}
	p.woken.Store(false)
}

// Wake makes the current Wait, or the next one if none is running, return.
// It is safe from any goroutine and cheap when repeated: calls are coalesced
// until Wait has observed the wake-up, so only the first one writes to the
// eventfd. After Close it returns [ErrClosed].
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

// wake writes to the eventfd unless a write is already pending. The caller
// holds a reference.
func (p *Poller) wake() error {
	if !p.woken.CompareAndSwap(false, true) {
		return nil
	}
	if p.park != nil {
		defer p.park.wake()
	}
	for {
		// p.wakeOne rather than a local array: under -race the x/sys
		// write instrumentation would move a local to the heap.
		_, err := unix.Write(p.wakefd, p.wakeOne[:])
		switch err {
		case nil, unix.EAGAIN:
			// EAGAIN: the counter is saturated, so a wake-up is
			// pending anyway.
			return nil
		case unix.EINTR:
			continue
		}
		p.woken.Store(false)
		return os.NewSyscallError("write eventfd", err)
	}
}

// Close marks the poller closed and wakes a blocked Wait, which then returns
// [ErrClosed]. The epoll fd and the eventfd are closed by whichever goroutine
// drops the last reference to them: by Close itself when no other method is
// running, otherwise by that method (usually Wait) as it returns; see
// "Closing" in the package doc. Close does not wait for Wait to return, so
// it may be called from inside the Wait callback. A second Close returns
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
	werr := unix.Close(p.wakefd)
	eerr := unix.Close(p.epfd)
	if p.park != nil {
		// The duplicate holds the epoll instance open too.
		if perr := p.park.close(); eerr == nil {
			eerr = perr
		}
	}
	if eerr != nil {
		return os.NewSyscallError("close epoll", eerr)
	}
	if werr != nil {
		return os.NewSyscallError("close eventfd", werr)
	}
	return nil
}

// epollPoll is epoll_pwait(2) with a zero timeout, which never blocks, so it
// also skips the syscall bookkeeping.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
