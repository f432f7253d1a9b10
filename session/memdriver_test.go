package session_test

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/mask"
	"github.com/surgews/surge/session"
)

// newRoute is the constructor package session registers for drivers, with
// the type package seam documents: it binds a route's configuration,
// handler (nil: channel style), channel-style function, server value and
// pool (nil: the process-wide one), and returns the route's session maker.
var newRoute = seam.NewRoute.(func(*session.Config, session.Handler, func(*session.Session), any, seam.Pool) func(seam.Role, seam.Driver, session.Request) (*session.Session, seam.Endpoint))

// sessionMaker makes one session of a route on a driver, as a driver does
// for each connection.
type sessionMaker = func(seam.Role, seam.Driver, session.Request) (*session.Session, seam.Endpoint)

// newSession returns a started session of a route of its own with cfg and h
// (nil h: channel style) on d, and the driver's side of it.
func newSession(t testing.TB, cfg session.Config, h session.Handler, role seam.Role, d seam.Driver, req *session.Request) (*session.Session, seam.Endpoint) {
	t.Helper()
	return startSession(newRoute(&cfg, h, nil, nil, nil), role, d, req)
}

// startSession makes a session of the route mk on d and starts it, as a
// driver does once the handshake is done.
func startSession(mk sessionMaker, role seam.Role, d seam.Driver, req *session.Request) (*session.Session, seam.Endpoint) {
	var r session.Request
	if req != nil {
		r = *req
	}
	if r.Remote.IsValid() {
		// Drivers own the peer's address (seam.Driver.Remote).
		d = remoteDriver{d, r.Remote}
	}
	s, ep := mk(role, d, r)
	var head []byte
	if role == seam.Server {
		head = []byte(testHead)
	}
	ep.Start(head)
	return s, ep
}

// remoteDriver reports a peer address for a driver that has none.
type remoteDriver struct {
	seam.Driver
	remote netip.AddrPort
}

func (d remoteDriver) Remote() netip.AddrPort { return d.remote }

// testHead is the request head a test server session starts with.
const testHead = "GET /test?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: surge-test/1\r\n" +
	"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Version: 13\r\nCookie: a=1\r\nCookie: b=2\r\nAuthorization: Bearer t0k3n\r\n\r\n"

// memDriver is an in-memory seam.Driver: it records what the session writes
// and asks for, and can refuse bytes the way a non-blocking socket does, so
// tests can drive the session exactly as a real driver would (through its
// seam.Endpoint: Feed, Writable, Timer, Closed) from the test goroutine. Like a real driver it never calls back into
// the session from inside a Driver method; a test that wants writability
// reported asynchronously starts pumpWritable.
type memDriver struct {
	mu sync.Mutex
	// chunk caps the bytes one Write accepts (a short write); 0 means no cap.
	chunk int
	// blocked makes Write accept nothing, like EAGAIN.
	blocked bool
	// writeErr, when set, is returned by every Write.
	writeErr error

	out        bytes.Buffer
	writes     int
	wantWrite  int
	pauses     []bool
	timers     []time.Duration
	closes     int
	flushes    []bool        // the flush argument of each CloseTransport
	wantCh     chan struct{} // gets a token per WantWrite, when non-nil
	transport  chan struct{} // closed at the first CloseTransport
	transportO sync.Once
	ctr        *counters.Set // what Counters returns; nil unless a test sets it
}

func newMemDriver() *memDriver {
	return &memDriver{transport: make(chan struct{})}
}

func (d *memDriver) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	if d.writeErr != nil {
		return 0, d.writeErr
	}
	n := len(b)
	if d.blocked {
		n = 0
	}
	if d.chunk > 0 && n > d.chunk {
		n = d.chunk
	}
	d.out.Write(b[:n])
	return n, nil
}

func (d *memDriver) WantWrite() {
	d.mu.Lock()
	d.wantWrite++
	ch := d.wantCh
	d.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (d *memDriver) PauseRead(p bool) {
	d.mu.Lock()
	d.pauses = append(d.pauses, p)
	d.mu.Unlock()
}

func (d *memDriver) SetTimer(t time.Duration) {
	d.mu.Lock()
	d.timers = append(d.timers, t)
	d.mu.Unlock()
}

// Counters returns the counters a test gave the driver, nil by default.
func (d *memDriver) Counters() *counters.Set { return d.ctr }

// Remote returns no address; startSession wraps a driver to report one.
func (d *memDriver) Remote() netip.AddrPort { return netip.AddrPort{} }

func (d *memDriver) CloseTransport(flush bool) {
	d.mu.Lock()
	d.closes++
	d.flushes = append(d.flushes, flush)
	d.mu.Unlock()
	d.transportO.Do(func() { close(d.transport) })
}

// setBlocked switches EAGAIN mode on or off.
func (d *memDriver) setBlocked(b bool) {
	d.mu.Lock()
	d.blocked = b
	d.mu.Unlock()
}

// bytes returns a copy of everything written so far.
func (d *memDriver) bytes() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return bytes.Clone(d.out.Bytes())
}

// frames decodes everything written so far.
func (d *memDriver) frames(t testing.TB) []wireFrame {
	t.Helper()
	return parseWire(t, d.bytes())
}

func (d *memDriver) closeCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closes
}

// wantTransportClosed fails the test unless CloseTransport was called once,
// with flush (a closing handshake: what was written, the close frame, goes
// out first) or without (the connection is dropped at once).
func wantTransportClosed(t testing.TB, d *memDriver, flush bool, when string) {
	t.Helper()
	if n := d.closeCount(); n != 1 {
		t.Fatalf("%s: CloseTransport called %d times, want 1", when, n)
	}
	if got, _ := d.closedFlush(); got != flush {
		t.Fatalf("%s: CloseTransport(flush=%v), want flush=%v", when, got, flush)
	}
}

// closedFlush reports the flush argument of the first CloseTransport, and
// whether there was one: true for a closing handshake whose close frame is
// to be written, false for a connection dropped at once.
func (d *memDriver) closedFlush() (flush, closed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.flushes) == 0 {
		return false, false
	}
	return d.flushes[0], true
}

func (d *memDriver) wantWrites() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wantWrite
}

func (d *memDriver) pauseLog() []bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]bool(nil), d.pauses...)
}

// lastTimer returns the last SetTimer argument, or -1 if none.
func (d *memDriver) lastTimer() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.timers) == 0 {
		return -1
	}
	return d.timers[len(d.timers)-1]
}

// pumpWritable starts a goroutine that plays the event loop: every WantWrite
// is answered by ep.Writable, later and from another goroutine. It stops when
// stop is closed.
func (d *memDriver) pumpWritable(ep seam.Endpoint, stop <-chan struct{}) {
	d.mu.Lock()
	d.wantCh = make(chan struct{}, 1)
	ch := d.wantCh
	d.mu.Unlock()
	go func() {
		for {
			select {
			case <-ch:
				ep.Writable()
			case <-stop:
				return
			}
		}
	}()
}

// discardDriver accepts every write and remembers nothing but counts, for
// allocation gates and benchmarks: a recording driver would allocate itself.
type discardDriver struct {
	mu     sync.Mutex
	n      int64
	frames int64
	ctr    *counters.Set // what Counters returns; nil unless a test sets it
}

func (d *discardDriver) Write(b []byte) (int, error) {
	d.mu.Lock()
	d.n += int64(len(b))
	d.frames++
	d.mu.Unlock()
	return len(b), nil
}
func (d *discardDriver) WantWrite()              {}
func (d *discardDriver) PauseRead(bool)          {}
func (d *discardDriver) SetTimer(time.Duration)  {}
func (d *discardDriver) CloseTransport(bool)     {}
func (d *discardDriver) Counters() *counters.Set { return d.ctr }
func (d *discardDriver) Remote() netip.AddrPort  { return netip.AddrPort{} }

func (d *discardDriver) count() (bytes, frames int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n, d.frames
}

// nopDriver is a stateless driver; as a zero-size value in an interface it
// costs no memory, so idle-session measurements count only the session.
type nopDriver struct{}

func (nopDriver) Write(b []byte) (int, error) { return len(b), nil }
func (nopDriver) WantWrite()                  {}
func (nopDriver) PauseRead(bool)              {}
func (nopDriver) SetTimer(time.Duration)      {}
func (nopDriver) CloseTransport(bool)         {}
func (nopDriver) Counters() *counters.Set     { return nil }
func (nopDriver) Remote() netip.AddrPort      { return netip.AddrPort{} }

// wireFrame is one frame read back from the written byte stream, unmasked.
type wireFrame struct {
	frame.Header
	Payload []byte
}

// parseWire decodes a stream of whole frames with frame.DecodeHeader; it
// fails the test on a truncated or undecodable stream.
func parseWire(t testing.TB, b []byte) []wireFrame {
	t.Helper()
	var fs []wireFrame
	for len(b) > 0 {
		var h frame.Header
		n, need, err := frame.DecodeHeader(b, &h)
		if err != nil || need > 0 {
			t.Fatalf("written stream: bad header at %d bytes from the end: need %d, err %v", len(b), need, err)
		}
		b = b[n:]
		if int64(len(b)) < h.Length {
			t.Fatalf("written stream: frame %v wants %d payload bytes, %d left", h.Op, h.Length, len(b))
		}
		p := bytes.Clone(b[:h.Length])
		if h.Masked {
			mask.XOR(p, h.Key, 0)
		}
		fs = append(fs, wireFrame{Header: h, Payload: p})
		b = b[h.Length:]
	}
	return fs
}

// testKey is the masking key the simulated client uses.
var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// wf describes one frame a simulated peer sends.
type wf struct {
	op      frame.Opcode
	fin     bool
	rsv     byte
	payload []byte
	// unmasked sends a client frame without a mask (a violation).
	unmasked bool
	// masked sends a server frame with a mask (a violation unless the
	// client allows it).
	masked bool
	// length overrides the header's length when non-zero, for headers
	// that lie about their payload.
	length int64
}

// encodeFrom encodes frames as the peer of a session with role would send
// them: masked with testKey towards a server, unmasked towards a client.
func encodeFrom(role seam.Role, frames ...wf) []byte {
	var b []byte
	for _, f := range frames {
		h := frame.Header{Fin: f.fin, Rsv: f.rsv, Op: f.op, Length: int64(len(f.payload))}
		if f.length != 0 {
			h.Length = f.length
		}
		if (role == seam.Server && !f.unmasked) || (role == seam.Client && f.masked) {
			h.Masked, h.Key = true, testKey
		}
		b = frame.AppendHeader(b, &h)
		n := len(b)
		b = append(b, f.payload...)
		if h.Masked {
			mask.XOR(b[n:], h.Key, 0)
		}
	}
	return b
}

// msg is a final data frame.
func msg(op frame.Opcode, p string) wf { return wf{op: op, fin: true, payload: []byte(p)} }

// frag is a fragment of a message.
func frag(op frame.Opcode, fin bool, p string) wf { return wf{op: op, fin: fin, payload: []byte(p)} }

// closeFrame is a close frame with a raw payload.
func closeFrame(p []byte) wf { return wf{op: frame.OpClose, fin: true, payload: p} }

// closePayload is the payload of a close frame carrying code and reason.
func closePayload(code frame.CloseCode, reason string) []byte {
	return frame.AppendClose(nil, code, reason)
}

// event is one handler call as the recorder saw it.
type event struct {
	kind string // open, message, error, close
	op   frame.Opcode
	data string
	err  error
	rsn  session.CloseReason
}

// recorder is an event-style Handler that records every call, copying
// payloads (they are only valid during OnMessage). closed is closed by
// OnClose. onMessage, when set, runs after recording.
type recorder struct {
	mu        sync.Mutex
	evs       []event
	closed    chan struct{}
	onMessage func(s *session.Session, f session.Frame)
}

func newRecorder() *recorder { return &recorder{closed: make(chan struct{})} }

func (r *recorder) add(e event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *recorder) OnOpen(*session.Session) { r.add(event{kind: "open"}) }

func (r *recorder) OnMessage(s *session.Session, f session.Frame) {
	r.add(event{kind: "message", op: f.Op, data: string(f.Payload)})
	if r.onMessage != nil {
		r.onMessage(s, f)
	}
}

func (r *recorder) OnError(_ *session.Session, err error) { r.add(event{kind: "error", err: err}) }

func (r *recorder) OnClose(_ *session.Session, rsn session.CloseReason) {
	r.add(event{kind: "close", rsn: rsn})
	close(r.closed)
}

func (r *recorder) events() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.evs...)
}

// messages returns the payloads of the recorded messages, prefixed with
// "t:" for text and "b:" for binary.
func (r *recorder) messages() []string {
	var out []string
	for _, e := range r.events() {
		if e.kind == "message" {
			out = append(out, opTag(e.op)+e.data)
		}
	}
	return out
}

// kinds returns the sequence of event kinds.
func (r *recorder) kinds() []string {
	var out []string
	for _, e := range r.events() {
		out = append(out, e.kind)
	}
	return out
}

func opTag(op frame.Opcode) string {
	switch op {
	case frame.OpText:
		return "t:"
	case frame.OpBinary:
		return "b:"
	}
	return op.String() + ":"
}

// newEventSession returns a started event-style session on a fresh
// memDriver, its endpoint, and the recorder that is its handler; cfg.Dispatch
// says where the handler runs (the process-wide pool for DispatchPool).
func newEventSession(t testing.TB, cfg session.Config, role seam.Role) (*session.Session, seam.Endpoint, *memDriver, *recorder) {
	t.Helper()
	rec := newRecorder()
	d := newMemDriver()
	s, ep := newSession(t, cfg, rec, role, d, &session.Request{Path: "/test"})
	return s, ep, d, rec
}

// defaultTimeout is the documented default of Config.Timeout (Ktor's), which
// a zero Config must give; CloseTimeout defaults to it too.
const defaultTimeout = 15 * time.Second

// defaultMaxMessageSize is the documented default of Config.MaxMessageSize,
// which MaxFrameSize defaults to.
const defaultMaxMessageSize = 32 << 20

// closeCode returns the close code err carries, 0 if none.
func closeCode(err error) frame.CloseCode {
	c, _ := frame.CloseCodeOf(err)
	return c
}

// control returns a final control frame of op that borrows p.
func control(op frame.Opcode, p []byte) session.Frame {
	return session.Frame{Fin: true, Op: op, Payload: p}
}

// closeMsg returns a close frame carrying code and reason, as an application
// builds one to Send.
func closeMsg(code frame.CloseCode, reason string) session.Frame {
	return control(frame.OpClose, frame.AppendClose(nil, code, reason))
}

func roleName(r seam.Role) string {
	if r == seam.Client {
		return "client"
	}
	return "server"
}

// roles are both ends, for tests that run on each.
var roles = []seam.Role{seam.Server, seam.Client}

// waitClosed waits for ch with a bound, so a broken session fails the test
// instead of hanging it.
func waitClosed(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
