package engine_test

import (
	"bytes"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// newEchoServer starts an event-style echo server with cfg at /echo only.
func newEchoServer(t *testing.T, cfg engine.Config) (*engine.Server, *recorder, string) {
	t.Helper()
	if cfg.Reactor.Loops == 0 {
		cfg.Reactor.Loops = 2
	}
	srv := engine.New(cfg)
	rec := newRecorder()
	srv.HandleEvents("/echo", rec)
	return srv, rec, startServer(t, srv)
}

func TestSplitWrites(t *testing.T) {
	srv, _, addr := newEchoServer(t, engine.Config{})
	c := dialRaw(t, "tcp", addr)
	// Every byte of the handshake and of the frames arrives in its own
	// read: header parsing, frame headers, extended lengths and masked
	// payloads must all resume across reads (§5.2).
	c.writeSlowly(upgradeRequest("/echo"), 200*time.Microsecond)
	c.expectSwitch()

	long := bytes.Repeat([]byte("0123456789"), 20) // 16-bit length form
	var msg []byte
	msg = append(msg, clientFrame(true, frame.OpText, []byte("héllo"))...)
	msg = append(msg, clientFrame(false, frame.OpBinary, long[:70])...)
	msg = append(msg, clientFrame(true, frame.OpPing, []byte("mid"))...) // between fragments (§5.4)
	msg = append(msg, clientFrame(true, frame.OpContinuation, long[70:])...)
	c.writeSlowly(msg, 200*time.Microsecond)

	c.expectFrame(frame.OpText, []byte("héllo"))
	c.expectFrame(frame.OpPong, []byte("mid"))
	c.expectFrame(frame.OpBinary, long)
	if n := srv.Stats().Conns; n != 1 {
		t.Fatalf("Conns() = %d, want 1", n)
	}
}

func TestPipelinedFrames(t *testing.T) {
	cases := []struct {
		name     string
		withHead bool // the handshake and the frames in one write
	}{
		{"frames in one write", false},
		{"handshake and frames in one write", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, rec, addr := newEchoServer(t, engine.Config{})
			c := dialRaw(t, "tcp", addr)
			const n = 200
			var b []byte
			if tc.withHead {
				b = upgradeRequest("/echo")
			} else {
				c.write(upgradeRequest("/echo"))
				c.expectSwitch()
			}
			for i := 0; i < n; i++ {
				b = append(b, clientFrame(true, frame.OpText, []byte(strings.Repeat("x", i)))...)
			}
			c.write(b)
			if tc.withHead {
				c.expectSwitch()
			}
			for i := 0; i < n; i++ {
				c.expectFrame(frame.OpText, []byte(strings.Repeat("x", i)))
			}
			if got := rec.messages(); got != n {
				t.Fatalf("handler got %d messages, want %d", got, n)
			}
		})
	}
}

func TestBadHandshake(t *testing.T) {
	const limit = 1024
	good := string(upgradeRequest("/echo"))
	cases := []struct {
		name    string
		req     string
		status  int
		header  [2]string // a response header that must be present
		inBody  string    // text the body must contain
		origins bool      // install the CheckOrigin hook
	}{
		{name: "no key", req: strings.Replace(good, "Sec-WebSocket-Key: "+testKey+"\r\n", "", 1),
			status: http.StatusBadRequest, inBody: "Sec-WebSocket-Key"},
		{name: "no upgrade header", req: strings.Replace(good, "Upgrade: websocket\r\n", "", 1),
			status: http.StatusBadRequest, inBody: "Upgrade"},
		{name: "garbage", req: "HELLO\x00 WORLD\r\n\r\n", status: http.StatusBadRequest, inBody: "malformed"},
		{name: "refused origin", req: strings.Replace(good, "\r\n\r\n", "\r\nOrigin: https://evil.example\r\n\r\n", 1),
			status: http.StatusForbidden, inBody: "origin", origins: true},
		{name: "version 8", req: strings.Replace(good, "Version: 13", "Version: 8", 1),
			status: http.StatusUpgradeRequired, header: [2]string{"Sec-WebSocket-Version", "13"}},
		{name: "no route", req: strings.Replace(good, "GET /echo ", "GET /nope ", 1),
			status: http.StatusNotFound, inBody: "no WebSocket endpoint"},
		{name: "POST", req: strings.Replace(good, "GET ", "POST ", 1),
			status: http.StatusMethodNotAllowed, header: [2]string{"Allow", "GET"}},
		{name: "huge header", req: strings.Replace(good, "\r\n\r\n", "\r\nX-Big: "+strings.Repeat("b", 2*limit)+"\r\n\r\n", 1),
			status: http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := engine.Config{MaxHeaderBytes: limit}
			if tc.origins {
				cfg.CheckOrigin = func(origin, host string) bool { return origin == "https://good.example" }
			}
			srv, rec, addr := newEchoServer(t, cfg)
			c := dialRaw(t, "tcp", addr)
			c.write([]byte(tc.req))
			resp, body := c.response()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.status)
			}
			if tc.header[0] != "" && resp.Header.Get(tc.header[0]) != tc.header[1] {
				t.Fatalf("header %s = %q, want %q", tc.header[0], resp.Header.Get(tc.header[0]), tc.header[1])
			}
			if body == "" || !strings.Contains(body, tc.inBody) {
				t.Fatalf("body %q, want a reason containing %q", body, tc.inBody)
			}
			c.expectEOF(ioTimeout)
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
			if rec.count() != 0 {
				t.Fatal("a session was opened for a refused handshake")
			}
		})
	}
	t.Run("allowed origin", func(t *testing.T) {
		cfg := engine.Config{CheckOrigin: func(origin, host string) bool {
			return origin == "https://good.example" && host == "surge.test"
		}}
		_, _, addr := newEchoServer(t, cfg)
		c := dialRaw(t, "tcp", addr)
		c.write(upgradeRequest("/echo", "Origin: https://good.example"))
		c.expectSwitch()
	})
}

func TestSlowloris(t *testing.T) {
	const (
		timeout = 300 * time.Millisecond
		// tick is the resolution of the loops' timing wheels: a deadline
		// may fire up to one tick early.
		tick = 10 * time.Millisecond
	)
	cases := []struct {
		name string
		send func(c *rawConn, stop <-chan struct{})
	}{
		{"silent", func(*rawConn, <-chan struct{}) {}},
		{"header byte by byte", func(c *rawConn, stop <-chan struct{}) {
			req := upgradeRequest("/echo", "X-Pad: "+strings.Repeat("p", 200))
			for i := range req[:len(req)-1] { // never finishes the head
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := c.nc.Write(req[i : i+1]); err != nil {
					return
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, rec, addr := newEchoServer(t, engine.Config{HandshakeTimeout: timeout})
			start := time.Now()
			c := dialRaw(t, "tcp", addr)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { defer close(done); tc.send(c, stop) }()
			c.expectEOF(10 * timeout)
			close(stop)
			<-done
			took := time.Since(start)
			if took < timeout-tick || took > 10*timeout {
				t.Fatalf("dropped after %v, want about %v", took, timeout)
			}
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
			if rec.count() != 0 {
				t.Fatal("a session was opened")
			}
		})
	}
}

// openFDs counts the process's open file descriptors (Linux only).
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func TestPeerVanishesMidFrame(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts fds in /proc")
	}
	cases := []struct {
		name string
		tail []byte // what the peer sends before vanishing
	}{
		{"mid header", clientFrame(true, frame.OpBinary, make([]byte, 300))[:3]},
		{"mid payload", clientFrame(true, frame.OpBinary, make([]byte, 1000))[:100]},
		{"mid fragmented message", append(clientFrame(false, frame.OpText, []byte("abc")),
			clientFrame(true, frame.OpContinuation, []byte("defgh"))[:8]...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"inline", "pool"} {
				t.Run(mode, func(t *testing.T) {
					cfg := engine.Config{}
					if mode == "pool" {
						cfg.Session.Dispatch = session.DispatchPool
						cfg.Reactor.Workers = 2
					}
					srv, rec, addr := newEchoServer(t, cfg)
					before := openFDs(t)
					c := upgradeRaw(t, addr, "/echo")
					c.write(tc.tail)
					time.Sleep(20 * time.Millisecond) // let the loop keep the partial frame
					_ = c.nc.Close()

					r, errs := rec.waitClosed(t)
					if r.Code != frame.CloseAbnormal {
						t.Fatalf("close reason %v, want 1006", r)
					}
					if len(errs) != 1 {
						t.Fatalf("OnError called %d times (%v), want once", len(errs), errs)
					}
					waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
					waitFor(t, ioTimeout, "the server fd closed", func() bool { return openFDs(t) <= before })
				})
			}
		})
	}
}

func TestProtocolErrorsOnTheWire(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
		code  frame.CloseCode
	}{
		{"unmasked client frame", unmaskedFrame(frame.OpText, []byte("hi")), frame.CloseProtocolError},
		{"invalid UTF-8", clientFrame(true, frame.OpText, []byte{'o', 'k', 0xff, 0xfe}), frame.CloseInvalidPayload},
		{"invalid UTF-8 across fragments", append(clientFrame(false, frame.OpText, []byte{'a', 0xe2, 0x82}),
			clientFrame(true, frame.OpContinuation, []byte{'x'})...), frame.CloseInvalidPayload},
		{"oversize message", clientFrame(true, frame.OpBinary, make([]byte, 2000)), frame.CloseMessageTooBig},
		{"oversize fragmented message", append(clientFrame(false, frame.OpBinary, make([]byte, 1000)),
			clientFrame(true, frame.OpContinuation, make([]byte, 1000))...), frame.CloseMessageTooBig},
		{"reserved opcode", clientFrame(true, 0x3, nil), frame.CloseProtocolError},
		{"long ping", clientFrame(true, frame.OpPing, make([]byte, 126)), frame.CloseProtocolError},
		{"continuation without a message", clientFrame(true, frame.OpContinuation, []byte("x")), frame.CloseProtocolError},
		{"RSV1 without extension", func() []byte {
			b := clientFrame(true, frame.OpText, []byte("x"))
			b[0] |= frame.Rsv1
			return b
		}(), frame.CloseProtocolError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const closeTimeout = time.Second
			srv, rec, addr := newEchoServer(t, engine.Config{Session: session.Config{MaxMessageSize: 1024, CloseTimeout: closeTimeout}})
			c := upgradeRaw(t, addr, "/echo")
			c.write(tc.frame)
			code, _ := c.expectClose()
			if code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			// Complete the closing handshake: the server then closes TCP
			// (§7.1.1), at the latest when its close timeout passes.
			c.write(clientFrame(true, frame.OpClose, closePayload(code, "")))
			c.expectEOF(closeTimeout + time.Second)
			r, errs := rec.waitClosed(t)
			if r.Code != tc.code || len(errs) == 0 {
				t.Fatalf("server session ended with %v, errors %v; want code %d", r, errs, tc.code)
			}
			if code, ok := frame.CloseCodeOf(errs[0]); !ok || code != tc.code {
				t.Fatalf("OnError got %v, want a *frame.CloseReason with code %d", errs[0], tc.code)
			}
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
		})
	}
}

func TestPingPong(t *testing.T) {
	_, _, addr := newEchoServer(t, engine.Config{})
	c := upgradeRaw(t, addr, "/echo")
	for _, p := range [][]byte{nil, []byte("ping payload"), bytes.Repeat([]byte{0xa5}, frame.MaxControlPayload)} {
		c.write(clientFrame(true, frame.OpPing, p))
		c.expectFrame(frame.OpPong, p)
	}
}

func TestCloseEcho(t *testing.T) {
	cases := []struct {
		name   string
		code   frame.CloseCode
		reason string
	}{
		{"normal", frame.CloseNormal, "bye"},
		{"private code", closePrivate, "app says so"},
		{"no status", frame.CloseNoStatus, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, rec, addr := newEchoServer(t, engine.Config{})
			c := upgradeRaw(t, addr, "/echo")
			c.write(clientFrame(true, frame.OpClose, closePayload(tc.code, tc.reason)))
			code, reason := c.expectClose()
			if code != tc.code || (tc.code != frame.CloseNoStatus && reason != tc.reason) {
				t.Fatalf("echoed close %d %q, want %d %q", code, reason, tc.code, tc.reason)
			}
			c.expectEOF(time.Second)
			r, errs := rec.waitClosed(t)
			if r.Code != tc.code || len(errs) != 0 {
				t.Fatalf("server session ended with %v errors %v, want %d and no error", r, errs, tc.code)
			}
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
		})
	}
}

// TestMaxConns: connections over Config.MaxConns, handshaking ones
// included, are refused with 503 at once; a slot freed by a closed
// connection is taken by the next one.
func TestMaxConns(t *testing.T) {
	const limit = 2
	srv, rec, addr := newEchoServer(t, engine.Config{MaxConns: limit})
	upgraded := upgradeRaw(t, addr, "/echo")
	handshaking := dialRaw(t, "tcp", addr) // counts before its request
	waitFor(t, ioTimeout, "Conns() == limit", func() bool { return srv.Stats().Conns == limit })

	over := dialRaw(t, "tcp", addr)
	resp, _ := over.response()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("connection over MaxConns answered %d, want 503", resp.StatusCode)
	}
	over.expectEOF(ioTimeout)
	if n := srv.Stats().Conns; n != limit {
		t.Fatalf("Conns() = %d after a refusal, want %d", n, limit)
	}

	// The two within the limit work.
	handshaking.write(upgradeRequest("/echo"))
	handshaking.expectSwitch()
	for _, c := range []*rawConn{upgraded, handshaking} {
		c.write(clientFrame(true, frame.OpText, []byte("in")))
		c.expectFrame(frame.OpText, []byte("in"))
	}

	// Freeing a slot lets the next connection in.
	upgraded.write(clientFrame(true, frame.OpClose, closePayload(frame.CloseNormal, "")))
	upgraded.expectClose()
	upgraded.expectEOF(ioTimeout)
	rec.waitClosed(t)
	waitFor(t, ioTimeout, "Conns() == limit-1", func() bool { return srv.Stats().Conns == limit-1 })
	next := upgradeRaw(t, addr, "/echo")
	next.write(clientFrame(true, frame.OpText, []byte("next")))
	next.expectFrame(frame.OpText, []byte("next"))
}
