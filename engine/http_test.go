package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
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
		if err := c.Send(ctx, session.Text(msg)); err != nil {
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
	if err := c.Close(session.CloseReason{Code: frame.CloseNormal, Message: "bye"}); err != nil {
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
			srv, _ := countingServer(mode, engine.Config{Loops: 1})
			ts := newHTTPServer(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := engine.Dial(ctx, "ws://"+ts.Listener.Addr().String()+"/echo?x=1", nil)
			if err != nil {
				t.Fatal(err)
			}
			echoRoundTrips(t, ctx, c, 50)
			closeClient(t, ctx, c)
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Conns() == 0 })
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

func TestServeHTTPRejects(t *testing.T) {
	srv := engine.New(engine.Config{CheckOrigin: func(origin, _ string) bool { return origin != "https://evil.example" }})
	srv.Handle("/echo", echoHandler{})
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
		want   [2]string // a response header that must be present
	}{
		{"plain GET", "GET", base, nil, http.StatusBadRequest, [2]string{}},
		{"no key", "GET", base, with("Sec-Websocket-Key", ""), http.StatusBadRequest, [2]string{}},
		{"version 8", "GET", base, with("Sec-Websocket-Version", "8"), http.StatusUpgradeRequired, [2]string{"Sec-WebSocket-Version", "13"}},
		{"POST", "POST", base, upgrade, http.StatusMethodNotAllowed, [2]string{}},
		{"no route", "GET", ts.URL + "/nope", upgrade, http.StatusNotFound, [2]string{}},
		{"refused origin", "GET", base, with("Origin", "https://evil.example"), http.StatusForbidden, [2]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.want[0] != "" && resp.Header.Get(tc.want[0]) != tc.want[1] {
				t.Fatalf("%s = %q, want %q", tc.want[0], resp.Header.Get(tc.want[0]), tc.want[1])
			}
		})
	}
}

// TestServeHTTPNoGoroutinePerSession checks that an upgraded net/http
// connection is moved into an event loop: 200 idle sessions cost no
// goroutine on either side (the clients are reactor sessions too).
func TestServeHTTPNoGoroutinePerSession(t *testing.T) {
	const n = 200
	srv := engine.New(engine.Config{Loops: 1})
	srv.Handle("/", echoHandler{})
	ts := newHTTPServer(t, srv)
	d, err := engine.NewDialer(1)
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
	waitFor(t, ioTimeout, "all sessions", func() bool { return srv.Conns() == n && d.Conns() == n })
	var g1 int
	deadline := time.Now().Add(ioTimeout)
	for g1 = settle(); g1-g0 > 10 && time.Now().Before(deadline); g1 = settle() {
	}
	if g1-g0 > 10 {
		t.Fatalf("goroutines grew from %d to %d for %d idle sessions through ServeHTTP", g0, g1, n-1)
	}
	t.Logf("goroutines: %d with 1 session, %d with %d", g0, g1, n)
}

// TestServeHTTPTLS covers Upgrade on a connection without a usable fd: the
// session runs on the portable driver on the handler's goroutine.
func TestServeHTTPTLS(t *testing.T) {
	srv := engine.New(engine.Config{Loops: 1})
	srv.Handle("/", echoHandler{})
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
	waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Conns() == 0 })
}
