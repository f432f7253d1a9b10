package testwire

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
)

func wire(h frame.Header, p []byte) []byte {
	h.Length = int64(len(p))
	b := frame.AppendHeader(nil, &h)
	n := len(b)
	b = append(b, p...)
	if h.Masked {
		mask.XOR(b[n:], h.Key, 0)
	}
	return b
}

func TestReadFrame(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70000)
	for _, tc := range []struct {
		name    string
		in      []byte
		max     int64
		op      frame.Opcode
		payload []byte
		err     bool
	}{
		{"small", wire(frame.Header{Fin: true, Op: frame.OpText}, []byte("hi")), 100, frame.OpText, []byte("hi"), false},
		{"masked", wire(frame.Header{Fin: true, Op: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}}, []byte("secret")), 100, frame.OpBinary, []byte("secret"), false},
		{"64_bit_length", wire(frame.Header{Fin: true, Op: frame.OpBinary}, big), 1 << 20, frame.OpBinary, big, false},
		{"empty", wire(frame.Header{Fin: true, Op: frame.OpPing}, nil), 100, frame.OpPing, []byte{}, false},
		{"over_max", wire(frame.Header{Fin: true, Op: frame.OpBinary}, big), 1000, 0, nil, true},
		{"truncated_payload", wire(frame.Header{Fin: true, Op: frame.OpText}, []byte("hello"))[:4], 100, 0, nil, true},
		{"truncated_header", []byte{0x82}, 100, 0, nil, true},
		{"length_overflow", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, 100, 0, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte per read: the header arrives in pieces.
			h, p, err := ReadFrame(iotest.OneByteReader(bytes.NewReader(tc.in)), tc.max)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if h.Op != tc.op || !bytes.Equal(p, tc.payload) {
				t.Fatalf("got %v %q", h.Op, p)
			}
		})
	}
	if _, _, err := ReadFrame(bytes.NewReader(nil), 10); !errors.Is(err, io.EOF) {
		t.Fatalf("empty stream: %v, want io.EOF", err)
	}
}
