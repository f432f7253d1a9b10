package frame

import (
	"errors"
	"io"
	"math"
	"testing"
)

// headerCases drive both the decoder and the encoder: wire is the minimal
// encoding of h followed by the payload, when the test has one.
var headerCases = []struct {
	name    string
	wire    string // header bytes, then payload (if any)
	h       Header
	payload string // unmasked payload expected after the header
}{
	// RFC 6455 §5.7 examples.
	{
		name:    "RFC 5.7 single-frame unmasked text",
		wire:    "\x81\x05Hello",
		h:       Header{Fin: true, Op: OpText, Length: 5},
		payload: "Hello",
	},
	{
		name:    "RFC 5.7 single-frame masked text",
		wire:    "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
		h:       Header{Fin: true, Op: OpText, Masked: true, Key: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5},
		payload: "Hello",
	},
	{
		name:    "RFC 5.7 fragmented unmasked text, first",
		wire:    "\x01\x03Hel",
		h:       Header{Op: OpText, Length: 3},
		payload: "Hel",
	},
	{
		name:    "RFC 5.7 fragmented unmasked text, last",
		wire:    "\x80\x02lo",
		h:       Header{Fin: true, Op: OpContinuation, Length: 2},
		payload: "lo",
	},
	{
		name:    "RFC 5.7 unmasked ping",
		wire:    "\x89\x05Hello",
		h:       Header{Fin: true, Op: OpPing, Length: 5},
		payload: "Hello",
	},
	{
		name:    "RFC 5.7 masked pong",
		wire:    "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
		h:       Header{Fin: true, Op: OpPong, Masked: true, Key: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5},
		payload: "Hello",
	},
	{
		name: "RFC 5.7 256 bytes binary, 16-bit length",
		wire: "\x82\x7E\x01\x00",
		h:    Header{Fin: true, Op: OpBinary, Length: 256},
	},
	{
		name: "RFC 5.7 64KiB binary, 64-bit length",
		wire: "\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00",
		h:    Header{Fin: true, Op: OpBinary, Length: 65536},
	},
	// Length form boundaries.
	{name: "empty close", wire: "\x88\x00", h: Header{Fin: true, Op: OpClose}},
	{name: "7-bit max 125", wire: "\x82\x7D", h: Header{Fin: true, Op: OpBinary, Length: 125}},
	{name: "16-bit min 126", wire: "\x82\x7E\x00\x7E", h: Header{Fin: true, Op: OpBinary, Length: 126}},
	{name: "16-bit max 65535", wire: "\x82\x7E\xFF\xFF", h: Header{Fin: true, Op: OpBinary, Length: 65535}},
	{
		name: "64-bit max 2^63-1 masked",
		wire: "\x02\xFF\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01\x02\x03\x04",
		h:    Header{Op: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: math.MaxInt64},
	},
	{
		name: "16-bit masked",
		wire: "\x81\xFE\x12\x34\xAA\xBB\xCC\xDD",
		h:    Header{Fin: true, Op: OpText, Masked: true, Key: [4]byte{0xAA, 0xBB, 0xCC, 0xDD}, Length: 0x1234},
	},
	// Bits the validator judges, the codec only carries.
	{name: "rsv1 compressed text", wire: "\xC1\x03", h: Header{Fin: true, Rsv: Rsv1, Op: OpText, Length: 3}},
	{name: "all rsv bits", wire: "\x70\x00", h: Header{Rsv: Rsv1 | Rsv2 | Rsv3}},
	{name: "reserved opcode", wire: "\x83\x00", h: Header{Fin: true, Op: 0x3}},
	{name: "fragmented ping", wire: "\x09\x00", h: Header{Op: OpPing}},
}

func TestDecodeHeader(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			n, need, err := DecodeHeader([]byte(tt.wire), &h)
			if err != nil || need != 0 {
				t.Fatalf("DecodeHeader = (%d, %d, %v), want no need and no error", n, need, err)
			}
			if n != tt.h.Size() {
				t.Errorf("n = %d, want %d", n, tt.h.Size())
			}
			if h != tt.h {
				t.Errorf("header = %+v, want %+v", h, tt.h)
			}
			if tt.payload == "" {
				return
			}
			payload := []byte(tt.wire[n:])
			if h.Masked {
				for i := range payload {
					payload[i] ^= h.Key[i&3]
				}
			}
			if string(payload) != tt.payload {
				t.Errorf("payload = %q, want %q", payload, tt.payload)
			}
		})
	}
}

func TestDecodeHeaderPartial(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.h.Size()
			for k := 0; k < size; k++ {
				h := Header{Op: 0xF, Length: -7} // sentinel: must stay untouched
				n, need, err := DecodeHeader([]byte(tt.wire[:k]), &h)
				if n != 0 || err != nil || need <= 0 || k+need > size {
					t.Errorf("prefix %d: DecodeHeader = (%d, %d, %v), want (0, 1..%d, nil)", k, n, need, err, size-k)
				}
				if h != (Header{Op: 0xF, Length: -7}) {
					t.Errorf("prefix %d: header written: %+v", k, h)
				}
			}
		})
	}
}

func TestDecodeHeaderNonMinimal(t *testing.T) {
	tests := []struct {
		name string
		wire string
		h    Header
	}{
		{"5 in 16 bits", "\x81\x7E\x00\x05", Header{Fin: true, Op: OpText, Length: 5}},
		{"5 in 64 bits", "\x81\x7F\x00\x00\x00\x00\x00\x00\x00\x05", Header{Fin: true, Op: OpText, Length: 5}},
		{"300 in 64 bits, masked", "\x82\xFF\x00\x00\x00\x00\x00\x00\x01\x2C\x01\x02\x03\x04",
			Header{Fin: true, Op: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			n, need, err := DecodeHeader([]byte(tt.wire), &h)
			if n != len(tt.wire) || need != 0 || err != nil {
				t.Fatalf("DecodeHeader = (%d, %d, %v), want (%d, 0, nil)", n, need, err, len(tt.wire))
			}
			if h != tt.h {
				t.Errorf("header = %+v, want %+v", h, tt.h)
			}
		})
	}
}

func TestDecodeHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		wire string
	}{
		{"64-bit length top bit, full header", "\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x00"},
		{"64-bit length top bit, first length byte only", "\x82\x7F\x80"},
		{"64-bit length all ones, masked", "\x82\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01\x02\x03\x04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			n, need, err := DecodeHeader([]byte(tt.wire), &h)
			if err != ErrLengthOverflow || n != 0 || need != 0 {
				t.Errorf("DecodeHeader = (%d, %d, %v), want (0, 0, ErrLengthOverflow)", n, need, err)
			}
			if code, _ := CloseCodeOf(err); code != CloseProtocolError {
				t.Errorf("close code = %d, want 1002", code)
			}
		})
	}
}

func TestAppendHeader(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.wire[:tt.h.Size()]
			prefix := "abc"
			got := AppendHeader([]byte(prefix), &tt.h)
			if string(got) != prefix+want {
				t.Errorf("AppendHeader = %q, want %q", got, prefix+want)
			}
			buf := make([]byte, MaxHeaderSize+1)
			n, err := PutHeader(buf, &tt.h)
			if err != nil || string(buf[:n]) != want {
				t.Errorf("PutHeader = %q, %v, want %q", buf[:n], err, want)
			}
		})
	}
}

func TestAppendHeaderIgnoresExtraBits(t *testing.T) {
	h := Header{Fin: true, Rsv: 0xFF, Op: 0xF1, Length: 0}
	if got, want := string(AppendHeader(nil, &h)), "\xF1\x00"; got != want {
		t.Errorf("AppendHeader = %q, want %q", got, want)
	}
}

func TestPutHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		buf  int
		err  error
	}{
		{"short for 7-bit", Header{Op: OpText, Length: 5}, 1, io.ErrShortBuffer},
		{"short for 16-bit", Header{Op: OpText, Length: 126}, 3, io.ErrShortBuffer},
		{"short for 64-bit", Header{Op: OpText, Length: 1 << 16}, 9, io.ErrShortBuffer},
		{"short for key", Header{Op: OpText, Masked: true, Length: 1 << 16}, 13, io.ErrShortBuffer},
		{"empty buffer", Header{}, 0, io.ErrShortBuffer},
		{"negative length", Header{Op: OpText, Length: -1}, MaxHeaderSize, ErrNegativeLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, tt.buf)
			n, err := PutHeader(buf, &tt.h)
			if n != 0 || !errors.Is(err, tt.err) {
				t.Errorf("PutHeader = (%d, %v), want (0, %v)", n, err, tt.err)
			}
			for i, b := range buf {
				if b != 0 {
					t.Fatalf("buf[%d] = %#x written on error", i, b)
				}
			}
		})
	}
}

func TestAppendHeaderNegativeLengthPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AppendHeader with negative length did not panic")
		}
	}()
	AppendHeader(nil, &Header{Length: -1})
}

func TestHeaderSize(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want int
	}{
		{"zero", Header{}, 2},
		{"125", Header{Length: 125}, 2},
		{"126", Header{Length: 126}, 4},
		{"65535", Header{Length: 65535}, 4},
		{"65536", Header{Length: 65536}, 10},
		{"masked 0", Header{Masked: true}, 6},
		{"masked 126", Header{Masked: true, Length: 126}, 8},
		{"masked max", Header{Masked: true, Length: math.MaxInt64}, MaxHeaderSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Size(); got != tt.want {
				t.Errorf("Size() = %d, want %d", got, tt.want)
			}
		})
	}
}
