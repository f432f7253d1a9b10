package reliability_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
	"github.com/surgews/surge/session"
)

// The attack clients speak RFC 6455 by hand over net.Conn, so that they can
// do what no library client does: stop reading, split a header over many
// writes, send a close frame no peer should send.

// ioWait bounds every blocking step of a test so that a server bug fails the
// test instead of hanging it; generous, as the machine is shared and -race
// is slow.
const ioWait = 10 * time.Second

// maskKey masks every attack frame (testwire.MaskKey); a fixed key keeps
// failures reproducible.
var maskKey = testwire.MaskKey

// upgradeRequest is a valid opening handshake for path with extra header
// lines appended.
var upgradeRequest = testwire.UpgradeRequest

// clientFrame encodes one final masked client frame (§5.3).
var clientFrame = testwire.ClientFrame

// peer is an attack client's connection.
type peer struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

// dialPeer connects to addr without a handshake; d may set socket options.
func dialPeer(t testing.TB, addr string, d *net.Dialer) *peer {
	t.Helper()
	if d == nil {
		d = &net.Dialer{}
	}
	d.Timeout = ioWait
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &peer{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// upgradePeer connects and completes an opening handshake for path.
func upgradePeer(t testing.TB, addr, path string, d *net.Dialer) *peer {
	t.Helper()
	p := dialPeer(t, addr, d)
	p.write([]byte(upgradeRequest(path)))
	if status := p.statusLine(); !strings.HasPrefix(status, "HTTP/1.1 101 ") {
		t.Fatalf("handshake answered %q, want 101", status)
	}
	for { // the rest of the response head
		line, err := p.br.ReadString('\n')
		if err != nil {
			t.Fatalf("handshake response: %v", err)
		}
		if line == "\r\n" {
			return p
		}
	}
}

func (p *peer) write(b []byte) {
	p.t.Helper()
	_ = p.nc.SetWriteDeadline(time.Now().Add(ioWait))
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// statusLine reads the first line of an HTTP response.
func (p *peer) statusLine() string {
	p.t.Helper()
	_ = p.nc.SetReadDeadline(time.Now().Add(ioWait))
	line, err := p.br.ReadString('\n')
	if err != nil {
		p.t.Fatalf("reading the status line: %v (read %q)", err, line)
	}
	return strings.TrimRight(line, "\r\n")
}

// readFrame reads one server frame.
func (p *peer) readFrame() (frame.Header, []byte, error) {
	_ = p.nc.SetReadDeadline(time.Now().Add(ioWait))
	return testwire.ReadFrame(p.br, 64<<20)
}

// expectClose reads the next frame, which must be a close frame, and
// returns its code.
func (p *peer) expectClose() frame.CloseCode {
	p.t.Helper()
	h, b, err := p.readFrame()
	if err != nil {
		p.t.Fatalf("waiting for a close frame: %v", err)
	}
	if h.Op != frame.OpClose {
		p.t.Fatalf("got a %v frame %q, want a close frame", h.Op, b)
	}
	code, _, err := frame.ParseClose(b)
	if err != nil {
		p.t.Fatalf("bad close payload %x: %v", b, err)
	}
	return code
}

// eofWithin waits up to d for the server to close the TCP connection and
// reports whether it did.
func (p *peer) eofWithin(d time.Duration) bool {
	_ = p.nc.SetReadDeadline(time.Now().Add(d))
	var buf [512]byte
	for {
		_, err := p.br.Read(buf[:])
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
}

// echoHandler answers every message with itself.
type echoHandler struct{ session.NopHandler }

func (echoHandler) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// startServer starts srv on a loopback port until the test ends.
func startServer(t testing.TB, srv *engine.Server) string {
	t.Helper()
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Addr().String()
}

// canary is a well-behaved client beside an attack.
type canary struct {
	t testing.TB
	s *session.Session
}

func dialCanary(t testing.TB, addr string) *canary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	s, err := engine.Dial(ctx, "ws://"+addr+"/canary", nil)
	if err != nil {
		t.Fatalf("canary dial: %v", err)
	}
	t.Cleanup(s.Terminate)
	return &canary{t: t, s: s}
}

// roundTrip sends one message and returns how long its echo took.
func (c *canary) roundTrip(msg string) time.Duration {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	start := time.Now()
	if err := c.s.Send(ctx, session.CopyText(msg)); err != nil {
		c.t.Fatalf("canary send: %v", err)
	}
	select {
	case f, ok := <-c.s.Incoming():
		if !ok {
			c.t.Fatalf("canary closed: %v", c.s.CloseReason())
		}
		d := time.Since(start)
		if got := f.Text(); got != msg {
			c.t.Fatalf("canary echo %q, want %q", got, msg)
		}
		f.Release()
		return d
	case <-ctx.Done():
		c.t.Fatalf("canary: no echo of %q within %v", msg, ioWait)
		return 0
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openReporter reports the remote address of each session it opens.
type openReporter struct {
	session.NopHandler
	remotes chan<- netip.AddrPort
}

func (h openReporter) OnOpen(s *session.Session) {
	select {
	case h.remotes <- s.Request().Remote:
	default:
	}
}

// modes are the three ways a server runs its handlers.
var modes = []string{"inline", "pool", "channel"}

// modeServer returns an echo server whose handlers run as mode says, with
// cfg's other settings.
func modeServer(mode string, cfg engine.Config) *engine.Server {
	if mode == "pool" {
		cfg.Session.Dispatch = session.DispatchPool
	}
	srv := engine.New(cfg)
	if mode == "channel" {
		srv.HandleSession("/", func(s *session.Session) {
			for f := range s.Incoming() {
				if err := s.Send(context.Background(), f); err != nil {
					return
				}
			}
		})
	} else {
		srv.HandleEvents("/", echoHandler{})
	}
	return srv
}
