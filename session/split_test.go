package session_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// splitStream is a conversation exercising every length form, fragmentation,
// control frames between fragments and multi-byte characters split across
// fragments, with the messages and pongs it must produce.
type splitStream struct {
	frames []wf
	msgs   []string // expected deliveries, tagged as recorder.messages does
	pongs  []string // expected pong payloads, in order
}

func newSplitStream(long bool) splitStream {
	uni := "héllo wörld €𝄞 ünïcode"
	bin300 := make([]byte, 300)
	for i := range bin300 {
		bin300[i] = byte(i * 7)
	}
	accents := strings.Repeat("é", 100)
	st := splitStream{
		frames: []wf{
			msg(frame.OpText, "hello"),
			frag(frame.OpBinary, false, "part1-"),
			{op: frame.OpPing, fin: true, payload: []byte("are you there")},
			frag(frame.OpContinuation, false, "part2-"),
			{op: frame.OpPong, fin: true, payload: []byte("unsolicited")},
			frag(frame.OpContinuation, true, "part3"),
			msg(frame.OpText, ""),
			frag(frame.OpText, false, uni[:2]),
			frag(frame.OpContinuation, false, uni[2:9]),
			{op: frame.OpPing, fin: true},
			frag(frame.OpContinuation, true, uni[9:]),
			{op: frame.OpBinary, fin: true, payload: bin300},
			msg(frame.OpText, accents),
		},
		msgs:  []string{"t:hello", "b:part1-part2-part3", "t:", "t:" + uni, "b:" + string(bin300), "t:" + accents},
		pongs: []string{"are you there", ""},
	}
	if long {
		big := make([]byte, 70000) // 64-bit length form
		for i := range big {
			big[i] = byte(i % 251)
		}
		st.frames = append(st.frames, wf{op: frame.OpBinary, fin: true, payload: big}, msg(frame.OpText, "after"))
		st.msgs = append(st.msgs, "b:"+string(big), "t:after")
	}
	return st
}

// runChunks feeds stream to a fresh session of role in the given chunks
// (offsets into the stream) and checks what it delivered and wrote.
func runChunks(t *testing.T, role seam.Role, st splitStream, wire []byte, cuts []int) {
	t.Helper()
	_, ep, d, rec := newEventSession(t, session.Config{}, role)
	// Feed unmasks in place, so every run gets its own copy.
	in := bytes.Clone(wire)
	prev := 0
	for _, c := range append(cuts, len(in)) {
		if err := ep.Feed(in[prev:c]); err != nil {
			t.Fatalf("cuts %v: Feed(%d:%d): %v", cuts, prev, c, err)
		}
		prev = c
	}
	if got := rec.messages(); !slices.Equal(got, st.msgs) {
		t.Fatalf("cuts %v: delivered %d messages %.200q, want %d %.200q", cuts, len(got), got, len(st.msgs), st.msgs)
	}
	var pongs []string
	for _, f := range d.frames(t) {
		if f.Op != frame.OpPong || !f.Fin {
			t.Fatalf("cuts %v: wrote unexpected %v frame", cuts, f.Op)
		}
		if f.Masked != (role == seam.Client) {
			t.Fatalf("cuts %v: pong masked=%v for role %v", cuts, f.Masked, role)
		}
		pongs = append(pongs, string(f.Payload))
	}
	if !slices.Equal(pongs, st.pongs) {
		t.Fatalf("cuts %v: pongs %q, want %q", cuts, pongs, st.pongs)
	}
}

// TestSplitEveryByte feeds the stream one byte at a time.
func TestSplitEveryByte(t *testing.T) {
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			st := newSplitStream(true)
			wire := encodeFrom(role, st.frames...)
			cuts := make([]int, 0, len(wire))
			for i := 1; i < len(wire); i++ {
				cuts = append(cuts, i)
			}
			runChunks(t, role, st, wire, cuts)
		})
	}
}

// TestSplitAtEveryIndex feeds the stream in two parts, cut at every index.
func TestSplitAtEveryIndex(t *testing.T) {
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			st := newSplitStream(false)
			wire := encodeFrom(role, st.frames...)
			for i := 0; i <= len(wire); i++ {
				runChunks(t, role, st, wire, []int{i})
			}
		})
	}
}

// TestSplitRandom feeds the long stream in random chunkings.
func TestSplitRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, role := range roles {
		st := newSplitStream(true)
		wire := encodeFrom(role, st.frames...)
		for run := 0; run < 100; run++ {
			t.Run(fmt.Sprintf("%s/%d", roleName(role), run), func(t *testing.T) {
				var cuts []int
				for c := 0; ; {
					// Mostly small chunks, sometimes large, so headers and
					// payloads are cut everywhere.
					step := 1 + rng.IntN(20)
					if rng.IntN(8) == 0 {
						step = 1 + rng.IntN(20000)
					}
					c += step
					if c >= len(wire) {
						break
					}
					cuts = append(cuts, c)
				}
				runChunks(t, role, st, wire, cuts)
			})
		}
	}
}

// TestPingBetweenFragments: a ping between the fragments of a message is
// answered at once with a pong carrying the same payload, and the message
// is still joined correctly.
func TestPingBetweenFragments(t *testing.T) {
	_, ep, d, rec := newEventSession(t, session.Config{}, seam.Server)
	feed := func(f wf) {
		t.Helper()
		if err := ep.Feed(encodeFrom(seam.Server, f)); err != nil {
			t.Fatal(err)
		}
	}
	feed(frag(frame.OpText, false, "Hel"))
	feed(wf{op: frame.OpPing, fin: true, payload: []byte("ping-1")})
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpPong || string(fs[0].Payload) != "ping-1" || fs[0].Masked {
		t.Fatalf("after ping: wrote %+v, want one unmasked pong \"ping-1\"", fs)
	}
	if len(rec.messages()) != 0 {
		t.Fatal("message delivered before its final fragment")
	}
	feed(frag(frame.OpContinuation, false, "lo, "))
	feed(wf{op: frame.OpPing, fin: true, payload: []byte("ping-2")})
	feed(frag(frame.OpContinuation, true, "world"))
	if got := rec.messages(); !slices.Equal(got, []string{"t:Hello, world"}) {
		t.Fatalf("delivered %q", got)
	}
	fs = d.frames(t)
	if len(fs) != 2 || string(fs[1].Payload) != "ping-2" {
		t.Fatalf("wrote %+v, want two pongs", fs)
	}
}
