package session_test

import (
	"bytes"
	"io"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// fuzzMaxMessage is small so the fuzzer reaches the limit easily.
const fuzzMaxMessage = 4 << 10

// fuzzRun is what a session did with one input, up to its first error.
type fuzzRun struct {
	msgs   []string
	frames []string // written frames, decoded: op, fin, rsv and payload
	code   frame.CloseCode
}

// boundedHandler checks every delivered message against the limits.
type boundedHandler struct {
	session.NopHandler
	t    *testing.T
	msgs *[]string
}

func (h boundedHandler) OnMessage(_ *session.Session, f session.Frame) {
	if len(f.Payload) > fuzzMaxMessage {
		h.t.Fatalf("delivered %d bytes over MaxMessageSize %d", len(f.Payload), fuzzMaxMessage)
	}
	if !f.Fin || (f.Op != frame.OpText && f.Op != frame.OpBinary) {
		h.t.Fatalf("delivered %v fin=%v", f.Op, f.Fin)
	}
	if f.Op == frame.OpText && !utf8.Valid(f.Payload) {
		h.t.Fatalf("delivered invalid UTF-8 %q", f.Payload)
	}
	*h.msgs = append(*h.msgs, opTag(f.Op)+string(f.Payload))
}

// feedFuzz feeds data to a fresh session in the chunks given by cuts and
// records what happened up to the first error. With keepGoing, it goes on
// feeding after the error, as a driver may, to exercise the skipping state.
func feedFuzz(t *testing.T, role seam.Role, data []byte, cuts []int, keepGoing bool) fuzzRun {
	var r fuzzRun
	d := newMemDriver()
	cfg := session.Config{MaxMessageSize: fuzzMaxMessage}
	s, ep := newSession(t, cfg, boundedHandler{t: t, msgs: &r.msgs}, role, d, nil)
	in := bytes.Clone(data)
	prev := 0
	failed := false
	for _, c := range append(cuts, len(in)) {
		err := ep.Feed(in[prev:c])
		prev = c
		if n, capacity := session.RxBuffered(s); n > fuzzMaxMessage || capacity > 2*fuzzMaxMessage {
			t.Fatalf("session holds %d bytes (cap %d) with MaxMessageSize %d", n, capacity, fuzzMaxMessage)
		}
		if err != nil && !failed {
			failed = true
			r.code = closeCode(err)
			if r.code == 0 {
				t.Fatalf("Feed error %v carries no close code", err)
			}
			if s.CloseReason().Code == 0 {
				t.Fatal("Feed failed but CloseReason is unset")
			}
			r.frames = decodeWritten(t, d)
			if !keepGoing {
				break
			}
		}
	}
	if !failed {
		r.frames = decodeWritten(t, d)
	}
	ep.Closed(io.EOF)
	if n, _ := session.RxBuffered(s); n != 0 {
		t.Fatalf("session holds %d bytes after Closed", n)
	}
	if s.CloseReason().Code == 0 {
		t.Fatal("no CloseReason after Closed")
	}
	return r
}

func decodeWritten(t *testing.T, d *memDriver) []string {
	var out []string
	for _, f := range d.frames(t) {
		out = append(out, f.Op.String()+string(rune('0'+b2i(f.Fin)))+string(rune('0'+f.Rsv>>4))+":"+string(f.Payload))
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzFeed feeds arbitrary bytes, whole and split at fuzzed points, to server
// and client sessions. It must never panic, never hold or deliver more than
// MaxMessageSize, and the reference it is checked against is the session
// itself fed the same bytes in one piece: how reads are split must not change
// what is delivered, what is written, or the close code.
func FuzzFeed(f *testing.F) {
	for _, role := range roles {
		st := newSplitStream(false)
		f.Add(encodeFrom(role, st.frames...), uint16(3), uint16(40), uint8(7), role == seam.Client)
		f.Add(encodeFrom(role, msg(frame.OpText, "ok\xff")), uint16(4), uint16(5), uint8(1), role == seam.Client)
		f.Add(encodeFrom(role, frag(frame.OpText, false, "a\xe2"), wf{op: frame.OpPing, fin: true, payload: []byte("x")},
			frag(frame.OpContinuation, true, "\x82\xac")), uint16(2), uint16(9), uint8(3), role == seam.Client)
		f.Add(encodeFrom(role, wf{op: frame.OpBinary, fin: true, payload: make([]byte, fuzzMaxMessage+1)}), uint16(1), uint16(2), uint8(0), role == seam.Client)
		f.Add(encodeFrom(role, frag(frame.OpBinary, false, string(make([]byte, 3000))), frag(frame.OpContinuation, true, string(make([]byte, 3000)))),
			uint16(100), uint16(3010), uint8(200), role == seam.Client)
		f.Add(encodeFrom(role, closeFrame(closePayload(frame.CloseNormal, "bye")), msg(frame.OpText, "after")), uint16(1), uint16(6), uint8(2), role == seam.Client)
		f.Add(encodeFrom(role, closeFrame([]byte{1}), msg(frame.OpText, "after")), uint16(1), uint16(6), uint8(2), role == seam.Client)
		f.Add(encodeFrom(role, wf{op: frame.OpBinary, fin: true, length: 1 << 40}), uint16(1), uint16(6), uint8(2), role == seam.Client)
	}
	f.Add([]byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}, uint16(3), uint16(11), uint8(1), false)
	f.Add([]byte{0x81, 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0x89, 0x80, 1, 2, 3, 4}, uint16(0), uint16(0), uint8(0), false)

	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16, step uint8, client bool) {
		role := seam.Server
		if client {
			role = seam.Client
		}
		whole := feedFuzz(t, role, data, nil, false)

		// Two fuzzed cuts, then chunks of a fuzzed step (0 means none).
		var cuts []int
		a, b := int(cut1)%(len(data)+1), int(cut2)%(len(data)+1)
		if a > b {
			a, b = b, a
		}
		cuts = append(cuts, a, b)
		if step > 0 {
			for c := b + int(step); c < len(data); c += int(step) {
				cuts = append(cuts, c)
			}
		}
		split := feedFuzz(t, role, data, cuts, false)
		if !slices.Equal(whole.msgs, split.msgs) {
			t.Fatalf("messages differ: whole %.200q, split at %v %.200q", whole.msgs, cuts, split.msgs)
		}
		if !slices.Equal(whole.frames, split.frames) {
			t.Fatalf("written frames differ: whole %.200q, split at %v %.200q", whole.frames, cuts, split.frames)
		}
		if whole.code != split.code {
			t.Fatalf("close code: whole %d, split at %v %d", whole.code, cuts, split.code)
		}
		// Bytes keep coming after a failure: they are skipped safely.
		feedFuzz(t, role, data, cuts, true)
	})
}
