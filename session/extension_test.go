package session_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// reverseExt is a toy per-message extension on RSV1: the wire form of a
// message is its bytes reversed. Messages shorter than minLen go out plain.
// A payload "fail" makes DecodeMessage fail.
type reverseExt struct{ minLen int }

func (reverseExt) Name() string { return "x-reverse" }
func (reverseExt) Rsv() byte    { return frame.Rsv1 }
func (reverseExt) Idle()        {}

func (reverseExt) DecodeMessage(dst []byte, rsv byte, p []byte, limit int64) ([]byte, error) {
	if string(p) == "liaf" {
		return nil, errors.New("x-reverse: corrupt")
	}
	if int64(len(p)) > limit {
		return nil, frame.ErrMessageTooBig
	}
	for i := len(p) - 1; i >= 0; i-- {
		dst = append(dst, p[i])
	}
	return dst, nil
}

func (e reverseExt) EncodeMessage(dst []byte, p []byte) ([]byte, byte, error) {
	if len(p) < e.minLen {
		return dst, 0, nil
	}
	for i := len(p) - 1; i >= 0; i-- {
		dst = append(dst, p[i])
	}
	return dst, frame.Rsv1, nil
}

// newExtSession returns a started inline event-style session that
// negotiated reverseExt (minLen 4).
func newExtSession(t *testing.T, role seam.Role) (*session.Session, seam.Endpoint, *memDriver, *recorder) {
	t.Helper()
	rec := newRecorder()
	d := newMemDriver()
	req := &session.Request{Path: "/x", Extensions: []extension.Extension{reverseExt{minLen: 4}}}
	s, ep := newSession(t, session.Config{}, rec, role, d, req)
	return s, ep, d, rec
}

// TestExtensionReceive: a message with the extension's RSV bit is decoded,
// one without is passed through; the decoded text is checked for UTF-8.
func TestExtensionReceive(t *testing.T) {
	for _, role := range roles {
		t.Run(roleName(role), func(t *testing.T) {
			_, ep, _, rec := newExtSession(t, role)
			in := encodeFrom(role,
				wf{op: frame.OpText, fin: true, rsv: frame.Rsv1, payload: []byte("olleh")},
				msg(frame.OpText, "plain"),
				wf{op: frame.OpBinary, fin: false, rsv: frame.Rsv1, payload: []byte("321")},
				wf{op: frame.OpPing, fin: true},
				frag(frame.OpContinuation, true, "654"))
			if err := ep.Feed(in); err != nil {
				t.Fatal(err)
			}
			if got, want := rec.messages(), []string{"t:hello", "t:plain", "b:456123"}; !slices.Equal(got, want) {
				t.Fatalf("delivered %q, want %q", got, want)
			}
		})
	}
}

// TestExtensionViolations: RSV bits the extension does not claim, RSV1 on a
// continuation or a control frame, a decoder error and invalid decoded text
// each fail the connection.
func TestExtensionViolations(t *testing.T) {
	for _, tt := range []struct {
		name   string
		frames []wf
		code   frame.CloseCode
	}{
		{name: "rsv2", frames: []wf{{op: frame.OpText, fin: true, rsv: frame.Rsv2, payload: []byte("x")}}, code: frame.CloseProtocolError},
		{name: "rsv1 on continuation", frames: []wf{frag(frame.OpBinary, false, "a"), {op: frame.OpContinuation, fin: true, rsv: frame.Rsv1, payload: []byte("b")}}, code: frame.CloseProtocolError},
		{name: "rsv1 on ping", frames: []wf{{op: frame.OpPing, fin: true, rsv: frame.Rsv1}}, code: frame.CloseProtocolError},
		{name: "decoder error", frames: []wf{{op: frame.OpBinary, fin: true, rsv: frame.Rsv1, payload: []byte("liaf")}}, code: frame.CloseProtocolError},
		{name: "decoded text not utf8", frames: []wf{{op: frame.OpText, fin: true, rsv: frame.Rsv1, payload: []byte("\x82\xe2a")}}, code: frame.CloseInvalidPayload},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, ep, d, rec := newExtSession(t, seam.Server)
			err := ep.Feed(encodeFrom(seam.Server, tt.frames...))
			if err == nil {
				t.Fatal("accepted")
			}
			fs := d.frames(t)
			if len(fs) != 1 || fs[0].Op != frame.OpClose {
				t.Fatalf("wrote %v, want a close", fs)
			}
			if code, _, _ := frame.ParseClose(fs[0].Payload); code != tt.code {
				t.Fatalf("close code %d, want %d (Feed: %v)", code, tt.code, err)
			}
			if len(rec.messages()) != 0 {
				t.Fatal("delivered")
			}
		})
	}
}

// TestExtensionSend: Send encodes whole messages through the extension and
// sets its RSV bit; short messages, fragments and control frames go plain,
// and a frame with the extension's RSV bit already set is taken as already
// encoded: it is sent as it is, not through the extension.
func TestExtensionSend(t *testing.T) {
	s, _, d, _ := newExtSession(t, seam.Server)
	ctx := context.Background()
	for i, f := range []session.Frame{
		session.CopyText("abcdef"),
		session.CopyText("ab"),
		control(frame.OpPing, []byte("ping")),
		{Op: frame.OpBinary, Payload: []byte("frag")},
		{Fin: true, Op: frame.OpContinuation, Payload: []byte("ment")},
		{Fin: true, Rsv1: true, Op: frame.OpText, Payload: []byte("cba")},
		{Rsv1: true, Op: frame.OpBinary, Payload: []byte("65")},
		{Fin: true, Op: frame.OpContinuation, Payload: []byte("4321")},
	} {
		if err := s.Send(ctx, f); err != nil {
			t.Fatalf("Send %d (%v): %v", i, f.Op, err)
		}
	}
	var got []string
	for _, f := range d.frames(t) {
		got = append(got, f.Op.String()+":"+string(rune('0'+f.Rsv>>4))+":"+string(f.Payload))
	}
	want := []string{"text:4:fedcba", "text:0:ab", "ping:0:ping", "binary:0:frag", "continuation:0:ment",
		"text:4:cba", "binary:4:65", "continuation:0:4321"}
	if !slices.Equal(got, want) {
		t.Fatalf("wrote %q, want %q", got, want)
	}
	if exts := s.Request().Extensions; len(exts) != 1 || exts[0].Name() != "x-reverse" {
		t.Fatalf("Request().Extensions = %v", exts)
	}
}

// TestFragmentsWithExtension: under Config.Fragments, a message an
// extension encoded is still delivered whole (it can only be decoded
// whole); a plain fragmented message beside it is delivered frame by frame.
func TestFragmentsWithExtension(t *testing.T) {
	rec := newRecorder()
	req := &session.Request{Path: "/x", Extensions: []extension.Extension{reverseExt{minLen: 4}}}
	_, ep := newSession(t, session.Config{Fragments: true}, rec, seam.Server, newMemDriver(), req)
	in := encodeFrom(seam.Server,
		wf{op: frame.OpBinary, fin: false, rsv: frame.Rsv1, payload: []byte("321")},
		frag(frame.OpContinuation, true, "654"),
		frag(frame.OpText, false, "ab"),
		frag(frame.OpContinuation, true, "cd"))
	if err := ep.Feed(in); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.messages(), []string{"b:456123", "t:ab", "continuation:cd"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}
