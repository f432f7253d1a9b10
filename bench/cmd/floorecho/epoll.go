//go:build linux

package main

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// econn is a connection of the epoll loop.
type econn struct {
	conn
	unsent []byte // what a write left over; EPOLLOUT is watched while it is
}

// serveEpoll runs the level-triggered epoll loop: per readable connection
// one read(2) into a shared buffer and one write(2) of all the answers, or
// with sock recvfrom(2) and sendto(2), which skip the VFS layer's checks
// and notifications (surge's engine uses those two).
func serveEpoll(lfd, bufSize int, sock bool, ready chan<- struct{}) error {
	read, write := rawRead, rawWrite
	if sock {
		read, write = rawRecv, rawSend
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(lfd)}); err != nil {
		return err
	}
	close(ready)
	var conns []*econn // by fd
	events := make([]unix.EpollEvent, 256)
	rbuf := make([]byte, bufSize)
	var out []byte
	drop := func(c *econn) {
		_ = unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, c.fd, nil)
		unix.Close(c.fd)
		conns[c.fd] = nil
	}
	for {
		n, err := unix.EpollWait(ep, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(lfd) {
				for {
					fd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
					if err != nil {
						break // EAGAIN, or a connection that died in the queue
					}
					_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
					if unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}) != nil {
						unix.Close(fd)
						continue
					}
					for fd >= len(conns) {
						conns = append(conns, nil)
					}
					conns[fd] = &econn{conn: conn{fd: fd}}
				}
				continue
			}
			if int(ev.Fd) >= len(conns) {
				continue
			}
			c := conns[ev.Fd]
			if c == nil {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && len(c.unsent) > 0 {
				if !c.flush(ep, write) {
					drop(c)
					continue
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 || c.closing {
				continue
			}
			r, errno := read(c.fd, rbuf)
			if errno == unix.EAGAIN {
				continue
			}
			if errno != 0 || r == 0 {
				drop(c)
				continue
			}
			out, err = c.serve(rbuf[:r], out[:0])
			if err != nil {
				drop(c)
				continue
			}
			if len(out) > 0 {
				if len(c.unsent) > 0 { // still waiting for room: queue behind it
					c.unsent = append(c.unsent, out...)
					continue
				}
				w, errno := write(c.fd, out)
				if errno != 0 && errno != unix.EAGAIN {
					drop(c)
					continue
				}
				if w < len(out) {
					c.unsent = append(c.unsent[:0], out[max(w, 0):]...)
					_ = unix.EpollCtl(ep, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT, Fd: int32(c.fd)})
					continue
				}
			}
			if c.closing {
				drop(c)
			}
		}
	}
}

// flush writes what was left over; false means the connection is gone.
func (c *econn) flush(ep int, write func(int, []byte) (int, unix.Errno)) bool {
	w, errno := write(c.fd, c.unsent)
	if errno != 0 && errno != unix.EAGAIN {
		return false
	}
	c.unsent = c.unsent[:copy(c.unsent, c.unsent[max(w, 0):])]
	if len(c.unsent) > 0 {
		return true
	}
	if c.closing {
		return false
	}
	return unix.EpollCtl(ep, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}) == nil
}

// rawRead and rawWrite are read(2) and write(2) without the runtime's
// system-call bookkeeping: the sockets are non-blocking.
func rawRead(fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(r), e
}

func rawWrite(fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(r), e
}

// rawRecv and rawSend are recvfrom(2) and sendto(2) with no address, the
// socket calls that read(2) and write(2) reach through the VFS.
func rawRecv(fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), 0, 0, 0)
	return int(r), e
}

func rawSend(fd int, p []byte) (int, unix.Errno) {
	r, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	return int(r), e
}
