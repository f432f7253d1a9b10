package topic

import (
	"bytes"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/flate"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestCompressedOnce covers permessage-deflate: a publish is compressed once
// for all the subscribers that share an agreement without context takeover
// on the server's side, and once more for each subscriber whose compressor
// keeps context; every subscriber gets a frame it can inflate.
func TestCompressedOnce(t *testing.T) {
	var calls atomic.Int32
	count := func([]byte) bool { calls.Add(1); return true }
	accept := func(cfg deflate.Config) extension.Extension {
		cfg.Compress = count
		_, e, ok, err := deflate.New(cfg).Accept(nil)
		if !ok || err != nil {
			t.Fatalf("Accept: %v %v", ok, err)
		}
		return e
	}
	shared := accept(deflate.Config{}) // the server answers server_no_context_takeover
	// Another Factory with the same settings is another agreement (its
	// settings could differ); one whose server keeps context is one per session.
	other := accept(deflate.Config{})
	ctxFactory := deflate.New(deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, Compress: count})
	loop := &fakeLoop{}
	var h Hub
	var subs []testSession
	for i := 0; i < 4; i++ {
		subs = append(subs, newTestSession(session.Config{}, loop, shared))
	}
	subs = append(subs, newTestSession(session.Config{}, loop, other))
	for i := 0; i < 2; i++ {
		_, e, _, err := ctxFactory.Accept(nil)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, newTestSession(session.Config{}, loop, e))
	}
	plain := newTestSession(session.Config{}, loop)
	subs = append(subs, plain)
	for _, ts := range subs {
		must(t, h.Subscribe(ts.s, "t"))
	}
	msg := strings.Repeat("compress me once ", 64)
	must(t, h.Publish("t", frame.OpText, []byte(msg), nil))
	loop.run()
	// One for the four sessions of shared, one for other, one for each
	// session with context takeover; none for the plain one.
	if n := calls.Load(); n != 4 {
		t.Errorf("%d compressions for one publish, want 4", n)
	}
	var first []byte
	for i, ts := range subs {
		ts.d.mu.Lock()
		wire := append([]byte(nil), ts.d.out...)
		ts.d.mu.Unlock()
		var hd frame.Header
		n, _, err := frame.DecodeHeader(wire, &hd)
		if err != nil {
			t.Fatal(err)
		}
		p := wire[n:]
		if ts == plain {
			if hd.Rsv != 0 || string(p) != msg {
				t.Errorf("plain subscriber got rsv %x, %d bytes", hd.Rsv, len(p))
			}
			continue
		}
		if hd.Rsv != frame.Rsv1 || int(hd.Length) != len(p) {
			t.Fatalf("subscriber %d: rsv %x, length %d of %d: not one compressed frame", i, hd.Rsv, hd.Length, len(p))
		}
		if got := inflate(t, p); got != msg {
			t.Fatalf("subscriber %d inflated %q", i, got)
		}
		if i < 4 {
			if first == nil {
				first = wire
			} else if !bytes.Equal(first, wire) {
				t.Errorf("subscriber %d of one agreement got other bytes", i)
			}
		}
	}
}

func inflate(t *testing.T, p []byte) string {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	b, err := io.ReadAll(r)
	if err != nil && err != io.ErrUnexpectedEOF {
		t.Fatalf("inflate: %v", err)
	}
	return string(b)
}
