//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/internal/bufpool"
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

// conn is one connection of a loop and the session's seam.Driver. An idle conn
// holds no buffer: only a handshake in progress keeps bytes.
type conn struct {
	timer    timewheel.Timer // first field: the loop finds the conn from it
	loop     *loop
	ep       seam.Endpoint // the session; nil until the upgrade is answered
	head     *bufpool.Buf  // handshake head bytes until the upgrade is answered
	dial     *dialing      // a client connection's handshake state, until done
	timerD   atomic.Int64  // the timer setting asked for, in nanoseconds
	flags    atomic.Uint32
	interest netpoll.Event // the loop's alone
	mu       sync.Mutex    // serializes writes with closing the fd
	fd       int
	remote   netip.AddrPort
}

func (c *conn) open() bool { return c.flags.Load()&flagClosed == 0 }

// Write writes b now without blocking and returns how much the kernel took.
func (c *conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.flags.Load()&flagClosed != 0 {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	n, err := netpoll.Write(c.fd, b)
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
	c.timerD.Store(int64(d))
	c.flags.Or(flagTimerSet)
	c.requestSync()
}

// Remote is seam.Driver.Remote.
func (c *conn) Remote() netip.AddrPort { return c.remote }

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
