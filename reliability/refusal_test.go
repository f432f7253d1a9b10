package reliability_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
)

// trailing is how much a refused client keeps sending after its request
// was refused: more than one read of the server takes, and little enough
// to be sent well within the server's linger time.
const trailing = 256 << 10

// wrappedListener hides a TCP listener's type, so that Server.Serve runs
// the portable driver on it.
type wrappedListener struct{ net.Listener }

// TestRefusalIsRead: a refused handshake (431 for a head over
// MaxHeaderBytes, sent in many writes; 426 for a wrong version, followed by
// data) is read by a client that keeps sending, rather than lost to an RST
// because the server closed with unread bytes (RFC 9112 §9.6), on the event
// loops and on the portable driver.
func TestRefusalIsRead(t *testing.T) {
	cookie := "Cookie: " + strings.Repeat("c", 1000)
	cases := []struct {
		name   string
		first  string // sent in 512-byte writes
		status string
	}{
		{"431 oversize head", strings.TrimSuffix(upgradeRequest("/", repeat(cookie, 20)...), "\r\n"), "HTTP/1.1 431 "},
		{"426 wrong version", strings.Replace(upgradeRequest("/"), "Version: 13", "Version: 8", 1), "HTTP/1.1 426 "},
	}
	drivers := []struct {
		name  string
		start func(t *testing.T, srv *engine.Server) string
	}{
		{"loops", func(t *testing.T, srv *engine.Server) string { return startServer(t, srv) }},
		{"portable", func(t *testing.T, srv *engine.Server) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = srv.Serve(wrappedListener{ln}) }()
			t.Cleanup(func() { _ = srv.Close(); _ = ln.Close() })
			return ln.Addr().String()
		}},
	}
	for _, d := range drivers {
		for _, tc := range cases {
			t.Run(d.name+"/"+tc.name, func(t *testing.T) {
				srv := engine.New(engine.Config{})
				srv.HandleEvents("/", echoHandler{})
				p := dialPeer(t, d.start(t, srv), nil)
				werr := make(chan error, 1)
				go func() {
					// Send like a client that reads only once it is done.
					werr <- sendAll(p.nc, []byte(tc.first), 512, trailing)
				}()
				if got := p.statusLine(); !strings.HasPrefix(got, tc.status) {
					t.Errorf("status line %q, want %q...", got, tc.status)
				}
				if err := <-werr; err != nil {
					t.Errorf("the client's request failed: %v", err)
				}
				// The answer ends with FIN, not with a reset.
				_ = p.nc.SetReadDeadline(time.Now().Add(ioWait))
				if _, err := io.Copy(io.Discard, p.br); err != nil {
					t.Errorf("reading to the end of the answer: %v", err)
				}
			})
		}
	}
}

// sendAll writes head in chunks of chunk bytes, then trailing bytes of
// junk, and returns the first write error.
func sendAll(nc net.Conn, head []byte, chunk, trailing int) error {
	for len(head) > 0 {
		n := min(chunk, len(head))
		if _, err := nc.Write(head[:n]); err != nil {
			return err
		}
		head = head[n:]
	}
	junk := make([]byte, 16<<10)
	for sent := 0; sent < trailing; sent += len(junk) {
		if _, err := nc.Write(junk); err != nil {
			return err
		}
	}
	return nil
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
