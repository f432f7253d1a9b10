package engine_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "surge test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// serve runs srv.Serve(ln) and checks, when the test ends, that it returned
// ErrServerClosed after Close.
func serve(t *testing.T, srv *engine.Server, ln net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		select {
		case err := <-done:
			if !errors.Is(err, engine.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(ioTimeout):
			t.Error("Serve did not return after Close")
		}
		_ = ln.Close()
	})
}

func TestServeTLS(t *testing.T) {
	cert, roots := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv, rec := newRecordingServer(engine.Config{})
	serve(t, srv, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "wss://" + ln.Addr().String() + "/tls"

	t.Run("echo and close", func(t *testing.T) {
		c, err := engine.Dial(ctx, url, &engine.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}})
		if err != nil {
			t.Fatal(err)
		}
		echoRoundTrips(t, ctx, c, 50)
		closeClient(t, ctx, c)
		if r, errs := rec.waitClosed(t); r.Code != frame.CloseNormal || len(errs) != 0 {
			t.Fatalf("server session ended with %v %v", r, errs)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		_, err := engine.Dial(ctx, url, nil)
		var uerr x509.UnknownAuthorityError
		if !errors.As(err, &uerr) {
			t.Fatalf("Dial with the system roots = %v, want an unknown authority error", err)
		}
	})
	t.Run("InsecureSkipVerify", func(t *testing.T) {
		c, err := engine.Dial(ctx, url, &engine.DialOptions{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
		if err != nil {
			t.Fatal(err)
		}
		echoRoundTrips(t, ctx, c, 5)
		// Shutdown reaches portable sessions too: close 1001 to the peer.
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		select {
		case <-c.Done():
		case <-ctx.Done():
			t.Fatal("client still open after Shutdown")
		}
		if r := c.CloseReason(); r.Code != frame.CloseGoingAway {
			t.Fatalf("client close reason %v, want 1001", r)
		}
		if n := srv.Stats().Conns; n != 0 {
			t.Fatalf("Conns() = %d after Shutdown", n)
		}
	})
}

// newRecordingServer is an event-style echo server at every path.
func newRecordingServer(cfg engine.Config) (*engine.Server, *recorder) {
	if cfg.Reactor.Loops == 0 {
		cfg.Reactor.Loops = 1
	}
	srv := engine.New(cfg)
	rec := newRecorder()
	srv.HandleEvents("/", rec)
	return srv, rec
}

func TestServeUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "surge.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	srv, rec := newRecordingServer(engine.Config{})
	serve(t, srv, ln)
	c := dialRaw(t, "unix", path)
	c.write(upgradeRequest("/unix"))
	c.expectSwitch()
	for _, p := range []string{"a", "over a unix socket", string(make([]byte, 70000))} {
		c.write(clientFrame(true, frame.OpBinary, []byte(p)))
		c.expectFrame(frame.OpBinary, []byte(p))
	}
	c.write(clientFrame(true, frame.OpPing, []byte("p")))
	c.expectFrame(frame.OpPong, []byte("p"))
	c.write(clientFrame(true, frame.OpClose, closePayload(frame.CloseNormal, "done")))
	if code, reason := c.expectClose(); code != frame.CloseNormal || reason != "done" {
		t.Fatalf("close echo %d %q", code, reason)
	}
	c.expectEOF(ioTimeout)
	if r, errs := rec.waitClosed(t); r.Code != frame.CloseNormal || len(errs) != 0 {
		t.Fatalf("server session ended with %v %v", r, errs)
	}
	waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
}

func TestServeConnPipe(t *testing.T) {
	cases := []struct {
		name string
		mode string
	}{
		{"event style", "inline"},
		{"channel style", "channel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := countingServer(tc.mode, engine.Config{})
			t.Cleanup(func() { _ = srv.Close() })
			cli, sv := net.Pipe()
			served := make(chan struct{})
			go func() { defer close(served); srv.ServeConn(sv) }()
			c := wrapRaw(t, cli)
			// net.Pipe has no buffer: every write waits for the other end's
			// read, so the conversation is strictly one frame each way.
			c.write(upgradeRequest("/pipe"))
			c.expectSwitch()
			for i := 0; i < 10; i++ {
				msg := []byte{byte('a' + i)}
				c.write(clientFrame(true, frame.OpText, msg))
				c.expectFrame(frame.OpText, msg)
			}
			c.write(clientFrame(true, frame.OpClose, closePayload(closePrivate, "pipe")))
			if code, _ := c.expectClose(); code != closePrivate {
				t.Fatalf("close echo %d, want %d", code, closePrivate)
			}
			c.expectEOF(ioTimeout)
			select {
			case <-served:
			case <-time.After(ioTimeout):
				t.Fatal("ServeConn did not return after the session ended")
			}
			if n := srv.Stats().Conns; n != 0 {
				t.Fatalf("Conns() = %d", n)
			}
		})
	}
	t.Run("bad handshake", func(t *testing.T) {
		srv, _ := countingServer("inline", engine.Config{})
		cli, sv := net.Pipe()
		served := make(chan struct{})
		go func() { defer close(served); srv.ServeConn(sv) }()
		c := wrapRaw(t, cli)
		c.write([]byte("GET /pipe HTTP/1.1\r\nHost: x\r\n\r\n"))
		if resp, body := c.response(); resp.StatusCode != 400 || body == "" {
			t.Fatalf("status %d %q, want 400 with a reason", resp.StatusCode, body)
		}
		c.expectEOF(ioTimeout)
		<-served
	})
	t.Run("handshake timeout", func(t *testing.T) {
		srv, _ := countingServer("inline", engine.Config{HandshakeTimeout: 100 * time.Millisecond})
		cli, sv := net.Pipe()
		defer cli.Close()
		served := make(chan struct{})
		go func() { defer close(served); srv.ServeConn(sv) }()
		select {
		case <-served:
		case <-time.After(ioTimeout):
			t.Fatal("ServeConn kept a silent peer past HandshakeTimeout")
		}
	})
}

// TestPortablePausedTerminate: a portable session whose reading is paused
// (its channel-style handler stopped reading, so Incoming and the queue
// filled) still ends when terminated.
func TestPortablePausedTerminate(t *testing.T) {
	// The session defaults: Incoming holds 8 messages and 64 more may wait
	// before the driver stops reading.
	const incomingBuffer, queueLimit = 8, 64
	srv := engine.New(engine.Config{})
	t.Cleanup(func() { _ = srv.Close() })
	got := make(chan *session.Session, 1)
	srv.HandleSession("/", func(s *session.Session) {
		got <- s
		<-s.Done() // never reads Incoming
	})
	sc, cc := net.Pipe()
	go srv.ServeConn(sc)
	c := wrapRaw(t, cc)
	c.write(upgradeRequest("/"))
	c.expectSwitch()
	go func() { // drain what the server writes
		b := make([]byte, 4096)
		for {
			if _, err := cc.Read(b); err != nil {
				return
			}
		}
	}()
	var s *session.Session
	select {
	case s = <-got:
	case <-time.After(ioTimeout):
		t.Fatal("no session")
	}
	msg := clientFrame(true, frame.OpBinary, []byte("x"))
	paused := false
	for i := 0; i < queueLimit+incomingBuffer+8; i++ {
		_ = cc.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := cc.Write(msg); err != nil {
			paused = true // reading paused: the pipe no longer takes bytes
			break
		}
	}
	if !paused {
		t.Fatalf("the server read %d messages that nobody took: reading was never paused", queueLimit+incomingBuffer+8)
	}
	s.Terminate()
	select {
	case <-s.Done():
	case <-time.After(ioTimeout):
		t.Fatal("a paused portable session did not end after Terminate")
	}
	if r := s.CloseReason(); r.Code != frame.CloseAbnormal {
		t.Errorf("close reason %v, want %d", r, frame.CloseAbnormal)
	}
}
