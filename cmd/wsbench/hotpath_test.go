package main

import (
	"context"
	"github.com/surgews/surge/internal/counters"
	"net/netip"
	"testing"
	"time"

	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// newRoute is the constructor package session registers in seam.NewRoute,
// with its types (see package seam): a session without a network, for the
// hot path alone.
var newRoute = seam.NewRoute.(func(cfg *session.Config, h session.Handler, run func(*session.Session), server any, pool seam.Pool) func(seam.Role, seam.Driver, session.Request) (*session.Session, seam.Endpoint))

// discardDriver is a seam.Driver whose transport takes every byte at once.
type discardDriver struct{ written int }

func (d *discardDriver) Write(b []byte) (int, error) { d.written += len(b); return len(b), nil }
func (*discardDriver) WantWrite()                    {}
func (*discardDriver) PauseRead(bool)                {}
func (*discardDriver) SetTimer(time.Duration)        {}
func (*discardDriver) CloseTransport(bool)           {}

// hotConn is one closed-loop connection on a client session over a
// discarding driver, with its next echo ready in echo.
func hotConn(tb testing.TB, size int) (*conn, *session.Session, *discardDriver) {
	tb.Helper()
	o := defaultOptions("echo")
	o.size = size
	rs := newRunState(context.Background(), &o)
	rs.phase.Store(phaseMeasure)
	cs := newConns(rs, &o, 1, 5)
	c := &cs[0]
	drv := &discardDriver{}
	// The connection is the session's event handler, inline, as on a
	// Dialer's loop (connectAll dials with Handler: c).
	s, ep := newRoute(&c.cfg, c, nil, nil, nil)(seam.Client, drv, session.Request{})
	ep.Start(nil)
	c.sess = s
	return c, s, drv
}

// One echo (verify, record latency, send the next message) allocates
// nothing: the bar for a load generator that must not be the bottleneck.
func TestOnMessageNoAllocs(t *testing.T) {
	for _, size := range []int{16, 1024, 16 << 10} {
		t.Run(sizeName(size), func(t *testing.T) {
			c, s, drv := hotConn(t, size)
			echo := make([]byte, size)
			c.sendNext(s, uint64(c.rs.now()))
			next := func() {
				// The echo of the message just sent is what was sent.
				c.rs.pat.fill(echo, c.id, c.recvSeq, uint64(c.rs.now()))
				c.OnMessage(s, session.BorrowBinary(echo))
			}
			next()
			if n := testing.AllocsPerRun(1000, next); n != 0 {
				t.Fatalf("%v allocations per echo", n)
			}
			if c.recv.Load() != 1002 || drv.written == 0 {
				t.Fatalf("recv %d written %d", c.recv.Load(), drv.written)
			}
			var iv interval
			iv.hist = newHist()
			c.rs.drain(&iv)
			if iv.verified != 1002 || c.rs.errorCount() != 0 {
				t.Fatalf("verified %d errors %d", iv.verified, c.rs.errorCount())
			}
		})
	}
}

// BenchmarkOnMessage is the client's cost per echo, without the network.
func BenchmarkOnMessage(b *testing.B) {
	for _, size := range []int{16, 1024, 16 << 10} {
		b.Run(sizeName(size), func(b *testing.B) {
			c, s, _ := hotConn(b, size)
			echo := make([]byte, size)
			c.sendNext(s, uint64(c.rs.now()))
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				c.rs.pat.fill(echo, c.id, c.recvSeq, uint64(c.rs.now()))
				c.OnMessage(s, session.BorrowBinary(echo))
			}
		})
	}
}

// BenchmarkEchoLoopback runs whole echo runs against an in-process surge
// server; the allocations reported are the client's and the server's.
func BenchmarkEchoLoopback(b *testing.B) {
	srv, url, err := startEchoServer(1)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	o := defaultOptions("echo")
	o.url, o.conns, o.size, o.warmup, o.quiet, o.loops = url, 50, 1024, 0, true, 1
	o.messages = int64(max(1, b.N/o.conns))
	b.ReportAllocs()
	b.SetBytes(int64(o.size))
	b.ResetTimer()
	res, err := run(context.Background(), &o)
	if err != nil || res.ErrorTotal != 0 {
		b.Fatalf("%v %v", err, res.Errors)
	}
	b.ReportMetric(res.Throughput.MessagesPerSec, "msgs/s")
}

func (*discardDriver) Counters() *counters.Set { return nil }

func (*discardDriver) Remote() netip.AddrPort { return netip.AddrPort{} }
