package interop

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// Compression interop (RFC 7692) with two Go peers, both directions:
// gorilla/websocket (no context takeover only) and coder/websocket with
// context takeover. Each case checks that permessage-deflate was negotiated
// and that compressible messages of several sizes round-trip.

// deflateSizes are the message sizes of the compression cases, from empty to
// 256 KiB: below, around and far above every peer's compression threshold.
var deflateSizes = []int{0, 1, 100, 1 << 10, 16 << 10, 256 << 10}

// deflatePayloads are JSON-like texts that compress well, one of each of
// deflateSizes.
func deflatePayloads() [][]byte {
	var out [][]byte
	for _, n := range deflateSizes {
		out = append(out, jsonText(n))
	}
	return out
}

// jsonText returns n bytes of a JSON-like text that compresses well; jsonText
// in node/ws-client.js makes the same bytes.
func jsonText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"surge","tags":["websocket","deflate"]},`, i)
	}
	return b.Bytes()[:n]
}

// deflateServer is a surge echo server with permessage-deflate, recording the
// extensions each session negotiated.
func deflateServer(t *testing.T, cfg deflate.Config) (*engine.Server, chan []extension.Extension) {
	t.Helper()
	negotiated := make(chan []extension.Extension, 8)
	srv := engine.New(engine.Config{Extensions: []extension.Factory{deflate.New(cfg)}, Session: session.Config{MaxMessageSize: 1 << 20}})
	srv.HandleSession("/", func(s *session.Session) {
		negotiated <- s.Request().Extensions
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f)
		}
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, negotiated
}

func wantDeflate(t *testing.T, name string, exts []extension.Extension) {
	t.Helper()
	if len(exts) != 1 || exts[0].Name() != deflate.ExtensionName {
		t.Fatalf("%s: negotiated %v, want permessage-deflate", name, exts)
	}
}

func TestDeflateGorillaClientToSurge(t *testing.T) {
	srv, negotiated := deflateServer(t, deflate.Config{})
	d := gorilla.Dialer{EnableCompression: true, HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws://"+srv.Addr().String()+"/", nil)
	if err != nil {
		t.Fatalf("gorilla client → surge: dial: %v", err)
	}
	defer c.Close()
	if h := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(h, "permessage-deflate") {
		t.Fatalf("gorilla client → surge: answer %q lacks permessage-deflate", h)
	}
	wantDeflate(t, "gorilla client → surge", <-negotiated)
	c.EnableWriteCompression(true)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, p := range deflatePayloads() {
		if err := c.WriteMessage(gorilla.TextMessage, p); err != nil {
			t.Fatalf("gorilla client → surge: write %d B: %v", len(p), err)
		}
		typ, got, err := c.ReadMessage()
		if err != nil || typ != gorilla.TextMessage || !bytes.Equal(got, p) {
			t.Fatalf("gorilla client → surge: echo of %d B: type %d, %d B, err %v", len(p), typ, len(got), err)
		}
	}
	_ = c.WriteMessage(gorilla.CloseMessage, gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, "bye"))
}

func TestDeflateSurgeClientToGorilla(t *testing.T) {
	up := gorilla.Upgrader{EnableCompression: true}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.EnableWriteCompression(true)
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, p); err != nil {
				return
			}
		}
	}))
	defer hs.Close()
	surgeClientEcho(t, "surge client → gorilla", "ws"+strings.TrimPrefix(hs.URL, "http")+"/", deflate.Config{})
}

func TestDeflateCoderClientToSurge(t *testing.T) {
	// Context takeover both ways: accept what the client asks for.
	srv, negotiated := deflateServer(t, deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := coder.Dial(ctx, "ws://"+srv.Addr().String()+"/", &coder.DialOptions{CompressionMode: coder.CompressionContextTakeover, CompressionThreshold: 1})
	if err != nil {
		t.Fatalf("coder client → surge: dial: %v", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	if h := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(h, "permessage-deflate") || strings.Contains(h, "no_context_takeover") {
		t.Fatalf("coder client → surge: answer %q, want permessage-deflate with context takeover", h)
	}
	wantDeflate(t, "coder client → surge", <-negotiated)
	for round := 0; round < 3; round++ { // repeated messages exercise the shared window
		for _, p := range deflatePayloads() {
			if err := c.Write(ctx, coder.MessageText, p); err != nil {
				t.Fatalf("coder client → surge: write %d B: %v", len(p), err)
			}
			typ, got, err := c.Read(ctx)
			if err != nil || typ != coder.MessageText || !bytes.Equal(got, p) {
				t.Fatalf("coder client → surge: echo of %d B: type %v, %d B, err %v", len(p), typ, len(got), err)
			}
		}
	}
	_ = c.Close(coder.StatusNormalClosure, "bye")
}

func TestDeflateSurgeClientToCoder(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, &coder.AcceptOptions{CompressionMode: coder.CompressionContextTakeover, CompressionThreshold: 1})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, p); err != nil {
				return
			}
		}
	}))
	defer hs.Close()
	surgeClientEcho(t, "surge client → coder", "ws"+strings.TrimPrefix(hs.URL, "http")+"/",
		deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept})
}

// surgeClientEcho dials u with permessage-deflate and checks echoes.
func surgeClientEcho(t *testing.T, name, u string, cfg deflate.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, u, &engine.DialOptions{
		Extensions: []extension.Factory{deflate.New(cfg)},
		Session:    session.Config{MaxMessageSize: 1 << 20},
	})
	if err != nil {
		t.Fatalf("%s: dial: %v", name, err)
	}
	defer c.Terminate()
	wantDeflate(t, name, c.Request().Extensions)
	for round := 0; round < 3; round++ {
		for _, p := range deflatePayloads() {
			if err := c.Send(ctx, session.BorrowText(p)); err != nil {
				t.Fatalf("%s: send %d B: %v", name, len(p), err)
			}
			select {
			case f, ok := <-c.Incoming():
				if !ok {
					t.Fatalf("%s: session ended: %v %v", name, c.CloseReason(), c.Err())
				}
				if !bytes.Equal(f.Payload, p) {
					t.Fatalf("%s: echo of %d B came back as %d B", name, len(p), len(f.Payload))
				}
				f.Release()
			case <-ctx.Done():
				t.Fatalf("%s: no echo of %d B", name, len(p))
			}
		}
	}
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "bye"})
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatalf("%s: closing handshake did not finish", name)
	}
}
