package wstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// defaultTimeout bounds every wait of wstest when Client.Timeout is zero:
// dialing, one read by ReadFrame and its siblings, a whole conversation, and
// the closing handshake after it.
const defaultTimeout = 10 * time.Second

// Client says how wstest reaches the server under test. The zero value dials
// the server's event loops on 127.0.0.1 with engine's default dial options
// and a 10-second Timeout. Methods only read the Client, so one value may
// serve any number of tests at once.
type Client struct {
	// Portable serves the conversation with the server's portable driver
	// over a net.Pipe (engine.Server.ServeConn) instead of its event loops
	// over loopback TCP. The server is then never started.
	Portable bool
	// Options are the dial options (Protocols, Extensions, Header,
	// Session, Handler, ...); HandshakeTimeout 0 means Timeout, and
	// NetDial is wstest's own in the Portable mode. nil means the defaults.
	// wstest does not change them.
	Options *engine.DialOptions
	// Timeout bounds dialing, the conversation and its closing handshake,
	// each; 0 means 10 seconds. A conversation that runs longer has its
	// session terminated, which closes its incoming channel, and fails the
	// test.
	Timeout time.Duration
}

func (c Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return defaultTimeout
}

func (c Client) options() *engine.DialOptions {
	if c.Options != nil {
		return c.Options
	}
	return &engine.DialOptions{}
}

// Conversation runs fn against the route of srv at path with the zero Client
// (Ktor's handleWebSocketConversation): it starts srv on 127.0.0.1:0 unless
// it is already listening, dials path, and calls fn on the calling goroutine
// with the client session's received messages (in) and a channel whose
// frames are sent in order (out). When fn returns, the frames it gave to out
// are sent, the session is closed with 1000 and the closing handshake is
// awaited. A frame given to out that cannot be sent (the server closed
// first) fails the test, as Ktor's outgoing.send throws. fn may call
// t.Fatalf (directly or through ReadText); the session is closed all the
// same. srv is closed when the test ends.
func Conversation(t testing.TB, srv *engine.Server, path string, fn func(in <-chan session.Frame, out chan<- session.Frame)) {
	t.Helper()
	Client{}.Conversation(t, srv, path, fn)
}

// Conversation is the package function Conversation with c's settings.
func (c Client) Conversation(t testing.TB, srv *engine.Server, path string, fn func(in <-chan session.Frame, out chan<- session.Frame)) {
	t.Helper()
	s := c.Dial(t, srv, path)
	if s == nil {
		return
	}
	timeout := c.timeout()
	ctx, cancel := context.WithCancel(context.Background())
	var timedOut atomic.Bool
	watchdog := time.AfterFunc(timeout, func() {
		timedOut.Store(true)
		cancel()
		s.Terminate()
	})
	out := make(chan session.Frame)
	sent := make(chan struct{})
	var lost lostFrames
	go forward(ctx, s, out, sent, &lost)
	// The teardown is deferred so that it also runs when fn stops the
	// goroutine with t.Fatalf (runtime.Goexit).
	defer func() {
		close(out)
		<-sent
		if n, first := lost.get(); n > 0 {
			// Ktor's outgoing.send throws on a closed session; a frame
			// that silently went nowhere would let the test pass.
			t.Errorf("wstest: conversation with %s: %d frame(s) written to out were not sent (first: %v); the server's close: %v",
				path, n, first, s.CloseReason())
		}
		_ = s.Close(session.CloseReason{Code: frame.CloseNormal})
		closed := waitDone(s, timeout)
		watchdog.Stop()
		cancel()
		if timedOut.Load() {
			t.Errorf("wstest: conversation with %s ran longer than %v", path, timeout)
		} else if !closed {
			t.Errorf("wstest: closing handshake with %s did not end within %v", path, timeout)
		}
	}()
	fn(s.Incoming(), out)
}

// forward sends what the conversation puts in out, in order, and counts
// the frames that could not be sent (the server had closed, say), which
// the conversation reports as a failure.
func forward(ctx context.Context, s *session.Session, out <-chan session.Frame, done chan<- struct{}, lost *lostFrames) {
	defer close(done)
	for f := range out {
		if err := s.Send(ctx, f); err != nil {
			lost.add(err)
		}
	}
}

// lostFrames counts the frames of a conversation that were not sent.
type lostFrames struct {
	mu    sync.Mutex
	n     int
	first error
}

func (l *lostFrames) add(err error) {
	l.mu.Lock()
	if l.n == 0 {
		l.first = err
	}
	l.n++
	l.mu.Unlock()
}

func (l *lostFrames) get() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, l.first
}

// Dial starts srv if needed, as Conversation does, and returns a
// channel-style client session to path (unless Options.Session has a
// Handler), for tests that want the session itself: its CloseReason, Send
// with a context, Close with a reason. The session is terminated and srv
// closed when the test ends. Dial fails the test if the handshake fails.
// The zero Client dials with the defaults: wstest.Client{}.Dial(t, srv, path).
func (c Client) Dial(t testing.TB, srv *engine.Server, path string) *session.Session {
	t.Helper()
	// Registered first so that it runs last, after the sessions are gone.
	t.Cleanup(func() { _ = srv.Close() })
	if !strings.HasPrefix(path, "/") {
		t.Fatalf("wstest: %v: %q", errBadPath, path)
		return nil
	}
	var (
		s       *session.Session
		served  <-chan struct{}
		err     error
		timeout = c.timeout()
	)
	if c.Portable {
		s, served, err = c.dialPipe(srv, path, timeout)
	} else {
		s, err = c.dialLoop(srv, path, timeout)
	}
	if err != nil {
		t.Fatalf("wstest: dial %s: %v", path, err)
		return nil
	}
	t.Cleanup(func() {
		s.Terminate()
		if !waitDone(s, timeout) {
			t.Errorf("wstest: client session to %s did not end within %v of Terminate", path, timeout)
		}
		if served != nil && !waitClosed(served, timeout) {
			t.Errorf("wstest: ServeConn for %s did not return within %v", path, timeout)
		}
	})
	return s
}

// dialLoop starts srv on loopback if it is not listening yet and dials it.
func (c Client) dialLoop(srv *engine.Server, path string, timeout time.Duration) (*session.Session, error) {
	addr := srv.Addr()
	if addr == nil {
		if err := srv.Start("127.0.0.1:0"); err != nil && srv.Addr() == nil {
			return nil, err // not a Start that lost a race with another test's
		}
		addr = srv.Addr()
	}
	if addr == nil || addr.Network() != "tcp" {
		return nil, fmt.Errorf("%w (address %v)", errNoListener, addr)
	}
	opts := *c.options()
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.HandshakeTimeout)
	defer cancel()
	return engine.Dial(ctx, "ws://"+addr.String()+path, &opts)
}

// pipeHost is the host of a portable conversation's URL: a net.Pipe has no
// address, and the .invalid TLD (RFC 2606) can never name a real host.
const pipeHost = "wstest.invalid"

// dialPipe serves one end of a net.Pipe with srv.ServeConn and dials a client
// session over the other. served is closed when ServeConn returns.
func (c Client) dialPipe(srv *engine.Server, path string, timeout time.Duration) (*session.Session, <-chan struct{}, error) {
	sc, cc := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.ServeConn(sc)
	}()
	opts := *c.options()
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = timeout
	}
	opts.NetDial = func(context.Context, string, string) (net.Conn, error) { return cc, nil }
	s, err := engine.Dial(context.Background(), "ws://"+pipeHost+path, &opts)
	if err != nil {
		_ = cc.Close()
		waitClosed(served, timeout)
		return nil, nil, err
	}
	return s, served, nil
}

// waitDone waits for s to end, at most d.
func waitDone(s *session.Session, d time.Duration) bool { return waitClosed(s.Done(), d) }

func waitClosed(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
