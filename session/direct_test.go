package session_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"unsafe"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// pairDriver is a memDriver that also writes pairs (seam.PairWriter), as
// the event loops' connections do, with the same short-write rules: the
// pair counts as one write of a followed by b. It records the pairs and
// whether b was handed over as the caller's bytes.
type pairDriver struct {
	*memDriver
	pmu   sync.Mutex
	pairs int
	seen  [][]byte // each b, as received (not copied)
}

var _ seam.PairWriter = (*pairDriver)(nil)

func (d *pairDriver) WritePair(a, b []byte) (int, error) {
	d.pmu.Lock()
	d.pairs++
	d.seen = append(d.seen, b)
	d.pmu.Unlock()
	return d.Write(append(bytes.Clone(a), b...))
}

func (d *pairDriver) pairCount() int {
	d.pmu.Lock()
	defer d.pmu.Unlock()
	return d.pairs
}

func newPairDriver() *pairDriver { return &pairDriver{memDriver: newMemDriver()} }

// pattern returns n bytes that differ from one offset to the next, so that a
// byte lost or repeated across a short write shows.
func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7) + seed
	}
	return p
}

// sameBytes reports whether a and b are the same memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// TestLargeSendGoesUncopied: a payload of 4 KiB or more from outside Feed
// goes to the driver as the caller's bytes, behind its header, in one
// WritePair; a smaller one is copied behind its header into one Write.
func TestLargeSendGoesUncopied(t *testing.T) {
	for _, tc := range []struct {
		size  int
		pairs int
	}{
		{size: 4<<10 - 1, pairs: 0},
		{size: 4 << 10, pairs: 1},
		{size: 16 << 10, pairs: 1},
		{size: 70000, pairs: 1}, // a 64-bit length
	} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			d := newPairDriver()
			s, _ := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, d, nil)
			p := pattern(tc.size, 1)
			if err := s.Send(context.Background(), session.BorrowBinary(p)); err != nil {
				t.Fatal(err)
			}
			if got := d.pairCount(); got != tc.pairs {
				t.Fatalf("%d pair writes, want %d", got, tc.pairs)
			}
			if tc.pairs > 0 && !sameBytes(d.seen[0], p) {
				t.Fatal("the payload reached the driver copied")
			}
			fs := d.frames(t)
			if len(fs) != 1 || fs[0].Op != frame.OpBinary || !fs[0].Fin || fs[0].Masked || !bytes.Equal(fs[0].Payload, p) {
				t.Fatalf("wrote %d frames, want the one binary frame", len(fs))
			}
		})
	}
}

// TestLargeSendShortWrites: wherever the socket stops taking bytes (inside
// the header, at its end, inside the payload, at no byte at all), what it
// did not take waits in the backlog and goes out, in order and once, ahead
// of the frames sent after it.
func TestLargeSendShortWrites(t *testing.T) {
	const size = 20000 // a 16-bit length: a 4-byte header
	for _, tc := range []struct {
		name  string
		chunk int
		block bool
		pairs int // 1 when the first send leaves a backlog
	}{
		{name: "nothing", block: true},
		{name: "one byte", chunk: 1},
		{name: "inside the header", chunk: 3},
		{name: "the header", chunk: 4},
		{name: "one payload byte", chunk: 5},
		{name: "all but one byte", chunk: 4 + size - 1},
		{name: "all", chunk: 4 + size, pairs: 2}, // no backlog: the second goes out uncopied too
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newPairDriver()
			d.chunk = tc.chunk
			d.blocked = tc.block
			s, ep := newSession(t, session.Config{}, session.NopHandler{}, seam.Server, d, nil)
			big := pattern(size, 3)
			if err := s.Send(context.Background(), session.BorrowBinary(big)); err != nil {
				t.Fatal(err)
			}
			clear(big[:10]) // Send has returned: the caller's bytes are the caller's again
			after := pattern(5000, 9)
			if err := s.Send(context.Background(), session.BorrowBinary(after)); err != nil {
				t.Fatal(err)
			}
			want := max(tc.pairs, 1)
			if d.pairCount() != want {
				t.Fatalf("%d pair writes, want %d (the second send queues behind a backlog)", d.pairCount(), want)
			}
			d.mu.Lock()
			d.chunk, d.blocked = 0, false
			d.mu.Unlock()
			ep.Writable()
			fs := d.frames(t)
			if len(fs) != 2 || !bytes.Equal(fs[0].Payload, pattern(size, 3)) || !bytes.Equal(fs[1].Payload, after) {
				t.Fatalf("wrote %d frames, want the two sends in order, whole", len(fs))
			}
		})
	}
}

// TestLargeEchoInFeed: inside Feed an echo is batched unless nothing follows
// its message in the bytes fed; the last one goes out at once, uncopied, with
// the batch ahead of it in the same write.
func TestLargeEchoInFeed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sizes   []int
		pairs   int
		partial bool // the last frame of the feed is cut short
	}{
		{name: "one large", sizes: []int{16 << 10}, pairs: 1},
		{name: "two large", sizes: []int{16 << 10, 16 << 10}, pairs: 1},
		{name: "small then large", sizes: []int{100, 8 << 10}, pairs: 1},
		{name: "large then small", sizes: []int{8 << 10, 100}, pairs: 0},
		{name: "large then a partial frame", sizes: []int{8 << 10, 100}, pairs: 0, partial: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newPairDriver()
			_, ep := newSession(t, session.Config{}, echoHandler{}, seam.Server, d, nil)
			var frames []wf
			for i, n := range tc.sizes {
				frames = append(frames, wf{op: frame.OpBinary, fin: true, payload: pattern(n, byte(i))})
			}
			in := encodeFrom(seam.Server, frames...)
			if tc.partial {
				in = in[:len(in)-1]
			}
			if err := ep.Feed(in); err != nil {
				t.Fatal(err)
			}
			if got := d.pairCount(); got != tc.pairs {
				t.Fatalf("%d pair writes, want %d", got, tc.pairs)
			}
			fs := d.frames(t)
			n := len(tc.sizes)
			if tc.partial {
				n--
			}
			if len(fs) != n {
				t.Fatalf("echoed %d frames, want %d", len(fs), n)
			}
			for i := range n {
				if !bytes.Equal(fs[i].Payload, frames[i].payload) {
					t.Fatalf("echo %d differs from its message", i)
				}
			}
		})
	}
}

// TestLargeEchoBehindPong: a pong batched by Feed goes out ahead of a large
// echo in the same write, and once it is out the next ping is answered.
func TestLargeEchoBehindPong(t *testing.T) {
	d := newPairDriver()
	_, ep := newSession(t, session.Config{}, echoHandler{}, seam.Server, d, nil)
	big := pattern(16<<10, 5)
	in := encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: []byte("p1")},
		wf{op: frame.OpBinary, fin: true, payload: big})
	if err := ep.Feed(in); err != nil {
		t.Fatal(err)
	}
	if err := ep.Feed(encodeFrom(seam.Server, wf{op: frame.OpPing, fin: true, payload: []byte("p2")})); err != nil {
		t.Fatal(err)
	}
	if d.pairCount() != 1 {
		t.Fatalf("%d pair writes, want 1", d.pairCount())
	}
	fs := d.frames(t)
	if len(fs) != 3 || fs[0].Op != frame.OpPong || string(fs[0].Payload) != "p1" ||
		!bytes.Equal(fs[1].Payload, big) || fs[2].Op != frame.OpPong || string(fs[2].Payload) != "p2" {
		t.Fatalf("wrote %d frames, want pong p1, the echo, pong p2", len(fs))
	}
}
