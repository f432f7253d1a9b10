package interop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// bigLimit is the message limit on both ends of the large-message cases: twice
// the 16 MiB the Node and browser cases send.
const bigLimit = 32 << 20

// wireCloseCodes are the close codes a peer may send (RFC 6455 §7.4): every
// code from 1000 to 1014 but the three that must never be on the wire (1004
// reserved, 1005 no status, 1006 abnormal), and the edges of the registered
// and private ranges.
var wireCloseCodes = []frame.CloseCode{
	1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
}

// surgeEnd is what one server session of a surgeServer ended with.
type surgeEnd struct {
	Path   string
	Reason session.CloseReason
	Err    error
	// Msgs counts the data messages the session received.
	Msgs int
	// Exts names the extensions the session negotiated, in order (nil for
	// none), so that a case can tell a compressed session from a plain one.
	Exts []string
}

// surgeServer is a surge engine server with the routes the interop cases use,
// recording how each session ended under the id given in its query:
//
//	/echo                        echo every message
//	/pinging                     echo, and ping every 50 ms (pong timeout 1 s)
//	/serverclose?code=&reason=   close at once with code and reason
type surgeServer struct {
	srv *engine.Server
	url string // ws://127.0.0.1:port

	mu   sync.Mutex
	ends map[string]chan surgeEnd
}

// startSurge starts a surge server on loopback with cfg and the routes above;
// it is closed when the test ends.
func startSurge(t *testing.T, cfg engine.Config) *surgeServer {
	t.Helper()
	if cfg.Session.MaxMessageSize == 0 {
		cfg.Session.MaxMessageSize = bigLimit
	}
	if cfg.Reactor.Loops == 0 {
		cfg.Reactor.Loops = 2
	}
	s := &surgeServer{srv: engine.New(cfg), ends: make(map[string]chan surgeEnd)}
	s.srv.HandleSession("/echo", func(ss *session.Session) { s.echo(ss) })
	s.srv.HandleSession("/pinging", func(ss *session.Session) {
		ss.SetTimeout(time.Second)
		ss.SetPingInterval(50 * time.Millisecond)
		s.echo(ss)
	})
	s.srv.HandleSession("/serverclose", s.serverClose)
	if err := s.srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("surge server: start: %v", err)
	}
	t.Cleanup(func() { _ = s.srv.Close() })
	s.url = "ws://" + s.srv.Addr().String()
	return s
}

func (s *surgeServer) echo(ss *session.Session) {
	ctx := context.Background()
	n := 0
	for f := range ss.Incoming() {
		n++
		_ = ss.Send(ctx, f)
	}
	s.record(ss, n)
}

func (s *surgeServer) serverClose(ss *session.Session) {
	q, _ := url.ParseQuery(ss.Request().RawQuery)
	code, _ := strconv.Atoi(q.Get("code"))
	if err := ss.Close(session.CloseReason{Code: frame.CloseCode(code), Reason: q.Get("reason")}); err != nil {
		ss.Terminate()
	}
	n := 0
	for f := range ss.Incoming() {
		n++
		f.Release()
	}
	s.record(ss, n)
}

func (s *surgeServer) record(ss *session.Session, msgs int) {
	<-ss.Done()
	req := ss.Request()
	q, _ := url.ParseQuery(req.RawQuery)
	var exts []string
	for _, e := range ss.Request().Extensions {
		exts = append(exts, e.Name())
	}
	s.endCh(q.Get("id")) <- surgeEnd{Path: req.Path, Reason: ss.CloseReason(), Err: ss.Err(), Msgs: msgs, Exts: exts}
}

func (s *surgeServer) endCh(id string) chan surgeEnd {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.ends[id]
	if !ok {
		ch = make(chan surgeEnd, 1)
		s.ends[id] = ch
	}
	return ch
}

// waitEnd returns how the session with the given id ended, failing the test
// (naming the case) if it has not ended within d.
func (s *surgeServer) waitEnd(t *testing.T, name, id string, d time.Duration) surgeEnd {
	t.Helper()
	select {
	case e := <-s.endCh(id):
		return e
	case <-time.After(d):
		t.Fatalf("%s: surge server session %q did not end within %v", name, id, d)
		return surgeEnd{}
	}
}

// pattern returns n bytes of the pattern byte i = (i*31+7) & 0xff that the
// Node scripts also generate.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readMsg returns the next message of a channel-style surge session, or an
// error naming what happened instead.
func readMsg(ctx context.Context, s *session.Session) (session.Frame, error) {
	select {
	case f, ok := <-s.Incoming():
		if !ok {
			return session.Frame{}, &endedError{r: s.CloseReason(), err: s.Err()}
		}
		return f, nil
	case <-ctx.Done():
		return session.Frame{}, ctx.Err()
	}
}

// endedError says a session ended while a message was awaited.
type endedError struct {
	r   session.CloseReason
	err error
}

func (e *endedError) Error() string {
	return "session ended: " + e.r.String() + " (err: " + errString(e.err) + ")"
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// errCloseCode returns the close code err carries (a *frame.CloseReason in
// its tree, as a peer's protocol violation is), 0 when it carries none.
func errCloseCode(err error) frame.CloseCode {
	code, _ := frame.CloseCodeOf(err)
	return code
}

// waitDone waits for a surge session to end, failing the test after d.
func waitDone(t *testing.T, name string, s *session.Session, d time.Duration) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(d):
		t.Fatalf("%s: surge session did not end within %v", name, d)
	}
}
