package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// maxDialsInFlight bounds concurrent handshakes: engine.Dial blocks its
// goroutine until the handshake ends, so this is also the number of dialing
// goroutines, independent of --conns.
const maxDialsInFlight = 256

// connsPerSource is where source-address spreading starts by default.
// Linux's connect() picks ephemeral ports from one half of the range (the
// even ports of 32768-60999 by default, about 14,000) and only then searches
// the other half, port by port: one client address opened 10,000 loopback
// connections at 24,000/s but 19,000 at 2,900/s, and two addresses opened
// 19,000 at 29,000/s.
const connsPerSource = 10000

// connectStats is what the connect phase measured.
type connectStats struct {
	attempted int64
	opened    atomic.Int64
	seconds   float64
	handshake *hdr.Histogram // µs
}

// sourcesFor returns how many 127.0.0.x source addresses to use for total
// connections to target: the flag if set, else one per connsPerSource for a
// loopback IPv4 target, else none (1).
func sourcesFor(target string, total, flagValue int) (int, error) {
	u, err := url.Parse(target)
	if err != nil {
		return 0, err
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	loop4 := ip != nil && ip.To4() != nil && ip.IsLoopback()
	if flagValue > 1 && !loop4 {
		return 0, fmt.Errorf("%w: --sources needs an IPv4 loopback target (127.x.x.x or localhost)", errUsage)
	}
	if flagValue > 0 {
		return flagValue, nil
	}
	if loop4 && total > connsPerSource {
		return (total + connsPerSource - 1) / connsPerSource, nil
	}
	return 1, nil
}

// defaultBacklog is the session's outgoing backlog bound (session.Config's
// default, 4 MiB), raised when --depth messages could exceed it.
const defaultBacklog = 4 << 20

// newConns allocates the state of n connections, numbered from offset, in
// one slab with one buffer slab, so the connect phase allocates per
// connection only what the engine does.
func newConns(rs *runState, o *options, n, offset int) []conn {
	cs := make([]conn, n)
	bufs := make([]byte, n*o.size)
	backlog := defaultBacklog
	if need := 2 * o.depth * (o.size + 14); need > backlog {
		// The first depth messages are sent from outside the loop and
		// must never wait for the backlog (see conn.mu).
		backlog = need
	}
	for i := range cs {
		c := &cs[i]
		c.rs = rs
		c.id = uint64(offset + i)
		c.sh = &rs.shards[i%shardCount]
		c.buf = bufs[i*o.size : (i+1)*o.size : (i+1)*o.size]
		c.cfg = session.Config{
			Dispatch:       session.DispatchInline,
			Backlog:        backlog,
			MaxMessageSize: int64(o.size) + 1<<16,
			Timeout:        o.timeout,
		}
	}
	return cs
}

// connectAll dials every connection of cs at --connect-rate with at most
// maxDialsInFlight handshakes in flight. Failed connections keep a nil sess.
// tick, if not nil, is called from the run goroutine's ticker elsewhere; the
// opened count is readable through st while this runs.
func connectAll(ctx context.Context, o *options, d *engine.Dialer, cs []conn, sources int, st *connectStats) {
	start := time.Now()
	var next atomic.Int64
	var mu sync.Mutex
	workers := min(len(cs), maxDialsInFlight)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := engine.DialOptions{Dialer: d, HandshakeTimeout: o.timeout}
			h := newHist()
			defer func() {
				mu.Lock()
				st.handshake.Merge(h)
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cs) || ctx.Err() != nil {
					return
				}
				if o.connectRate > 0 {
					at := start.Add(time.Duration(float64(i) / o.connectRate * float64(time.Second)))
					if wait := time.Until(at); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							return
						}
					}
				}
				c := &cs[i]
				opts.Session, opts.Handler = c.cfg, c
				opts.LocalAddr = nil
				if sources > 1 {
					opts.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+c.id%uint64(sources)))}
				}
				t0 := time.Now()
				s, err := engine.Dial(ctx, o.url, &opts)
				if err != nil {
					if ctx.Err() == nil {
						c.rs.countError(dialKind(err), 1)
					}
					c.finished.Store(true)
					continue
				}
				recordMicros(h, time.Since(t0).Microseconds())
				c.sess = s
				st.opened.Add(1)
			}
		}()
	}
	wg.Wait()
	st.attempted = min(next.Load(), int64(len(cs)))
	st.seconds = time.Since(start).Seconds()
}
