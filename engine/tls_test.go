package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// TestListenAndServeTLS serves wss:// from PEM files, as a deployment would.
func TestListenAndServeTLS(t *testing.T) {
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

	srv := engine.New(engine.Config{})
	srv.Handle("/", echoHandler{})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServeTLS("127.0.0.1:0", certFile, keyFile) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Addr() == nil {
		if time.Now().After(deadline) {
			t.Fatal("ListenAndServeTLS did not start listening")
		}
		time.Sleep(5 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "wss://"+srv.Addr().String()+"/", &engine.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, session.Text("over tls")); err != nil {
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
			t.Fatalf("ListenAndServeTLS returned %v, want ErrServerClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServeTLS did not return after Close")
	}

	if err := engine.New(engine.Config{}).ListenAndServeTLS("127.0.0.1:0", filepath.Join(dir, "missing.pem"), keyFile); err == nil {
		t.Fatal("ListenAndServeTLS accepted a missing certificate file")
	}
}
