//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/netpoll"
)

// reactor is a set of event loops, the engine's I/O for a Server or a
// Dialer: the loops, the spreading of connections over them and the
// posting of tasks to them. A Server's reactor accepts and upgrades; a
// Dialer's only runs the connections it dials.
type reactor struct {
	cfg      ReactorConfig
	srv      *Server // the server whose connections the loops upgrade; nil for a Dialer
	loops    []*loop
	next     atomic.Uint32 // round robin over the loops
	conns    atomic.Int64  // open connections of every loop
	fds      fdTable       // the conn of each fd, for every loop
	zones    zoneNames     // the IPv6 zones of the conns' peers (peerAddr)
	closed   atomic.Bool   // stopAccept or stop ran: dials are refused
	shared   bool          // one listener fd for all loops: accepted fds are spread
	maxConns int64         // the server's connection limit, resolved once; 0 is none
	wg       sync.WaitGroup
}

// startReactor starts cfg's loops. lfds are listener fds: one per loop
// (SO_REUSEPORT), or a single one that the first loop accepts on and whose
// connections all loops share; none for a Dialer or a net/http server. The
// reactor takes the fds over, closing them on failure.
func startReactor(cfg ReactorConfig, srv *Server, lfds []int) (*reactor, error) {
	r := &reactor{cfg: cfg, srv: srv, shared: len(lfds) == 1}
	if srv != nil {
		r.maxConns = int64(srv.cfg.maxConns())
	}
	n := cfg.loops()
	for i := 0; i < n; i++ {
		lfd := -1
		if i < len(lfds) {
			lfd = lfds[i]
		}
		l, err := newLoop(r, lfd)
		if err != nil {
			for _, l := range r.loops {
				l.shutdown()
			}
			for _, fd := range lfds[i:] {
				_ = netpoll.Close(fd)
			}
			return nil, err
		}
		r.loops = append(r.loops, l)
	}
	for _, l := range r.loops {
		r.wg.Add(1)
		go l.run()
	}
	return r, nil
}

// pick returns the loop for a new connection.
func (r *reactor) pick() *loop { return r.loops[r.next.Add(1)%uint32(len(r.loops))] }

// stopAccept closes the listeners; the loops go on serving what they hold.
func (r *reactor) stopAccept() {
	r.closed.Store(true)
	r.each(task{kind: taskStopAccept})
}

// goingAway closes every session with 1001 after what it has queued.
func (r *reactor) goingAway() { r.each(task{kind: taskGoingAway}) }

// stop closes every connection, ends the loops and waits for them.
func (r *reactor) stop() {
	r.closed.Store(true)
	r.each(task{kind: taskStop})
	r.wg.Wait()
}

// each posts t to every loop.
func (r *reactor) each(t task) {
	for _, l := range r.loops {
		l.post(t)
	}
}

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

// counterSets returns the loops' counters.
func (r *reactor) counterSets() []*counters.Set {
	sets := make([]*counters.Set, 0, len(r.loops)+1)
	for _, l := range r.loops {
		sets = append(sets, &l.ctr)
	}
	return sets
}
