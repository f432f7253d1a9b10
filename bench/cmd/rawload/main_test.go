//go:build linux

package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// echoServer is a gorilla echo server; corrupt flips a byte of every
// fifth echo, which the generator must catch.
func echoServer(t *testing.T, corrupt bool) string {
	t.Helper()
	up := websocket.Upgrader{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for n := 0; ; n++ {
			op, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if corrupt && n%5 == 4 {
				p[len(p)-1] ^= 1
			}
			if c.WriteMessage(op, p) != nil {
				return
			}
		}
	}))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/"
}

func TestLoadVerifies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt bool
		size    int
		depth   int
	}{
		{"small", false, 64, 1},
		{"medium_depth4", false, 300, 4},
		{"large", false, 70000, 1},
		{"corrupted", true, 64, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options{url: echoServer(t, tc.corrupt), conns: 4, size: tc.size, depth: tc.depth,
				warmup: 50 * time.Millisecond, duration: 300 * time.Millisecond}
			res, err := load(&o)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", *res)
			if res.Messages == 0 || res.P50us <= 0 {
				t.Fatalf("nothing measured: %+v", *res)
			}
			if tc.corrupt != (res.Errors > 0) || (tc.corrupt && res.FirstFailure == "") {
				t.Fatalf("errors %d (first %q), corrupting server %v", res.Errors, res.FirstFailure, tc.corrupt)
			}
			if !tc.corrupt && res.Verified < res.Messages {
				t.Fatalf("verified %d < measured %d", res.Verified, res.Messages)
			}
		})
	}
}

// TestFragmentedEcho: a server that echoes in fragments is joined and
// verified.
func TestFragmentedEcho(t *testing.T) {
	up := websocket.Upgrader{WriteBufferSize: 256} // gorilla fragments writes beyond its buffer
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			wr, err := c.NextWriter(websocket.BinaryMessage)
			if err != nil {
				return
			}
			for len(p) > 0 { // several writes: several frames
				n := min(len(p), 100)
				_, _ = wr.Write(p[:n])
				p = p[n:]
			}
			if wr.Close() != nil {
				return
			}
		}
	}))
	defer ts.Close()
	o := options{url: "ws" + strings.TrimPrefix(ts.URL, "http") + "/", conns: 2, size: 1000, depth: 1,
		warmup: 20 * time.Millisecond, duration: 200 * time.Millisecond}
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 || res.Errors != 0 {
		t.Fatalf("%+v", *res)
	}
}

func TestParseFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		used int
		err  bool
	}{
		{"empty", nil, 0, false},
		{"short_header", []byte{0x82}, 0, false},
		{"small", []byte{0x82, 3, 'a', 'b', 'c'}, 5, false},
		{"incomplete_payload", []byte{0x82, 3, 'a'}, 0, false},
		{"16_bit_length", append([]byte{0x82, 126, 0, 200}, make([]byte, 200)...), 204, false},
		{"16_bit_incomplete", []byte{0x82, 126, 0}, 0, false},
		{"64_bit_length", append([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, make([]byte, 65536)...), 65546, false},
		{"text_frame", []byte{0x81, 0}, 0, true},
		{"masked", []byte{0x82, 0x80}, 0, true},
		{"first_fragment", []byte{0x02, 1, 'a'}, 3, false},
		{"continuation_without_message", []byte{0x80, 1, 'a'}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, used, err := parseFrame(tc.in, false)
			if used != tc.used || (err != nil) != tc.err {
				t.Fatalf("used %d err %v, want %d %v", used, err, tc.used, tc.err)
			}
		})
	}
}

// FuzzParseFrame: any bytes give a frame, "need more", or an error, never a
// panic; a frame lies inside the input, its payload at its end after a
// header of 2, 4 or 10 bytes.
func FuzzParseFrame(f *testing.F) {
	f.Add([]byte{0x82, 3, 'a', 'b', 'c'}, false)
	f.Add([]byte{0x00, 1, 'a'}, true)
	f.Add(append([]byte{0x82, 126, 0, 200}, make([]byte, 200)...), false)
	f.Add([]byte{0x82, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false)
	f.Fuzz(func(t *testing.T, b []byte, cont bool) {
		payload, fin, used, err := parseFrame(b, cont)
		if err != nil || used == 0 {
			if payload != nil {
				t.Fatalf("payload %d bytes with used %d, err %v", len(payload), used, err)
			}
			return
		}
		h := used - len(payload)
		if used > len(b) || (h != 2 && h != 4 && h != 10) || !bytes.Equal(b[h:used], payload) || fin != (b[0]&0x80 != 0) {
			t.Fatalf("used %d of %d, payload %d bytes, fin %v", used, len(b), len(payload), fin)
		}
	})
}
