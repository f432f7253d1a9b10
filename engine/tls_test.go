package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// TestServeTLSListener serves wss:// as a deployment would: a certificate
// from PEM files, a TLS listener over TCP handed to Serve (the way to serve
// TLS since ListenAndServeTLS was removed). Serve publishes the listener's
// address, runs the sessions on the portable driver, and returns
// ErrServerClosed after Close.
func TestServeTLSListener(t *testing.T) {
	cert, roots := selfSigned(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	srv := engine.New(engine.Config{})
	srv.HandleEvents("/", echoHandler{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{loaded}})) }()
	waitFor(t, ioTimeout, "Serve to publish its address", func() bool { return srv.Addr() != nil })
	if got, want := srv.Addr().String(), ln.Addr().String(); got != want {
		t.Fatalf("Addr() = %s, want the listener's %s", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, err := engine.Dial(ctx, "wss://"+srv.Addr().String()+"/", &engine.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, session.CopyText("over tls")); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-c.Incoming():
		if f.Text() != "over tls" {
			t.Fatalf("echo %q", f.Text())
		}
		f.Release()
	case <-ctx.Done():
		t.Fatal("no echo over TLS")
	}
	_ = srv.Close()
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrServerClosed) {
			t.Fatalf("Serve returned %v, want ErrServerClosed", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Serve did not return after Close")
	}
	select {
	case <-c.Done():
	case <-time.After(ioTimeout):
		t.Fatal("the client session outlived the server's Close")
	}
}
