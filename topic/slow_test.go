package topic_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/wstest"
)

// TestSlowSubscriberReal covers a subscriber whose peer never reads, over
// real sockets: the others get every message in order, and the slow one's
// frames are dropped once its backlog is full, counted, under
// BackpressureDrop.
func TestSlowSubscriberReal(t *testing.T) {
	const (
		msgs = 3000
		size = 4 << 10
		fast = 3
	)
	var hub topic.Hub
	srv := engine.New(engine.Config{Session: session.Config{Backlog: 64 << 10, Backpressure: session.BackpressureDrop}})
	srv.Handle("/", engine.Route{Events: &room{hub: &hub}})
	var readers []*session.Session
	for i := 0; i < fast; i++ {
		s := wstest.Client{}.Dial(t, srv, "/")
		if got := wstest.ReadText(t, s.Incoming()); got != "joined" {
			t.Fatalf("got %q", got)
		}
		readers = append(readers, s)
	}
	slow := dialRaw(t, srv.Addr().String())
	defer slow.Close()
	payload := make([]byte, size)
	for i := 0; i < msgs; i++ {
		binary.BigEndian.PutUint32(payload, uint32(i))
		if err := hub.Publish("room", frame.OpBinary, payload, nil); err != nil {
			t.Fatal(err)
		}
		// The readers keep up (a reader that fell behind would have its
		// own frames dropped too): each reads the message before the next.
		for k, s := range readers {
			f := wstest.ReadFrame(t, s.Incoming())
			got := binary.BigEndian.Uint32(f.Payload)
			f.Release()
			if got != uint32(i) {
				t.Fatalf("reader %d: message %d is %d", k, i, got)
			}
		}
	}
	waitFor(t, func() bool {
		st := hub.Stats()
		return st.Delivered+st.Dropped == (fast+1)*msgs
	}, func() string { return fmt.Sprintf("stats %+v, want %d accounted for", hub.Stats(), (fast+1)*msgs) })
	st := hub.Stats()
	if st.Dropped == 0 || st.Closed != 0 {
		t.Fatalf("stats %+v: want drops for the slow subscriber and nobody closed", st)
	}
	t.Logf("stats %+v", st)
}

// dialRaw opens a WebSocket connection to addr that reads the upgrade
// response and the first message ("joined"), then nothing more.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	_, err = fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	hdr := make([]byte, 2+len("joined"))
	if _, err := br.Read(hdr); err != nil || string(hdr[2:]) != "joined" {
		t.Fatalf("first message %q: %v", hdr, err)
	}
	_ = context.Background
	return c
}
