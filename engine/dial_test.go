package engine_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// The Dial tests run the client against the surge server, for what a real
// server negotiates, and against raw-byte servers written here, for what a
// broken or hostile one may answer. The raw servers compute
// Sec-WebSocket-Accept with their own reference code (dialAcceptFor), not the
// engine's, so one bug cannot hide another.

// dialWait bounds each wait of these tests.
const dialWait = 5 * time.Second

// dialAcceptFor is Sec-WebSocket-Accept for key (RFC 6455 §4.2.2 item 5.4),
// straight from the RFC.
func dialAcceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// dialSwitch is a valid 101 answer to key, with extra header lines.
func dialSwitch(key string, extra ...string) string {
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + dialAcceptFor(key) + "\r\n"
	for _, e := range extra {
		s += e + "\r\n"
	}
	return s + "\r\n"
}

// rawPeer is the server end of one connection of a rawServer.
type rawPeer struct {
	net.Conn
	br  *bufio.Reader
	req *http.Request
}

// rawServer listens on 127.0.0.1 (with TLS if tc is set), reads each
// connection's upgrade request and hands the connection to serve. The
// connections and the listener are closed when the test ends.
func rawServer(t *testing.T, tc *tls.Config, serve func(p *rawPeer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			finished := make(chan struct{})
			go func() {
				defer close(finished)
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(dialWait))
				br := bufio.NewReader(nc)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				serve(&rawPeer{Conn: nc, br: br, req: req})
			}()
			// Serve one connection at a time: the tests dial once or in turn,
			// and waiting here keeps every goroutine inside the cleanup.
			<-finished
		}
	}()
	return ln.Addr().String()
}

// key is the client's Sec-WebSocket-Key.
func (p *rawPeer) key() string { return p.req.Header.Get("Sec-WebSocket-Key") }

// holdOpen keeps the connection until the client closes it and reports
// whether it did within dialWait.
func (p *rawPeer) holdOpen() bool {
	_ = p.SetReadDeadline(time.Now().Add(dialWait))
	_, err := io.Copy(io.Discard, p.br)
	return err == nil // EOF: the client closed
}

// testTLS returns a server and a client TLS config that trust each other,
// taken from an httptest TLS server.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	server = ts.TLS.Clone()
	client = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	ts.Close()
	return server, client
}

// TestDialWrongServers dials raw servers that do not accept the upgrade
// properly. Every handshake failure is a *engine.HandshakeError whose
// StatusCode says how the server answered (its status when it refused, 101
// when its upgrade breaks RFC 6455 §4.1, 0 when the answer is not valid
// HTTP) and whose Reason names the cause.
func TestDialWrongServers(t *testing.T) {
	cases := []struct {
		name   string
		offer  []string // subprotocols the client offers
		answer func(key string) string
		status int    // HandshakeError.StatusCode
		reason string // text HandshakeError.Reason must contain
		anyErr bool   // not a handshake answer: only an error is required
	}{
		{
			name:   "status_403",
			answer: func(string) string { return "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n" },
			status: http.StatusForbidden, reason: "Forbidden",
		},
		{
			name: "status_200_from_a_web_server",
			answer: func(string) string {
				return "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
			},
			status: http.StatusOK, reason: "OK",
		},
		{
			name: "missing_accept",
			answer: func(string) string {
				return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
			},
			status: http.StatusSwitchingProtocols, reason: "Sec-WebSocket-Accept",
		},
		{
			name: "wrong_accept",
			answer: func(key string) string {
				return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + dialAcceptFor("x"+key) + "\r\n\r\n"
			},
			status: http.StatusSwitchingProtocols, reason: "Sec-WebSocket-Accept",
		},
		{
			name: "accept_of_the_raw_key",
			answer: func(key string) string {
				return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + key + "\r\n\r\n"
			},
			status: http.StatusSwitchingProtocols, reason: "Sec-WebSocket-Accept",
		},
		{
			name:   "protocol_not_offered",
			offer:  []string{"chat.v1"},
			answer: func(key string) string { return dialSwitch(key, "Sec-WebSocket-Protocol: chat.v2") },
			status: http.StatusSwitchingProtocols, reason: "subprotocol",
		},
		{
			name:   "protocol_when_none_offered",
			answer: func(key string) string { return dialSwitch(key, "Sec-WebSocket-Protocol: chat.v1") },
			status: http.StatusSwitchingProtocols, reason: "subprotocol",
		},
		{
			name:   "extension_not_offered",
			answer: func(key string) string { return dialSwitch(key, "Sec-WebSocket-Extensions: permessage-deflate") },
			status: http.StatusSwitchingProtocols, reason: "extension",
		},
		{
			name: "no_upgrade_header",
			answer: func(key string) string {
				return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + dialAcceptFor(key) + "\r\n\r\n"
			},
			status: http.StatusSwitchingProtocols, reason: "Upgrade: websocket",
		},
		{
			name: "no_connection_header",
			answer: func(key string) string {
				return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + dialAcceptFor(key) + "\r\n\r\n"
			},
			status: http.StatusSwitchingProtocols, reason: "Connection: Upgrade",
		},
		{
			name:   "garbage",
			answer: func(string) string { return "SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02\r\n\r\n" },
			status: 0, reason: "malformed",
		},
		{
			name:   "http_1_0",
			answer: func(key string) string { return strings.Replace(dialSwitch(key), "HTTP/1.1", "HTTP/1.0", 1) },
			status: 0, reason: "malformed",
		},
		{
			name:   "endless_head",
			answer: func(string) string { return "HTTP/1.1 101 Switching Protocols\r\nX: " + strings.Repeat("a", 64<<10) },
			status: 0, reason: "head",
		},
		{
			name:   "closed_without_answer",
			answer: func(string) string { return "" },
			anyErr: true,
		},
		{
			name:   "half_an_answer_then_close",
			answer: func(string) string { return "HTTP/1.1 101 Switching Protocols\r\nUpgr" },
			anyErr: true,
		},
	}
	srvTLS, cliTLS := testTLS(t)
	for _, scheme := range []string{"ws", "wss"} {
		for _, tc := range cases {
			t.Run(scheme+"/"+tc.name, func(t *testing.T) {
				var tlsCfg *tls.Config
				if scheme == "wss" {
					tlsCfg = srvTLS
				}
				addr := rawServer(t, tlsCfg, func(p *rawPeer) {
					_, _ = io.WriteString(p, tc.answer(p.key()))
				})
				ctx, cancel := context.WithTimeout(context.Background(), dialWait)
				defer cancel()
				url := scheme + "://" + addr + "/chat"
				c, err := engine.Dial(ctx, url, &engine.DialOptions{Protocols: tc.offer, TLSConfig: cliTLS})
				if err == nil {
					c.Terminate()
					t.Fatal("Dial succeeded")
				}
				if ctx.Err() != nil {
					t.Fatalf("Dial ran into the test's deadline: %v", err)
				}
				if !strings.Contains(err.Error(), url) {
					t.Errorf("error %q does not name the URL", err)
				}
				if tc.anyErr {
					return
				}
				checkHandshakeError(t, err, tc.status, tc.reason)
			})
		}
	}
}

// checkHandshakeError checks that err holds a *engine.HandshakeError with
// status whose Reason contains reason.
func checkHandshakeError(t *testing.T, err error, status int, reason string) {
	t.Helper()
	var he *engine.HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not a *engine.HandshakeError", err, err)
	}
	if he.StatusCode != status {
		t.Errorf("HandshakeError.StatusCode = %d, want %d (%v)", he.StatusCode, status, err)
	}
	if !strings.Contains(he.Reason, reason) {
		t.Errorf("HandshakeError.Reason = %q, want it to name %q", he.Reason, reason)
	}
}

// TestDialHandshakeError checks the error of Dial when the handshake
// fails, over both client drivers (the event loops, and the portable driver
// that NetDial selects): a surge server that refuses the origin answers 403
// and one with no route for the path 404, and a server whose 101 carries a
// wrong Sec-WebSocket-Accept gives StatusCode 101 with a Reason naming the
// header.
func TestDialHandshakeError(t *testing.T) {
	srv := engine.New(engine.Config{
		Reactor:     engine.ReactorConfig{Loops: 1},
		CheckOrigin: func(origin, _ string) bool { return origin != "https://evil.example" },
	})
	srv.HandleEvents("/chat", session.NopHandler{})
	surge := dialServe(t, srv)
	wrongAccept := rawServer(t, nil, func(p *rawPeer) {
		_, _ = io.WriteString(p, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+dialAcceptFor(p.key()+"x")+"\r\n\r\n")
		p.holdOpen()
	})
	cases := []struct {
		name   string
		url    string
		header http.Header
		status int
		reason string
	}{
		{"refused_origin", "ws://" + surge + "/chat", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden, "Forbidden"},
		{"no_route", "ws://" + surge + "/nowhere", nil, http.StatusNotFound, "Not Found"},
		{"wrong_accept", "ws://" + wrongAccept + "/chat", nil, http.StatusSwitchingProtocols, "Sec-WebSocket-Accept"},
	}
	for _, driver := range []string{"event_loop", "portable"} {
		for _, tc := range cases {
			t.Run(driver+"/"+tc.name, func(t *testing.T) {
				opts := &engine.DialOptions{Header: tc.header}
				if driver == "portable" {
					var nd net.Dialer
					opts.NetDial = nd.DialContext
				}
				ctx, cancel := context.WithTimeout(context.Background(), dialWait)
				defer cancel()
				c, err := engine.Dial(ctx, tc.url, opts)
				if err == nil {
					c.Terminate()
					t.Fatal("Dial succeeded")
				}
				checkHandshakeError(t, err, tc.status, tc.reason)
				if !strings.Contains(err.Error(), strconv.Itoa(tc.status)) || !strings.Contains(err.Error(), tc.url) {
					t.Errorf("error %q does not give the status and the URL", err)
				}
			})
		}
	}
	// The refusals left the server serving.
	c := dialSession(t, "ws://"+surge+"/chat", &engine.DialOptions{Header: http.Header{"Origin": {"https://ok.example"}}})
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
}

// TestDialTimeout dials servers that accept the connection and never answer:
// Dial must give up at the handshake timeout or the context's deadline, close
// the connection, and leave no goroutine behind.
func TestDialTimeout(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	cases := []struct {
		name    string
		scheme  string
		opts    engine.DialOptions
		ctxWait time.Duration
	}{
		{name: "ws_handshake_timeout", scheme: "ws", opts: engine.DialOptions{HandshakeTimeout: 200 * time.Millisecond}},
		{name: "ws_context_deadline", scheme: "ws", ctxWait: 200 * time.Millisecond},
		{name: "wss_handshake_timeout", scheme: "wss", opts: engine.DialOptions{HandshakeTimeout: 200 * time.Millisecond, TLSConfig: cliTLS}},
		{name: "wss_context_deadline", scheme: "wss", opts: engine.DialOptions{TLSConfig: cliTLS}, ctxWait: 200 * time.Millisecond},
	}
	// The default Dialer's loops start with the first Dial and stay: start
	// them before counting goroutines.
	dialWarmUp(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			// Registered first, so it runs after the raw server is gone.
			t.Cleanup(func() { dialNoLeak(t, before) })
			closedByClient := make(chan bool, 1)
			func() {
				var tlsCfg *tls.Config
				if tc.scheme == "wss" {
					tlsCfg = srvTLS
				}
				addr := rawServer(t, tlsCfg, func(p *rawPeer) { closedByClient <- p.holdOpen() })
				ctx := context.Background()
				if tc.ctxWait > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.ctxWait)
					defer cancel()
				}
				start := time.Now()
				c, err := engine.Dial(ctx, tc.scheme+"://"+addr+"/", &tc.opts)
				took := time.Since(start)
				if err == nil {
					c.Terminate()
					t.Fatal("Dial succeeded against a silent server")
				}
				if !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
					t.Errorf("error %v is neither context.DeadlineExceeded nor a timeout", err)
				}
				if took < 150*time.Millisecond || took > 2*time.Second {
					t.Errorf("Dial returned after %v, want about 200ms", took)
				}
				select {
				case ok := <-closedByClient:
					if !ok {
						t.Error("the client did not close the connection after giving up")
					}
				case <-time.After(dialWait + time.Second):
					t.Error("the raw server did not see the connection end")
				}
			}()
		})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dialWarmUp dials the surge server once so that the default Dialer's loops
// exist.
func dialWarmUp(t *testing.T) {
	t.Helper()
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", session.NopHandler{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dialWait)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Terminate()
	<-c.Done()
}

// dialNoLeak waits for the goroutine count to come back to before.
func dialNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, %d before the dial:\n%s", runtime.NumGoroutine(), before, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there any more
	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), dialWait)
			defer cancel()
			start := time.Now()
			c, err := engine.Dial(ctx, scheme+"://"+addr+"/", nil)
			if err == nil {
				c.Terminate()
				t.Fatal("Dial succeeded with nothing listening")
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("error %v is not ECONNREFUSED", err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("refusal took %v", took)
			}
		})
	}
}

func TestDialBadURL(t *testing.T) {
	cases := []struct {
		name  string
		url   string
		inErr string // text the error must contain
	}{
		{name: "http_scheme", url: "http://127.0.0.1:1/", inErr: "scheme"},
		{name: "https_scheme", url: "https://127.0.0.1:1/", inErr: "scheme"},
		{name: "no_scheme", url: "127.0.0.1:1/"},
		{name: "control_character", url: "ws://127.0.0.1:1/\x7f"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), dialWait)
			defer cancel()
			c, err := engine.Dial(ctx, tc.url, nil)
			if err == nil {
				c.Terminate()
				t.Fatal("Dial succeeded")
			}
			if !strings.Contains(err.Error(), tc.inErr) {
				t.Errorf("error %q does not mention %q", err, tc.inErr)
			}
			var he *engine.HandshakeError
			if errors.As(err, &he) {
				t.Errorf("a bad URL gave a HandshakeError: %v", err)
			}
		})
	}
}

// dialServe starts srv on loopback for the test.
func dialServe(t *testing.T, srv *engine.Server) string {
	t.Helper()
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Addr().String()
}

// dialSession dials url and ends the session when the test ends.
func dialSession(t *testing.T, url string, opts *engine.DialOptions) *session.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dialWait)
	defer cancel()
	c, err := engine.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Terminate)
	return c
}

// requests returns a server whose sessions report their Request and end.
// The Request is read after the function asks for Incoming, once the
// session keeps only what KeepHeaders names.
func requests(cfg engine.Config) (*engine.Server, <-chan session.Request) {
	ch := make(chan session.Request, 4)
	srv := engine.New(cfg)
	srv.HandleSession("/", func(s *session.Session) {
		s.Incoming()
		ch <- s.Request()
	})
	return srv, ch
}

func recvRequest(t *testing.T, ch <-chan session.Request) session.Request {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(dialWait):
		t.Fatal("the server's handler did not run")
		return session.Request{}
	}
}

func TestDialSubprotocol(t *testing.T) {
	cases := []struct {
		name    string
		server  []string
		offered []string
		want    string
	}{
		{name: "server_preference_wins", server: []string{"v2", "v1"}, offered: []string{"v1", "v2"}, want: "v2"},
		{name: "first_common", server: []string{"v1"}, offered: []string{"v3", "v1"}, want: "v1"},
		{name: "none_in_common", server: []string{"v1"}, offered: []string{"v3"}, want: ""},
		{name: "server_speaks_none", offered: []string{"v1"}, want: ""},
		{name: "client_offers_none", server: []string{"v1"}, want: ""},
		{name: "case_sensitive", server: []string{"V1"}, offered: []string{"v1"}, want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, reqs := requests(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Subprotocols: tc.server})
			addr := dialServe(t, srv)
			c := dialSession(t, "ws://"+addr+"/", &engine.DialOptions{Protocols: tc.offered})
			if got := c.Request().Protocol; got != tc.want {
				t.Errorf("client Request().Protocol = %q, want %q", got, tc.want)
			}
			if got := recvRequest(t, reqs).Protocol; got != tc.want {
				t.Errorf("server Protocol = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDialHeaders(t *testing.T) {
	srv, reqs := requests(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, KeepHeaders: []string{"authorization", "X-Trace-Id"}})
	addr := dialServe(t, srv)
	h := http.Header{}
	h.Set("Authorization", "Bearer abc")
	h.Add("X-Trace-Id", "1")
	h.Add("X-Trace-Id", "2")
	h.Set("X-Not-Kept", "secret")
	c := dialSession(t, "ws://"+addr+"/path?q=1", &engine.DialOptions{Header: h})
	r := recvRequest(t, reqs)
	if got := r.Header.Get("Authorization"); got != "Bearer abc" {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Values("X-Trace-Id"); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("X-Trace-Id = %q, want [1 2]", got)
	}
	if got := r.Header.Get("X-Not-Kept"); got != "" {
		t.Errorf("a header not in KeepHeaders was kept: %q", got)
	}
	if r.Path != "/path" || r.RawQuery != "q=1" {
		t.Errorf("server Path %q RawQuery %q", r.Path, r.RawQuery)
	}
	if cr := c.Request(); cr.Path != "/path" || cr.RawQuery != "q=1" {
		t.Errorf("client Path %q RawQuery %q", cr.Path, cr.RawQuery)
	}

	t.Run("reserved_header_refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), dialWait)
		defer cancel()
		bad := http.Header{"Sec-Websocket-Key": {"x"}}
		if c, err := engine.Dial(ctx, "ws://"+addr+"/", &engine.DialOptions{Header: bad}); err == nil {
			c.Terminate()
			t.Fatal("Dial sent a caller's Sec-WebSocket-Key")
		}
	})
	t.Run("origin_checked", func(t *testing.T) {
		srv, _ := requests(engine.Config{
			Reactor:     engine.ReactorConfig{Loops: 1},
			CheckOrigin: func(origin, host string) bool { return origin == "https://ok.example" },
		})
		addr := dialServe(t, srv)
		ctx, cancel := context.WithTimeout(context.Background(), dialWait)
		defer cancel()
		c, err := engine.Dial(ctx, "ws://"+addr+"/", &engine.DialOptions{Header: http.Header{"Origin": {"https://evil.example"}}})
		if err == nil {
			c.Terminate()
			t.Fatal("Dial with a refused origin succeeded")
		}
		checkHandshakeError(t, err, http.StatusForbidden, "Forbidden")
		c = dialSession(t, "ws://"+addr+"/", &engine.DialOptions{Header: http.Header{"Origin": {"https://ok.example"}}})
		_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	})
}

func TestDialLocalAddr(t *testing.T) {
	srv, reqs := requests(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	addr := dialServe(t, srv)
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
	if ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: local.IP}); err != nil {
		t.Skipf("127.0.0.2 is not usable here (%v): only Linux routes all of 127/8 to loopback", err)
	} else {
		_ = ln.Close()
	}
	c := dialSession(t, "ws://"+addr+"/", &engine.DialOptions{LocalAddr: local})
	r := recvRequest(t, reqs)
	if got := r.Remote.Addr(); got != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("server sees remote %v, want 127.0.0.2", r.Remote)
	}
	if r.Remote.Port() == 0 {
		t.Errorf("server sees remote port 0")
	}
	if got, want := c.Request().Remote.String(), addr; got != want {
		t.Errorf("client Request().Remote = %q, want the server %q", got, want)
	}

	t.Run("address_in_use", func(t *testing.T) {
		// Binding the port the server listens on cannot work.
		ap := netip.MustParseAddrPort(addr)
		ctx, cancel := context.WithTimeout(context.Background(), dialWait)
		defer cancel()
		c, err := engine.Dial(ctx, "ws://"+addr+"/", &engine.DialOptions{LocalAddr: net.TCPAddrFromAddrPort(ap)})
		if err == nil {
			c.Terminate()
			t.Fatal("Dial bound the server's own address")
		}
	})
}

// dialReadFrame reads one frame from br: header fields, unmasked payload.
func dialReadFrame(br *bufio.Reader) (fin bool, op frame.Opcode, masked bool, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return
	}
	fin, op, masked = h[0]&0x80 != 0, frame.Opcode(h[0]&0x0f), h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err = io.ReadFull(br, b[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err = io.ReadFull(br, b[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return fin, op, masked, nil, fmt.Errorf("frame of %d bytes", n)
	}
	var key [4]byte
	if masked {
		if _, err = io.ReadFull(br, key[:]); err != nil {
			return
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(br, payload); err != nil {
		return
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return
}

// dialFrame encodes a short final frame, masked with key when key is not nil.
func dialFrame(op frame.Opcode, payload []byte, key []byte) []byte {
	b := []byte{0x80 | byte(op), byte(len(payload))}
	if key == nil {
		return append(b, payload...)
	}
	b[1] |= 0x80
	b = append(b, key...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

// TestDialMasks checks RFC 6455 §5.1 and §5.3 on the client: it masks every
// frame it sends, accepts unmasked frames, and fails the connection with 1002
// on a masked one.
func TestDialMasks(t *testing.T) {
	type result struct {
		masked   []bool
		payloads []string
		code     uint16
		err      error
	}
	results := make(chan result, 1)
	addr := rawServer(t, nil, func(p *rawPeer) {
		var r result
		defer func() { results <- r }()
		if _, r.err = io.WriteString(p, dialSwitch(p.key())); r.err != nil {
			return
		}
		// Two client frames: a text and a binary one.
		for range 2 {
			_, _, masked, payload, err := dialReadFrame(p.br)
			if err != nil {
				r.err = err
				return
			}
			r.masked = append(r.masked, masked)
			r.payloads = append(r.payloads, string(payload))
		}
		// An unmasked frame the client must deliver, then a masked one it
		// must refuse.
		_, _ = p.Write(dialFrame(frame.OpText, []byte("plain"), nil))
		_, _ = p.Write(dialFrame(frame.OpText, []byte("masked"), []byte{1, 2, 3, 4}))
		_, op, masked, payload, err := dialReadFrame(p.br)
		if err != nil || op != frame.OpClose || len(payload) < 2 {
			r.err = fmt.Errorf("want a close frame, got op %v payload %q err %v", op, payload, err)
			return
		}
		r.masked = append(r.masked, masked)
		r.code = binary.BigEndian.Uint16(payload)
	})
	c := dialSession(t, "ws://"+addr+"/", nil)
	ctx, cancel := context.WithTimeout(context.Background(), dialWait)
	defer cancel()
	if err := c.Send(ctx, session.CopyText("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, session.BorrowBinary(make([]byte, 100))); err != nil {
		t.Fatal(err)
	}
	select {
	case f, ok := <-c.Incoming():
		if !ok || f.Text() != "plain" {
			t.Errorf("first server frame: %q (open %v)", f.Text(), ok)
		}
		f.Release()
	case <-ctx.Done():
		t.Fatal("no frame from the server")
	}
	var r result
	select {
	case r = <-results:
	case <-ctx.Done():
		t.Fatal("raw server did not finish")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	for i, m := range r.masked {
		if !m {
			t.Errorf("client frame %d was not masked", i)
		}
	}
	if len(r.payloads) != 2 || r.payloads[0] != "hello" || r.payloads[1] != string(make([]byte, 100)) {
		t.Errorf("unmasked payloads %q", r.payloads)
	}
	if r.code != uint16(frame.CloseProtocolError) {
		t.Errorf("client answered a masked frame with close %d, want %d", r.code, frame.CloseProtocolError)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("client session did not end")
	}
	if got := c.CloseReason().Code; got != frame.CloseProtocolError {
		t.Errorf("client CloseReason %v, want 1002", c.CloseReason())
	}
}

// TestServerFramesUnmasked reads the surge server's frames off the wire: a
// server does not mask (RFC 6455 §5.1) unless Config.Masking asks it to.
func TestServerFramesUnmasked(t *testing.T) {
	for _, masking := range []bool{false, true} {
		t.Run(fmt.Sprintf("masking_%v", masking), func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{Masking: masking}})
			srv.HandleSession("/", func(s *session.Session) {
				for f := range s.Incoming() {
					_ = s.Send(context.Background(), f)
				}
			})
			addr := dialServe(t, srv)
			nc, err := net.DialTimeout("tcp", addr, dialWait)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(dialWait))
			const key = "dGhlIHNhbXBsZSBub25jZQ=="
			_, err = io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
			if err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(nc)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 101 || res.Header.Get("Sec-WebSocket-Accept") != dialAcceptFor(key) {
				t.Fatalf("answer %d accept %q", res.StatusCode, res.Header.Get("Sec-WebSocket-Accept"))
			}
			if _, err := nc.Write(dialFrame(frame.OpText, []byte("echo me"), []byte{9, 8, 7, 6})); err != nil {
				t.Fatal(err)
			}
			_, op, masked, payload, err := dialReadFrame(br)
			if err != nil {
				t.Fatal(err)
			}
			if op != frame.OpText || string(payload) != "echo me" {
				t.Errorf("echo: op %v payload %q", op, payload)
			}
			if masked != masking {
				t.Errorf("server frame masked = %v, want %v", masked, masking)
			}
		})
	}

	t.Run("client_accepts_masked_when_configured", func(t *testing.T) {
		srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{Masking: true}})
		srv.HandleSession("/", func(s *session.Session) {
			for f := range s.Incoming() {
				_ = s.Send(context.Background(), f)
			}
		})
		addr := dialServe(t, srv)
		c := dialSession(t, "ws://"+addr+"/", &engine.DialOptions{Session: session.Config{Masking: true}})
		ctx, cancel := context.WithTimeout(context.Background(), dialWait)
		defer cancel()
		if err := c.Send(ctx, session.CopyText("both masked")); err != nil {
			t.Fatal(err)
		}
		select {
		case f := <-c.Incoming():
			if f.Text() != "both masked" {
				t.Errorf("got %q (close %v, err %v)", f.Text(), c.CloseReason(), c.Err())
			}
			f.Release()
		case <-ctx.Done():
			t.Fatal("no echo")
		}
	})
}

// BenchmarkDial measures a whole client connection: connect, opening
// handshake, closing handshake.
func BenchmarkDial(b *testing.B) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", session.NopHandler{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	url := "ws://" + srv.Addr().String() + "/"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := engine.Dial(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
		<-c.Done()
	}
}
