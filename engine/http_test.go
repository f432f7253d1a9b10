package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// newHTTPServer serves srv (an http.Handler) with net/http on loopback.
func newHTTPServer(t *testing.T, srv *engine.Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	return ts
}

// echoRoundTrips sends n text messages on c and checks each echo.
func echoRoundTrips(t *testing.T, ctx context.Context, c *session.Session, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		msg := fmt.Sprint("message ", i)
		if err := c.Send(ctx, session.CopyText(msg)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		select {
		case f, ok := <-c.Incoming():
			if !ok {
				t.Fatalf("session ended: %v %v", c.CloseReason(), c.Err())
			}
			if f.Text() != msg {
				t.Fatalf("echo %q, want %q", f.Text(), msg)
			}
			f.Release()
		case <-ctx.Done():
			t.Fatal("echo timed out")
		}
	}
}

// closeClient closes c normally and waits for the end of the handshake.
func closeClient(t *testing.T, ctx context.Context, c *session.Session) {
	t.Helper()
	if err := c.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("close timed out")
	}
	if r := c.CloseReason(); r.Code != frame.CloseNormal {
		t.Fatalf("close reason %v (err %v), want 1000", r, c.Err())
	}
}

func TestServeHTTPEcho(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			srv, _ := countingServer(mode, engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			ts := newHTTPServer(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := engine.Dial(ctx, "ws://"+ts.Listener.Addr().String()+"/echo?x=1", nil)
			if err != nil {
				t.Fatal(err)
			}
			echoRoundTrips(t, ctx, c, 50)
			closeClient(t, ctx, c)
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
		})
	}
}

func TestServeHTTPPipelined(t *testing.T) {
	// Frames sent in the same write as the request sit in net/http's
	// buffered reader when the connection is hijacked; they must reach the
	// session.
	srv, rec, _ := newEchoServer(t, engine.Config{})
	ts := newHTTPServer(t, srv)
	c := dialRaw(t, "tcp", ts.Listener.Addr().String())
	b := upgradeRequest("/echo")
	for i := 0; i < 20; i++ {
		b = append(b, clientFrame(true, frame.OpText, []byte(fmt.Sprint("m", i)))...)
	}
	c.write(b)
	c.expectSwitch()
	for i := 0; i < 20; i++ {
		c.expectFrame(frame.OpText, []byte(fmt.Sprint("m", i)))
	}
	c.write(clientFrame(true, frame.OpClose, closePayload(frame.CloseNormal, "")))
	if code, _ := c.expectClose(); code != frame.CloseNormal {
		t.Fatalf("close code %d", code)
	}
	c.expectEOF(ioTimeout)
	if r, errs := rec.waitClosed(t); r.Code != frame.CloseNormal || len(errs) != 0 {
		t.Fatalf("server session ended with %v %v", r, errs)
	}
}

// TestServeHTTPRejects sends requests that are not valid upgrades to a
// Server mounted on a real net/http server: ServeHTTP answers each refusal
// itself, with the status and the headers RFC 6455 and RFC 9110 require,
// and opens no session.
func TestServeHTTPRejects(t *testing.T) {
	rec := newRecorder()
	srv := engine.New(engine.Config{CheckOrigin: func(origin, _ string) bool { return origin != "https://evil.example" }})
	srv.HandleEvents("/echo", rec)
	ts := newHTTPServer(t, srv)
	base := ts.URL + "/echo"
	upgrade := http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Key":     {testKey},
		"Sec-Websocket-Version": {"13"},
	}
	with := func(k, v string) http.Header {
		h := upgrade.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	cases := []struct {
		name   string
		method string
		url    string
		header http.Header
		status int
		want   map[string]string // response headers that must be present
		inBody string            // text the body must contain
	}{
		{name: "plain GET", method: http.MethodGet, url: base, status: http.StatusBadRequest, inBody: "Upgrade"},
		{name: "no key", method: http.MethodGet, url: base, header: with("Sec-Websocket-Key", ""),
			status: http.StatusBadRequest, inBody: "Sec-WebSocket-Key"},
		{name: "version 12", method: http.MethodGet, url: base, header: with("Sec-Websocket-Version", "12"),
			status: http.StatusUpgradeRequired, want: map[string]string{"Sec-WebSocket-Version": "13", "Upgrade": "websocket"},
			inBody: "Sec-WebSocket-Version"},
		{name: "version 8", method: http.MethodGet, url: base, header: with("Sec-Websocket-Version", "8"),
			status: http.StatusUpgradeRequired, want: map[string]string{"Sec-WebSocket-Version": "13"}},
		{name: "POST", method: http.MethodPost, url: base, header: upgrade,
			status: http.StatusMethodNotAllowed, want: map[string]string{"Allow": "GET"}},
		{name: "PUT", method: http.MethodPut, url: base, header: upgrade,
			status: http.StatusMethodNotAllowed, want: map[string]string{"Allow": "GET"}},
		{name: "no route", method: http.MethodGet, url: ts.URL + "/nope", header: upgrade,
			status: http.StatusNotFound, inBody: "no WebSocket endpoint"},
		{name: "refused origin", method: http.MethodGet, url: base, header: with("Origin", "https://evil.example"),
			status: http.StatusForbidden, inBody: "origin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.header != nil {
				req.Header = tc.header
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.status)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "" {
				t.Errorf("a refusal carries Sec-WebSocket-Accept %q", got)
			}
			if len(body) == 0 || !strings.Contains(string(body), tc.inBody) {
				t.Errorf("body %q, want a reason containing %q", body, tc.inBody)
			}
			if !resp.Close {
				t.Errorf("a refused upgrade keeps the connection open (no Connection: close)")
			}
		})
	}
	if n := rec.count(); n != 0 {
		t.Fatalf("%d sessions opened for refused upgrades", n)
	}
	// The refusals did not break the endpoint.
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, err := engine.Dial(ctx, "ws"+strings.TrimPrefix(base, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrips(t, ctx, c, 1)
	closeClient(t, ctx, c)
}

// TestServeHTTPRefusalsMatchEventLoop sends the same bytes to a server's
// event loops and to the same configuration mounted in net/http: both paths
// must refuse with the same status, the same WebSocket headers and the same
// reason.
func TestServeHTTPRefusalsMatchEventLoop(t *testing.T) {
	cfg := engine.Config{CheckOrigin: func(origin, _ string) bool { return origin != "https://evil.example" }}
	_, _, loopAddr := newEchoServer(t, cfg)
	httpSrv := engine.New(cfg)
	httpSrv.HandleEvents("/echo", echoHandler{})
	ts := newHTTPServer(t, httpSrv)
	good := string(upgradeRequest("/echo"))
	cases := []struct{ name, req string }{
		{"HTTP/1.0", strings.Replace(good, "HTTP/1.1", "HTTP/1.0", 1)},
		{"no upgrade header", strings.Replace(good, "Upgrade: websocket\r\n", "", 1)},
		{"upgrade to h2c", strings.Replace(good, "Upgrade: websocket", "Upgrade: h2c", 1)},
		{"repeated key", strings.Replace(good, "\r\n\r\n", "\r\nSec-WebSocket-Key: "+testKey+"\r\n\r\n", 1)},
		{"no connection header", strings.Replace(good, "Connection: Upgrade\r\n", "", 1)},
		{"no key", strings.Replace(good, "Sec-WebSocket-Key: "+testKey+"\r\n", "", 1)},
		{"bad key", strings.Replace(good, testKey, "c2hvcnQ=", 1)},
		{"no version", strings.Replace(good, "Sec-WebSocket-Version: 13\r\n", "", 1)},
		{"version 12", strings.Replace(good, "Version: 13", "Version: 12", 1)},
		{"POST", strings.Replace(good, "GET ", "POST ", 1)},
		{"no route", strings.Replace(good, "GET /echo ", "GET /nope ", 1)},
		{"refused origin", strings.Replace(good, "\r\n\r\n", "\r\nOrigin: https://evil.example\r\n\r\n", 1)},
	}
	headers := []string{"Allow", "Upgrade", "Sec-WebSocket-Version", "Sec-WebSocket-Accept"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ask := func(addr string) (*http.Response, string) {
				c := dialRaw(t, "tcp", addr)
				c.write([]byte(tc.req))
				return c.response()
			}
			lr, lbody := ask(loopAddr)
			hr, hbody := ask(ts.Listener.Addr().String())
			if lr.StatusCode < 400 {
				t.Fatalf("event loop answered %d: the case is not a refusal", lr.StatusCode)
			}
			if hr.StatusCode != lr.StatusCode {
				t.Errorf("ServeHTTP status %d %q, event loop %d %q", hr.StatusCode, hbody, lr.StatusCode, lbody)
			}
			for _, k := range headers {
				if h, l := hr.Header.Get(k), lr.Header.Get(k); h != l {
					t.Errorf("%s: ServeHTTP %q, event loop %q", k, h, l)
				}
			}
			if strings.TrimSpace(hbody) != strings.TrimSpace(lbody) {
				t.Errorf("reason: ServeHTTP %q, event loop %q", hbody, lbody)
			}
		})
	}
}

// TestServeHTTPNoGoroutinePerSession checks that an upgraded net/http
// connection is moved into an event loop: 200 idle sessions cost no
// goroutine on either side (the clients are reactor sessions too).
func TestServeHTTPNoGoroutinePerSession(t *testing.T) {
	const n = 200
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", echoHandler{})
	ts := newHTTPServer(t, srv)
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := "ws://" + ts.Listener.Addr().String() + "/idle"
	first, err := engine.Dial(ctx, url, &engine.DialOptions{Dialer: d})
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrips(t, ctx, first, 1)
	settle := func() int {
		// net/http's connection goroutines end shortly after the hijack.
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		return runtime.NumGoroutine()
	}
	g0 := settle()
	for i := 1; i < n; i++ {
		c, err := engine.Dial(ctx, url, &engine.DialOptions{Dialer: d})
		if err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			echoRoundTrips(t, ctx, c, 1)
		}
	}
	waitFor(t, ioTimeout, "all sessions", func() bool { return srv.Stats().Conns == n && d.Stats().Conns == n })
	var g1 int
	deadline := time.Now().Add(ioTimeout)
	for g1 = settle(); g1-g0 > 10 && time.Now().Before(deadline); g1 = settle() {
	}
	if g1-g0 > 10 {
		t.Fatalf("goroutines grew from %d to %d for %d idle sessions through ServeHTTP", g0, g1, n-1)
	}
	t.Logf("goroutines: %d with 1 session, %d with %d", g0, g1, n)
}

// TestServeHTTPTLS covers ServeHTTP on a connection without a usable fd: the
// session runs on the portable driver on the handler's goroutine.
func TestServeHTTPTLS(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", echoHandler{})
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "wss://" + strings.TrimPrefix(ts.URL, "https://") + "/tls"
	c, err := engine.Dial(ctx, url, &engine.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrips(t, ctx, c, 20)
	closeClient(t, ctx, c)
	waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
}
