//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/netpoll"
)

// start binds the listeners and starts the loops: one SO_REUSEPORT listener
// per loop for an address, or one shared listener fd taken from ln.
func (s *Server) start(network, addr string, ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	if s.closed.Load() {
		return ErrServerClosed
	}
	n := s.cfg.loops()
	var fds []int
	fail := func(err error) error {
		for _, fd := range fds {
			_ = netpoll.Close(fd)
		}
		return err
	}
	if ln != nil {
		fd, err := listenerFD(ln)
		if err != nil {
			return err
		}
		fds = append(fds, fd)
		s.addr = ln.Addr()
		s.sharedListener = true
	} else if network != "" {
		for i := 0; i < n; i++ {
			fd, bound, err := netpoll.Listen(network, addr, true, 0)
			if err != nil {
				return fail(err)
			}
			if i == 0 {
				// Port 0 picks a port once; the other loops join it.
				s.addr, addr = bound, bound.String()
			}
			fds = append(fds, fd)
		}
	}
	for i := 0; i < n; i++ {
		lfd := -1
		if i < len(fds) {
			lfd = fds[i]
		}
		l, err := newLoop(s, lfd)
		if err != nil {
			for _, l := range s.loops {
				l.shutdown()
			}
			s.loops = nil
			return fail(err)
		}
		s.loops = append(s.loops, l)
	}
	s.started = true
	for _, l := range s.loops {
		s.wg.Add(1)
		go l.run()
	}
	return nil
}

// startLoops starts loops without listeners, for a Dialer.
func (s *Server) startLoops() error { return s.start("", "", nil) }

// reactorListener reports whether ln's connections can be served by the
// event loops.
func reactorListener(ln net.Listener) bool {
	switch ln.(type) {
	case *net.TCPListener, *net.UnixListener:
		return true
	}
	return false
}

// listenerFD duplicates ln's fd, non-blocking, for a loop to accept on; the
// caller's listener stays open and is the caller's to close.
func listenerFD(ln net.Listener) (int, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1, netpoll.ErrNoFD
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = unix.Dup(int(f)) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	unix.CloseOnExec(fd)
	if err := netpoll.SetNonblock(fd, true); err != nil {
		_ = netpoll.Close(fd)
		return -1, err
	}
	return fd, nil
}

func getpeername(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if a := netpoll.SockaddrToAddr(sa); a != nil {
		return addrPort(a), nil
	}
	return netip.AddrPort{}, nil
}
