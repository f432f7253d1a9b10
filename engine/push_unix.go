//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"errors"
	"net"

	"github.com/surgews/surge/internal/netpoll"
	"github.com/surgews/surge/internal/seam"
)

// The event loop's side of package topic's fan-out: a conn names its loop
// (seam.LoopDriver) and writes vectors (seam.VectorWriter), and a loop runs
// posted work (seam.Loop).

var (
	_ seam.LoopDriver   = (*conn)(nil)
	_ seam.VectorWriter = (*conn)(nil)
	_ seam.PairWriter   = (*conn)(nil)
	_ seam.Loop         = (*loop)(nil)
)

// Loop returns the event loop that serves the connection.
func (c *conn) Loop() seam.Loop { return c.loop }

// WritePair writes a and then b now without blocking, in one system call,
// and returns how much the kernel took.
func (c *conn) WritePair(a, b []byte) (int, error) {
	bufs := [2][]byte{a, b}
	return c.Writev(bufs[:])
}

// Writev writes bufs now without blocking, in one system call, and returns
// how much the kernel took.
func (c *conn) Writev(bufs [][]byte) (int, error) {
	c.mu.Lock()
	if c.flags.Load()&flagClosed != 0 {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	n, err := netpoll.Writev(c.fd(), bufs)
	c.mu.Unlock()
	c.loop.ctr.WireOut.Add(uint64(max(n, 0)))
	if err != nil && errors.Is(err, netpoll.ErrWouldBlock) {
		return n, nil
	}
	return n, err
}

// Post queues r to run on the loop; on a loop that has ended, r runs now.
func (l *loop) Post(r seam.Runner) { l.post(task{kind: taskRun, run: r}) }
