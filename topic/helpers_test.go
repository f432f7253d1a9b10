package topic

import (
	"github.com/surgews/surge/internal/counters"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// newRoute is the constructor package session registers for drivers (see
// package seam).
var newRoute = seam.NewRoute.(func(*session.Config, session.Handler, func(*session.Session), any, seam.Pool) func(seam.Role, seam.Driver, session.Request) (*session.Session, seam.Endpoint))

// memDriver is an in-memory seam.Driver for a server session: it keeps what
// the session writes, counts the system calls a socket would have seen, and
// can take only room bytes more, like a socket whose peer does not read.
type memDriver struct {
	mu      sync.Mutex
	out     []byte
	room    int // bytes it still takes; < 0 means no limit
	writes  int
	bytes   int
	closed  bool
	discard bool // count the bytes but keep none (allocation gates)
}

func (d *memDriver) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, net.ErrClosed
	}
	d.writes++
	n := len(b)
	if d.room >= 0 {
		n = min(n, d.room)
		d.room -= n
	}
	d.keep(b[:n])
	return n, nil
}

// keep records bytes the socket took; the caller holds mu.
func (d *memDriver) keep(b []byte) {
	d.bytes += len(b)
	if !d.discard {
		d.out = append(d.out, b...)
	}
}

func (d *memDriver) WantWrite()             {}
func (d *memDriver) PauseRead(bool)         {}
func (d *memDriver) SetTimer(time.Duration) {}
func (d *memDriver) CloseTransport(bool) {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
}

// messages decodes what the session wrote: the payloads of its text and
// binary frames, and the close code if it sent a close frame (0 if not).
func (d *memDriver) messages(t testing.TB) (msgs []string, closeCode frame.CloseCode) {
	t.Helper()
	d.mu.Lock()
	b := append([]byte(nil), d.out...)
	d.mu.Unlock()
	for len(b) > 0 {
		var h frame.Header
		n, need, err := frame.DecodeHeader(b, &h)
		if err != nil || need > 0 || int64(len(b)-n) < h.Length {
			t.Fatalf("undecodable output %q: %v (need %d)", b, err, need)
		}
		p := b[n : n+int(h.Length)]
		b = b[n+int(h.Length):]
		switch h.Op {
		case frame.OpText, frame.OpBinary:
			msgs = append(msgs, string(p))
		case frame.OpClose:
			code, _, _ := frame.ParseClose(p)
			closeCode = code
		}
	}
	return msgs, closeCode
}

func (d *memDriver) calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes
}

// loopDriver is a memDriver served by a fake event loop, writing vectors.
type loopDriver struct {
	memDriver
	loop *fakeLoop
}

func (d *loopDriver) Loop() seam.Loop { return d.loop }

func (d *loopDriver) Writev(bufs [][]byte) (int, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return 0, net.ErrClosed
	}
	d.writes++
	total := 0
	for _, b := range bufs {
		n := len(b)
		if d.room >= 0 {
			n = min(n, d.room)
			d.room -= n
		}
		d.keep(b[:n])
		total += n
		if n < len(b) {
			break
		}
	}
	d.mu.Unlock()
	return total, nil
}

// fakeLoop is a seam.Loop whose posted work runs when the test says.
type fakeLoop struct {
	mu    sync.Mutex
	queue []seam.Runner
	spare []seam.Runner
	posts int
}

func (l *fakeLoop) Post(r seam.Runner) {
	l.mu.Lock()
	l.queue = append(l.queue, r)
	l.posts++
	l.mu.Unlock()
}

// run runs what was posted, and what that posts, until nothing is left.
func (l *fakeLoop) run() {
	for {
		l.mu.Lock()
		q := l.queue
		l.queue = l.spare[:0]
		l.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, r := range q {
			r.Run()
		}
		clear(q)
		l.mu.Lock()
		l.spare = q[:0]
		l.mu.Unlock()
	}
}

func (l *fakeLoop) postCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.posts
}

// testSession is a server session over a memDriver or a loopDriver.
type testSession struct {
	s  *session.Session
	ep seam.Endpoint
	d  *memDriver
}

// newTestSession makes an event-style server session with cfg on a driver of
// its own, served by loop when loop is not nil.
func newTestSession(cfg session.Config, loop *fakeLoop, exts ...extension.Extension) testSession {
	md := &memDriver{room: -1}
	var d seam.Driver = md
	if loop != nil {
		ld := &loopDriver{memDriver: memDriver{room: -1}, loop: loop}
		md, d = &ld.memDriver, ld
	}
	s, ep := newRoute(&cfg, session.NopHandler{}, nil, nil, nil)(seam.Server, d, session.Request{Path: "/", Extensions: exts})
	ep.Start(nil)
	return testSession{s: s, ep: ep, d: md}
}

// subscriptions returns the subscriptions the hub's shards hold for topic
// name, once their queues are applied; the caller runs the loops first.
func (h *Hub) subscriptions(name string) int {
	h.mu.RLock()
	t := h.topics[name]
	shards := []*shard{h.direct}
	for _, sh := range h.shards {
		shards = append(shards, sh)
	}
	h.mu.RUnlock()
	n := 0
	for _, sh := range shards {
		if sh == nil {
			continue
		}
		sh.runMu.Lock()
		for e, l := range sh.lists {
			if e.name == name {
				n += len(l.subs)
			}
		}
		sh.runMu.Unlock()
	}
	_ = t
	return n
}

func (d *memDriver) Counters() *counters.Set { return nil }

func (d *memDriver) Remote() netip.AddrPort { return netip.AddrPort{} }
