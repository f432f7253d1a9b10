//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"
)

// masked returns a client frame: first byte b0, payload p masked with key.
func masked(b0 byte, p []byte, key uint32) []byte {
	f := []byte{b0}
	switch n := len(p); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = binary.LittleEndian.AppendUint32(f, key)
	for i, b := range p {
		f = append(f, b^byte(key>>(8*(i&3))))
	}
	return f
}

const request = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// The accept value of RFC 6455's example key, section 1.3.
const answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

func TestServe(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 7000)
	tests := []struct {
		name    string
		reads   [][]byte
		want    []byte
		err     error
		closing bool
	}{
		{name: "handshake", reads: [][]byte{[]byte(request)}, want: []byte(answer)},
		{name: "handshake_in_pieces", reads: [][]byte{[]byte(request[:10]), []byte(request[10:70]), []byte(request[70:])}, want: []byte(answer)},
		{name: "handshake_and_frame", reads: [][]byte{append([]byte(request), masked(0x82, []byte("abc"), 0x01020304)...)},
			want: append([]byte(answer), 0x82, 3, 'a', 'b', 'c')},
		{name: "frame_split", reads: [][]byte{[]byte(request), masked(0x81, []byte("hello"), 7)[:4], masked(0x81, []byte("hello"), 7)[4:]},
			want: append([]byte(answer), 0x81, 5, 'h', 'e', 'l', 'l', 'o')},
		{name: "two_frames_one_read", reads: [][]byte{[]byte(request), append(masked(0x82, []byte("a"), 9), masked(0x82, []byte("bc"), 10)...)},
			want: append([]byte(answer), 0x82, 1, 'a', 0x82, 2, 'b', 'c')},
		{name: "16_bit_length", reads: [][]byte{[]byte(request), masked(0x82, big[:300], 0xdeadbeef)},
			want: append(append([]byte(answer), 0x82, 126, 1, 44), big[:300]...)},
		{name: "64_bit_length_in_three_reads", reads: [][]byte{[]byte(request), masked(0x82, big, 5)[:3], masked(0x82, big, 5)[3:5000], masked(0x82, big, 5)[5000:]},
			want: append(append([]byte(answer), 0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70), big...)},
		{name: "ping", reads: [][]byte{[]byte(request), masked(0x89, []byte("p"), 3)}, want: append([]byte(answer), 0x8A, 1, 'p')},
		{name: "pong_ignored", reads: [][]byte{[]byte(request), masked(0x8A, []byte("p"), 3)}, want: []byte(answer)},
		{name: "close", reads: [][]byte{[]byte(request), append(masked(0x88, []byte{3, 232}, 3), masked(0x82, []byte("late"), 1)...)},
			want: append([]byte(answer), 0x88, 2, 3, 232), closing: true},
		{name: "unmasked", reads: [][]byte{[]byte(request), {0x82, 1, 'a'}}, want: []byte(answer), err: errProtocol},
		{name: "no_key", reads: [][]byte{[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")}, err: errProtocol},
		{name: "request_too_long", reads: [][]byte{bytes.Repeat([]byte("x"), maxRequest+1)}, err: errProtocol},
		{name: "length_too_large", reads: [][]byte{[]byte(request), {0x82, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}}, want: []byte(answer), err: errProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c conn
			var got []byte
			var err error
			for _, r := range tt.reads {
				if got, err = c.serve(bytes.Clone(r), got); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("answer\n%q\nwant\n%q", got, tt.want)
			}
			if c.closing != tt.closing {
				t.Fatalf("closing %v, want %v", c.closing, tt.closing)
			}
		})
	}
}

func TestUnmask(t *testing.T) {
	for n := range 40 {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		got := bytes.Clone(p)
		unmask(got, 0xa1b2c3d4)
		for i := range p {
			if want := p[i] ^ []byte{0xd4, 0xc3, 0xb2, 0xa1}[i&3]; got[i] != want {
				t.Fatalf("n=%d byte %d: %#x, want %#x", n, i, got[i], want)
			}
		}
	}
}

// FuzzServe feeds any bytes, in two reads, after a handshake: serve must
// not panic, and must keep no more than it was given.
func FuzzServe(f *testing.F) {
	f.Add(masked(0x82, []byte("abc"), 1), 2)
	f.Add([]byte{0x82, 0xfe, 0xff}, 1)
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}, 5)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		var c conn
		out, err := c.serve([]byte(request), nil)
		if err != nil {
			t.Fatal(err)
		}
		cut = min(max(cut, 0), len(b))
		for _, r := range [][]byte{b[:cut], b[cut:]} {
			if out, err = c.serve(bytes.Clone(r), out[:0]); err != nil {
				return
			}
		}
		if len(c.pend) > len(b) {
			t.Fatalf("kept %d bytes of %d", len(c.pend), len(b))
		}
	})
}

// TestLoops runs each loop behind gorilla's client: messages that fit one
// read and ones that take many, a ping, and the closing handshake.
func TestLoops(t *testing.T) {
	for _, io := range []string{"epoll", "epoll-sock", "uring", "uring-multishot"} {
		t.Run(io, func(t *testing.T) {
			lfd, addr, err := listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			serve := func(lfd, size int, ready chan<- struct{}) error { return serveEpoll(lfd, size, false, ready) }
			switch io {
			case "epoll-sock":
				serve = func(lfd, size int, ready chan<- struct{}) error { return serveEpoll(lfd, size, true, ready) }
			case "uring":
				serve = func(lfd, size int, ready chan<- struct{}) error { return serveUring(lfd, size, false, ready) }
			case "uring-multishot":
				serve = func(lfd, size int, ready chan<- struct{}) error { return serveUring(lfd, size, true, ready) }
			}
			ready, errc := make(chan struct{}), make(chan error, 1)
			go func() {
				runtime.LockOSThread()
				errc <- serve(lfd, 4096, ready) // small, so large frames span reads
			}()
			select {
			case <-ready:
			case err := <-errc:
				if strings.HasPrefix(io, "uring") && (errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM)) {
					t.Skipf("io_uring is not available here: %v", err)
				}
				t.Fatal(err)
			}
			checkEcho(t, addr.String())
		})
	}
}

// checkEcho runs a gorilla client against the floor server at addr: data
// frames of 0 B to 200 KB, text and binary, echoed byte for byte; a ping
// answered; the close handshake.
func checkEcho(t *testing.T, addr string) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	pong := make(chan string, 1)
	ws.SetPongHandler(func(s string) error { pong <- s; return nil })
	for _, n := range []int{0, 1, 125, 126, 4000, 65535, 65536, 200_000} {
		msg := []byte(strings.Repeat("surge", n/5+1)[:n])
		for _, typ := range []int{websocket.BinaryMessage, websocket.TextMessage} {
			if err := ws.WriteMessage(typ, msg); err != nil {
				t.Fatal(err)
			}
			gt, got, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if gt != typ || !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes, type %d: got %d bytes, type %d", n, typ, len(got), gt)
			}
		}
	}
	if err := ws.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("after ping")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "after ping" {
		t.Fatalf("after ping: %q, %v", got, err)
	}
	if s := <-pong; s != "hi" {
		t.Fatalf("pong %q", s)
	}
	if err := ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")); err != nil {
		t.Fatal(err)
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || ce.Text != "bye" {
		t.Fatalf("close: %v", err)
	}
}
