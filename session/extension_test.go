package session_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/surgews/surge/frame"
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

func newExtSession(t *testing.T, role session.Role) (*session.Session, *memDriver, *recorder) {
	t.Helper()
	rec := newRecorder()
	d := newMemDriver()
	cfg := session.Config{Handler: rec}
	s := session.New(&cfg, role, d, &session.Request{Path: "/x", Extensions: []session.Extension{reverseExt{minLen: 4}}})
	s.Start()
	return s, d, rec
}

// TestExtensionReceive: a message with the extension's RSV bit is decoded,
// one without is passed through; the decoded text is checked for UTF-8.
func TestExtensionReceive(t *testing.T) {
	for _, role := range []session.Role{session.RoleServer, session.RoleClient} {
		t.Run(roleName(role), func(t *testing.T) {
			s, _, rec := newExtSession(t, role)
			in := encodeFrom(role,
				wf{op: frame.OpText, fin: true, rsv: frame.Rsv1, payload: []byte("olleh")},
				msg(frame.OpText, "plain"),
				wf{op: frame.OpBinary, fin: false, rsv: frame.Rsv1, payload: []byte("321")},
				wf{op: frame.OpPing, fin: true},
				frag(frame.OpContinuation, true, "654"))
			if err := s.Feed(in); err != nil {
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
			s, d, rec := newExtSession(t, session.RoleServer)
			err := s.Feed(encodeFrom(session.RoleServer, tt.frames...))
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
// sets its RSV bit; short messages, fragments and control frames go plain.
func TestExtensionSend(t *testing.T) {
	s, d, _ := newExtSession(t, session.RoleServer)
	ctx := context.Background()
	_ = s.Send(ctx, session.Text("abcdef"))
	_ = s.Send(ctx, session.Text("ab"))
	_ = s.Send(ctx, session.Ping([]byte("ping")))
	_ = s.Send(ctx, session.Frame{Op: frame.OpBinary, Payload: []byte("frag")})
	var got []string
	for _, f := range d.frames(t) {
		got = append(got, f.Op.String()+":"+string(rune('0'+f.Rsv>>4))+":"+string(f.Payload))
	}
	want := []string{"text:4:fedcba", "text:0:ab", "ping:0:ping", "binary:0:frag"}
	if !slices.Equal(got, want) {
		t.Fatalf("wrote %q, want %q", got, want)
	}
	if exts := s.Extensions(); len(exts) != 1 || exts[0].Name() != "x-reverse" {
		t.Fatalf("Extensions() = %v", exts)
	}
}
