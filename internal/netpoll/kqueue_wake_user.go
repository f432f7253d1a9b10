//go:build darwin || dragonfly || freebsd

package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// wakeIdent is the EVFILT_USER identifier; it lives in the user filter's own
// namespace, so it cannot collide with fd 0.
const wakeIdent = 0

// waker wakes kevent through an EVFILT_USER event, which costs no fd. The
// event is EV_CLEAR, so one trigger is reported once and repeated triggers
// before the next kevent coalesce in the kernel.
type waker struct{}

func (w *waker) init(kq int) error {
	var ch [1]unix.Kevent_t
	unix.SetKevent(&ch[0], wakeIdent, unix.EVFILT_USER, unix.EV_ADD|unix.EV_CLEAR)
	for {
		_, err := unix.Kevent(kq, ch[:], nil, nil)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("kevent user", err)
	}
}

func (w *waker) isWake(e *unix.Kevent_t) bool {
	return e.Filter == unix.EVFILT_USER && e.Ident == wakeIdent
}

// reset is a no-op: EV_CLEAR resets the event when it is reported.
func (w *waker) reset() {}

func (w *waker) trigger(p *Poller) error {
	var ch [1]unix.Kevent_t
	unix.SetKevent(&ch[0], wakeIdent, unix.EVFILT_USER, 0)
	ch[0].Fflags = unix.NOTE_TRIGGER
	if err := p.kevent(ch[:], nil); err != nil {
		return os.NewSyscallError("kevent trigger", err)
	}
	return nil
}

func (w *waker) close() error { return nil }
