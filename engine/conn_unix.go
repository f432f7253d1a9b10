//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/netpoll"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/internal/timewheel"
)

// conn flags, changed atomically from any goroutine.
const (
	flagWantWrite  uint32 = 1 << iota // the session waits for writability
	flagPaused                        // the session asked to stop reading
	flagTimerSet                      // timerD holds a new timer setting
	flagSyncQueued                    // a taskSync is queued
	flagClosed                        // the fd is closed
	flagCloseAsked                    // CloseTransport was called
	flagLinger                        // handshake refused: reads are discarded until the peer closes
)

// interestShift places the loop's poller interest (a netpoll.Event) in the
// high bits of conn.flags, above the flags.
const interestShift = 16

// conn is one connection of a loop and the session's seam.Driver. An idle conn
// holds no buffer: only a handshake in progress keeps bytes.
//
// Every idle connection holds one, so it is packed to 96 bytes, a size
// class of its own (issue #18; TestConnSize): the fd in 4 bytes, the poller
// interest inside flags, the timer setting in wheel ticks, the remote
// address packed, and a request head split over reads kept by the loop.
type conn struct {
	timer  timewheel.Timer // first field: the loop finds the conn from it
	loop   *loop
	ep     seam.Endpoint // the session; nil until the upgrade is answered
	dial   *dialing      // a client connection's handshake state, until done
	mu     sync.Mutex    // serializes writes with closing the fd
	flags  atomic.Uint32 // flag* bits; the loop's poller interest above interestShift
	timerD atomic.Uint32 // the timer setting asked for, in wheel ticks (timerTicks)
	fdNum  int32         // the socket; read it with fd
	peer   peerAddr      // the remote address, packed (peer_unix.go)
}

// fd returns the connection's socket.
func (c *conn) fd() int { return int(c.fdNum) }

// interest returns the events the loop watches on the socket. The loop alone
// changes it, with setInterest.
func (c *conn) interest() netpoll.Event {
	return netpoll.Event(c.flags.Load() >> interestShift)
}

// setInterest records the events the loop now watches.
func (c *conn) setInterest(e netpoll.Event) {
	for {
		f := c.flags.Load()
		if c.flags.CompareAndSwap(f, f&(1<<interestShift-1)|uint32(e)<<interestShift) {
			return
		}
	}
}

func (c *conn) open() bool { return c.flags.Load()&flagClosed == 0 }

// Write writes b now without blocking and returns how much the kernel took.
func (c *conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.flags.Load()&flagClosed != 0 {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	n, err := netpoll.Write(c.fd(), b)
	c.mu.Unlock()
	if statsOn {
		c.loop.ctr.WireOut.Add(uint64(max(n, 0)))
	}
	if err != nil && errors.Is(err, netpoll.ErrWouldBlock) {
		return n, nil
	}
	return n, err
}

// WantWrite asks the loop for a writability event.
func (c *conn) WantWrite() {
	c.loop.ctr.WriteWaits.Add(1)
	c.flags.Or(flagWantWrite)
	c.requestSync()
}

// PauseRead stops or resumes reading the connection.
func (c *conn) PauseRead(paused bool) {
	if paused {
		if c.flags.Load()&flagPaused == 0 {
			c.loop.ctr.ReadPauses.Add(1)
		}
		c.flags.Or(flagPaused)
	} else {
		c.flags.And(^flagPaused)
	}
	c.requestSync()
}

// SetTimer arms the connection's wheel timer.
func (c *conn) SetTimer(d time.Duration) {
	c.timerD.Store(timerTicks(d))
	c.flags.Or(flagTimerSet)
	c.requestSync()
}

// timerTicks returns d in wheel ticks, rounded up as the wheel rounds it;
// 0 stops the timer. Four bytes hold 497 days: a longer setting is kept
// as the longest, which for a ping period or a timeout is never.
func timerTicks(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32(min((d-1)/tick+1, math.MaxUint32)) // d+tick-1 could overflow
}

// Remote is seam.Driver.Remote.
func (c *conn) Remote() netip.AddrPort { return c.loop.reactor.zones.unpack(c.peer) }

// Counters is seam.Driver.Counters: the loop's.
func (c *conn) Counters() *counters.Set {
	if !statsOn {
		return nil
	}
	return &c.loop.ctr
}

// CloseTransport asks the loop to close the connection. Writes go straight
// to the socket, so nothing waits to be flushed either way.
func (c *conn) CloseTransport(bool) {
	if c.flags.Load()&(flagCloseAsked|flagClosed) != 0 {
		return
	}
	c.flags.Or(flagCloseAsked)
	c.loop.post(task{kind: taskClose, c: c})
}

// requestSync queues one taskSync for the connection, however many driver
// calls ask for it before the loop gets to it.
func (c *conn) requestSync() {
	for {
		f := c.flags.Load()
		if f&(flagSyncQueued|flagClosed) != 0 {
			return
		}
		if c.flags.CompareAndSwap(f, f|flagSyncQueued) {
			c.loop.post(task{kind: taskSync, c: c})
			return
		}
	}
}
