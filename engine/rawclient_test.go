package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
	"github.com/surgews/surge/mask"
	"github.com/surgews/surge/session"
)

// The raw client speaks RFC 6455 by hand over a plain net.Conn, so the tests
// control every byte the server sees: split writes, pipelining, protocol
// violations and peers that vanish. Nothing of it goes through package
// session, so a bug there cannot hide itself.

// testKey and testAccept are the sample nonce of RFC 6455 §1.3 and the
// Sec-WebSocket-Accept it must produce.
const (
	testKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	testAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// testMaskKey is the masking key of every raw client frame; any key works,
// a fixed one keeps failures reproducible.
var testMaskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// closePrivate is a close code of the range RFC 6455 §7.4.2 leaves to
// applications (4000-4999).
const closePrivate frame.CloseCode = 4000

// ioTimeout bounds every blocking read or write of a raw client so that a
// server bug fails the test instead of hanging it.
const ioTimeout = 5 * time.Second

// upgradeRequest returns a valid opening handshake for path with extra
// header lines ("Name: value") appended.
func upgradeRequest(path string, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: surge.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", testKey)
	for _, h := range extra {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// clientFrame encodes one masked frame as a client must send it (§5.3).
func clientFrame(fin bool, op frame.Opcode, payload []byte) []byte {
	h := frame.Header{Fin: fin, Op: op, Masked: true, Key: testMaskKey, Length: int64(len(payload))}
	b := frame.AppendHeader(nil, &h)
	n := len(b)
	b = append(b, make([]byte, len(payload))...)
	mask.XORCopy(b[n:], payload, h.Key, 0)
	return b
}

// unmaskedFrame encodes a frame without masking, which a server must refuse
// from a client (§5.1).
func unmaskedFrame(op frame.Opcode, payload []byte) []byte {
	h := frame.Header{Fin: true, Op: op, Length: int64(len(payload))}
	return append(frame.AppendHeader(nil, &h), payload...)
}

// closePayload is the body of a close frame with code and reason.
func closePayload(code frame.CloseCode, reason string) []byte {
	return frame.AppendClose(nil, code, reason)
}

// rawConn is a hand-driven client connection.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

// dialRaw connects to addr over network without a handshake.
func dialRaw(t testing.TB, network, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// wrapRaw makes a raw client of an existing connection (net.Pipe).
func wrapRaw(t testing.TB, nc net.Conn) *rawConn {
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// upgradeRaw connects and completes a handshake for path.
func upgradeRaw(t testing.TB, addr, path string) *rawConn {
	t.Helper()
	c := dialRaw(t, "tcp", addr)
	c.write(upgradeRequest(path))
	c.expectSwitch()
	return c
}

func (c *rawConn) write(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// writeSlowly writes b one byte per write with a pause between, so the server
// sees every possible split of headers and frames.
func (c *rawConn) writeSlowly(b []byte, pause time.Duration) {
	c.t.Helper()
	for i := range b {
		c.write(b[i : i+1])
		time.Sleep(pause)
	}
}

// response reads one HTTP response head and body.
func (c *rawConn) response() (*http.Response, string) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, string(body)
}

// expectSwitch reads the answer to the opening handshake and checks it is a
// correct 101 (§4.2.2).
func (c *rawConn) expectSwitch() {
	c.t.Helper()
	resp, body := c.response()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.t.Fatalf("handshake: status %d %q, want 101", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != testAccept {
		c.t.Fatalf("Sec-WebSocket-Accept %q, want %q", got, testAccept)
	}
}

// readFrame reads one server frame. Servers must not mask (§5.1).
func (c *rawConn) readFrame() (frame.Header, []byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	h, p, err := testwire.ReadFrame(c.br, 64<<20)
	if err == nil && h.Masked {
		return h, nil, errors.New("server frame is masked")
	}
	return h, p, err
}

// expectFrame reads a frame and checks its opcode and payload.
func (c *rawConn) expectFrame(op frame.Opcode, payload []byte) {
	c.t.Helper()
	h, p, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	if h.Op != op || !h.Fin || !bytes.Equal(p, payload) {
		c.t.Fatalf("got frame op=%v fin=%v %q, want op=%v %q", h.Op, h.Fin, clip(p), op, clip(payload))
	}
}

// expectClose reads frames until a close frame and returns its code and
// reason; data frames before it are skipped.
func (c *rawConn) expectClose() (frame.CloseCode, string) {
	c.t.Helper()
	for {
		h, p, err := c.readFrame()
		if err != nil {
			c.t.Fatalf("waiting for a close frame: %v", err)
		}
		if h.Op != frame.OpClose {
			continue
		}
		code, reason, err := frame.ParseClose(p)
		if err != nil {
			c.t.Fatalf("bad close payload %x: %v", p, err)
		}
		return code, string(reason)
	}
}

// expectEOF checks that the server closes the TCP connection within d.
func (c *rawConn) expectEOF(d time.Duration) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	var buf [512]byte
	for {
		_, err := c.br.Read(buf[:])
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("server did not close the connection within %v", d)
		}
		return // io.EOF, or a reset: either way the server closed
	}
}

// clip shortens a payload for a failure message.
func clip(p []byte) string {
	if len(p) > 40 {
		return string(p[:40]) + "..."
	}
	return string(p)
}

// startServer starts srv on a loopback port and closes it when the test ends.
func startServer(t testing.TB, srv *engine.Server) string {
	t.Helper()
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Addr().String()
}

// waitFor polls cond every few milliseconds until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !eventually(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// eventually polls cond until it holds or d passes, and reports whether it
// held, for callers whose failure message needs what cond saw.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// recorder is an event-style handler that echoes and records what happens
// to its sessions.
type recorder struct {
	mu      sync.Mutex
	opened  int
	msgs    int
	errs    []error
	reasons []session.CloseReason
	closed  chan *session.Session
}

func newRecorder() *recorder { return &recorder{closed: make(chan *session.Session, 64)} }

func (r *recorder) OnOpen(*session.Session) {
	r.mu.Lock()
	r.opened++
	r.mu.Unlock()
}

func (r *recorder) OnMessage(s *session.Session, f session.Frame) {
	r.mu.Lock()
	r.msgs++
	r.mu.Unlock()
	_ = s.Send(context.Background(), f)
}

func (r *recorder) OnError(_ *session.Session, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *recorder) OnClose(s *session.Session, cr session.CloseReason) {
	r.mu.Lock()
	r.reasons = append(r.reasons, cr)
	r.mu.Unlock()
	r.closed <- s
}

// count returns how many sessions were opened.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opened
}

// messages returns how many messages the handler got.
func (r *recorder) messages() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msgs
}

// waitClosed waits for the next session to end and returns its close reason
// and the errors reported so far.
func (r *recorder) waitClosed(t testing.TB) (session.CloseReason, []error) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(ioTimeout):
		t.Fatal("session did not end")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reasons[len(r.reasons)-1], append([]error(nil), r.errs...)
}
