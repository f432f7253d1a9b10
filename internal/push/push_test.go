package push

import (
	"bytes"
	"testing"

	"github.com/surgews/surge/frame"
)

// TestNewFrame checks the wire form: one final frame, unmasked, with the
// payload after the header.
func TestNewFrame(t *testing.T) {
	for _, c := range []struct {
		name string
		op   frame.Opcode
		n    int
	}{
		{"empty text", frame.OpText, 0},
		{"short binary", frame.OpBinary, 125},
		{"16-bit length", frame.OpBinary, 126},
		{"64-bit length", frame.OpBinary, 70000},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := bytes.Repeat([]byte{'x'}, c.n)
			f := NewFrame(c.op, p)
			defer f.Release()
			var h frame.Header
			n, need, err := frame.DecodeHeader(f.Wire(), &h)
			if err != nil || need != 0 || !h.Fin || h.Masked || h.Op != c.op || h.Length != int64(c.n) {
				t.Fatalf("header %+v (n %d, need %d, err %v)", h, n, need, err)
			}
			if !bytes.Equal(f.Wire()[n:], p) || !bytes.Equal(f.Payload(), p) || f.Op() != c.op {
				t.Fatal("payload differs")
			}
		})
	}
}

// upper is an extension whose encoding is deterministic: the payload in
// upper case with RSV1, or as it is for "plain".
type upper struct{ calls int }

func (*upper) Name() string { return "x-upper" }
func (*upper) Rsv() byte    { return frame.Rsv1 }
func (*upper) Idle()        {}
func (*upper) DecodeMessage(dst []byte, _ byte, p []byte, _ int64) ([]byte, error) {
	return append(dst, p...), nil
}

func (u *upper) EncodeMessage(dst, p []byte) ([]byte, byte, error) {
	u.calls++
	if string(p) == "plain" {
		return dst, 0, nil
	}
	return append(dst, bytes.ToUpper(p)...), frame.Rsv1, nil
}

// TestEncoded checks that an encoding is made once per key, carries the
// extension's RSV bits, falls back to the plain wire form when the extension
// sends the payload as it is, and that a frame keeps at most maxVariants.
func TestEncoded(t *testing.T) {
	u := &upper{}
	f := NewFrame(frame.OpText, []byte("hello"))
	f.Retain(1)
	keys := []*int{new(int), new(int), new(int), new(int), new(int)}
	w1, ok1 := f.Encoded(keys[0], u)
	w2, ok2 := f.Encoded(keys[0], u)
	if !ok1 || !ok2 || u.calls != 1 || !bytes.Equal(w1, w2) {
		t.Fatalf("same key: ok %v %v, %d encodings", ok1, ok2, u.calls)
	}
	var h frame.Header
	n, _, _ := frame.DecodeHeader(w1, &h)
	if h.Rsv != frame.Rsv1 || !h.Fin || h.Op != frame.OpText || string(w1[n:]) != "HELLO" {
		t.Fatalf("encoded frame %+v %q", h, w1[n:])
	}
	for i, k := range keys[1:] {
		_, ok := f.Encoded(k, u)
		if want := i+1 < maxVariants; ok != want {
			t.Fatalf("key %d: ok %v, want %v", i+1, ok, want)
		}
	}
	f.Release()
	f.Release() // the last reference: variants go back with the frame

	g := NewFrame(frame.OpText, []byte("plain"))
	defer g.Release()
	if w, ok := g.Encoded(keys[0], u); !ok || !bytes.Equal(w, g.Wire()) {
		t.Fatalf("an encoding that sends the payload as it is: ok %v, %q", ok, w)
	}
}

// TestReleaseTooOften checks the reference count's guard.
func TestReleaseTooOften(t *testing.T) {
	f := NewFrame(frame.OpBinary, nil)
	f.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("a second Release did not panic")
		}
	}()
	f.refs.Store(0) // as if recycled and handed out again with no holder
	f.Release()
}
