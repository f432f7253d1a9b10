//go:build netbsd || openbsd

package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// waker wakes kevent through a non-blocking pipe, because x/sys/unix offers
// no EVFILT_USER on NetBSD and OpenBSD. Wake writes one byte; the read end is
// registered level-triggered, so a byte Wait has not drained yet is reported
// again and no wake-up is lost.
type waker struct {
	r, w int
	buf  [64]byte // drain buffer, used by Wait only
	one  [1]byte  // the byte Wake writes; set by init, then read-only
}

func (w *waker) init(kq int) error {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	w.r, w.w = fds[0], fds[1]
	w.one[0] = 1
	var ch [1]unix.Kevent_t
	unix.SetKevent(&ch[0], w.r, unix.EVFILT_READ, unix.EV_ADD)
	for {
		_, err := unix.Kevent(kq, ch[:], nil, nil)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		}
		unix.Close(w.r)
		unix.Close(w.w)
		return os.NewSyscallError("kevent pipe", err)
	}
}

func (w *waker) isWake(e *unix.Kevent_t) bool {
	return e.Filter == unix.EVFILT_READ && int(e.Ident) == w.r
}

func (w *waker) reset() {
	for {
		n, err := unix.Read(w.r, w.buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n < len(w.buf) {
			return
		}
	}
}

func (w *waker) trigger(*Poller) error {
	for {
		_, err := unix.Write(w.w, w.one[:])
		switch err {
		case nil, unix.EAGAIN:
			// EAGAIN: the pipe is full, so a wake-up is pending anyway.
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("write wake pipe", err)
	}
}

func (w *waker) close() error {
	rerr := unix.Close(w.r)
	werr := unix.Close(w.w)
	if rerr != nil {
		return os.NewSyscallError("close wake pipe", rerr)
	}
	if werr != nil {
		return os.NewSyscallError("close wake pipe", werr)
	}
	return nil
}
