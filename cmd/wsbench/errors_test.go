package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// answerWith serves one raw HTTP answer to every connection of a loopback
// listener and returns its ws:// URL.
func answerWith(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				buf := make([]byte, 4096)
				_, _ = nc.Read(buf) // the request head fits one read on loopback
				_, _ = io.WriteString(nc, answer)
				time.Sleep(100 * time.Millisecond)
			}()
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

// TestDialKind classifies what engine.Dial returns for each way a dial
// fails: a refusal with an HTTP status, a 101 that breaks RFC 6455 §4.1, an
// answer that is not HTTP, no listener.
func TestDialKind(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/only", session.NopHandler{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "ws://" + refused.Addr().String() + "/"
	_ = refused.Close()

	cases := []struct {
		name, url, want string
	}{
		{"no_route_404", "ws://" + srv.Addr().String() + "/other", kindDialStatus},
		{"bad_accept_101", answerWith(t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"), kindDialHandshake},
		{"not_http", answerWith(t, "SSH-2.0-OpenSSH_9.6\r\n\r\n"), kindDialHandshake},
		{"refused", refusedURL, kindDialRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s, err := engine.Dial(ctx, tc.url, nil)
			if err == nil {
				s.Terminate()
				t.Fatal("Dial succeeded")
			}
			if got := dialKind(err); got != tc.want {
				t.Errorf("dialKind(%v) = %s, want %s", err, got, tc.want)
			}
		})
	}
}

// TestSessionErrKind classifies the errors sessions end with.
func TestSessionErrKind(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{frame.ErrReservedBits, kindProtocol},
		{fmt.Errorf("read: %w", frame.ErrInvalidUTF8), kindProtocol},
		{session.ErrTimeout, kindTimeout},
		{io.ErrUnexpectedEOF, kindTransport},
	}
	for _, tc := range cases {
		if got := sessionErrKind(tc.err); got != tc.want {
			t.Errorf("sessionErrKind(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
