package frame

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"
)

// refHeader is a deliberately plain reading of RFC 6455 §5.2, the oracle for
// FuzzDecodeHeader. status is "ok", "short" or "overflow"; size is the
// header size when it can be known from b.
func refHeader(b []byte) (h Header, size int, status string) {
	if len(b) < 2 {
		return h, 0, "short"
	}
	h.Fin = b[0]>>7 == 1
	h.Rsv = b[0] & 0x70
	h.Op = Opcode(b[0] & 0x0F)
	h.Masked = b[1]>>7 == 1
	size = 2
	lenField := int(b[1] & 0x7F)
	extra := 0
	if lenField == 126 {
		extra = 2
	} else if lenField == 127 {
		extra = 8
	}
	size += extra
	if h.Masked {
		size += 4
	}
	if extra == 8 && len(b) >= 3 && b[2] >= 0x80 {
		return Header{}, size, "overflow"
	}
	if len(b) < size {
		return Header{}, size, "short"
	}
	if extra == 0 {
		h.Length = int64(lenField)
	} else {
		var v uint64
		for i := 0; i < extra; i++ {
			v = v*256 + uint64(b[2+i])
		}
		h.Length = int64(v)
	}
	if h.Masked {
		h.Key = [4]byte{b[size-4], b[size-3], b[size-2], b[size-1]}
	}
	return h, size, "ok"
}

func FuzzDecodeHeader(f *testing.F) {
	for _, tt := range headerCases {
		f.Add([]byte(tt.wire))
	}
	f.Add([]byte("\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x81\x7E\x00\x05"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		n, need, err := DecodeHeader(b, &h)
		want, size, status := refHeader(b)
		switch status {
		case "overflow":
			if err != ErrLengthOverflow || n != 0 || need != 0 {
				t.Fatalf("% x: got (%d, %d, %v), want ErrLengthOverflow", b, n, need, err)
			}
			return
		case "short":
			if err != nil || n != 0 || need <= 0 || (size > 0 && len(b)+need > size) {
				t.Fatalf("% x: got (%d, %d, %v), want need in 1..%d", b, n, need, err, size-len(b))
			}
			return
		}
		if err != nil || need != 0 || n != size || h != want {
			t.Fatalf("% x: got (%d, %d, %v) %+v, want (%d, 0, nil) %+v", b, n, need, err, h, size, want)
		}
		// Every proper prefix of a whole header asks for more and writes nothing.
		for k := 0; k < n; k++ {
			var p Header
			pn, pneed, perr := DecodeHeader(b[:k], &p)
			if pn != 0 || perr != nil || pneed <= 0 || k+pneed > n || p != (Header{}) {
				t.Fatalf("% x: prefix %d: got (%d, %d, %v) %+v", b[:n], k, pn, pneed, perr, p)
			}
		}
		// Re-encoding gives the minimal form, which decodes to the same header
		// and equals the input when the input was minimal.
		enc := AppendHeader(nil, &h)
		var h2 Header
		if n2, _, err := DecodeHeader(enc, &h2); err != nil || n2 != len(enc) || h2 != h {
			t.Fatalf("% x: round trip % x gave %+v, %v", b[:n], enc, h2, err)
		}
		form := b[1] & 0x7F
		minimal := (h.Length <= 125 && form <= 125) ||
			(h.Length > 125 && h.Length <= 0xFFFF && form == 126) ||
			(h.Length > 0xFFFF && form == 127)
		if minimal != bytes.Equal(enc, b[:n]) {
			t.Fatalf("% x: minimal %v but re-encoded as % x", b[:n], minimal, enc)
		}
	})
}

func FuzzHeaderRoundTrip(f *testing.F) {
	f.Add(true, byte(0), byte(1), false, uint32(0), int64(5))
	f.Add(false, byte(0x40), byte(2), true, uint32(0x37fa213d), int64(126))
	f.Add(true, byte(0x70), byte(9), true, uint32(1), int64(65536))
	f.Add(true, byte(0), byte(8), false, uint32(0), int64(-1))
	f.Fuzz(func(t *testing.T, fin bool, rsv, op byte, masked bool, key uint32, length int64) {
		h := Header{Fin: fin, Rsv: rsv & 0x70, Op: Opcode(op & 0x0F), Masked: masked, Length: length}
		if masked {
			binary.BigEndian.PutUint32(h.Key[:], key)
		}
		var buf [MaxHeaderSize]byte
		n, err := PutHeader(buf[:], &h)
		if length < 0 {
			if err != ErrNegativeLength {
				t.Fatalf("negative length: PutHeader error %v", err)
			}
			return
		}
		if err != nil || n != h.Size() {
			t.Fatalf("PutHeader = %d, %v; Size %d", n, err, h.Size())
		}
		if enc := AppendHeader(nil, &h); !bytes.Equal(enc, buf[:n]) {
			t.Fatalf("AppendHeader % x != PutHeader % x", enc, buf[:n])
		}
		var got Header
		dn, need, err := DecodeHeader(buf[:n], &got)
		if dn != n || need != 0 || err != nil || got != h {
			t.Fatalf("decode % x = (%d, %d, %v) %+v, want %+v", buf[:n], dn, need, err, got, h)
		}
	})
}

func FuzzParseClose(f *testing.F) {
	for _, p := range []string{"", "\x03", "\x03\xe8", "\x03\xe9bye", "\x03\xe8\xff", "\x0f\xa0h\xc3\xa9",
		"\x03\xed", "\x13\x88", "\x03\xe8" + strings.Repeat("a", 124)} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		code, reason, err := ParseClose(p)
		switch {
		case len(p) == 0:
			if code != CloseNoStatus || reason != nil || err != nil {
				t.Fatalf("empty: (%d, %q, %v)", code, reason, err)
			}
			return
		case len(p) == 1 || len(p) > 125:
			if err != ErrCloseLength {
				t.Fatalf("% x: err %v, want ErrCloseLength", p, err)
			}
			return
		}
		wantCode := CloseCode(int(p[0])<<8 | int(p[1]))
		var wantErr error
		if !validOnWireReference(int(wantCode)) {
			wantErr = ErrCloseCode
		} else if !utf8.Valid(p[2:]) {
			wantErr = ErrCloseReasonUTF8
		}
		if code != wantCode || err != wantErr {
			t.Fatalf("% x: (%d, %v), want (%d, %v)", p, code, err, wantCode, wantErr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(reason, p[2:]) {
			t.Fatalf("% x: reason %q", p, reason)
		}
		if enc := AppendClose(nil, code, string(reason)); !bytes.Equal(enc, p) {
			t.Fatalf("% x: AppendClose gave % x", p, enc)
		}
	})
}

func FuzzAppendClose(f *testing.F) {
	f.Add(uint16(1000), "bye")
	f.Add(uint16(1005), "ignored")
	f.Add(uint16(4000), strings.Repeat("é", 70))
	f.Add(uint16(1001), strings.Repeat("🌍", 40))
	f.Add(uint16(1002), strings.Repeat("a", 122)+"€")
	f.Fuzz(func(t *testing.T, c uint16, reason string) {
		code := CloseCode(c)
		out := AppendClose(nil, code, reason)
		if code == CloseNoStatus {
			if len(out) != 0 {
				t.Fatalf("CloseNoStatus appended % x", out)
			}
			return
		}
		if len(out) < 2 || len(out) > MaxControlPayload || CloseCode(binary.BigEndian.Uint16(out)) != code {
			t.Fatalf("AppendClose(%d, %q) = % x", code, reason, out)
		}
		got := string(out[2:])
		if !strings.HasPrefix(reason, got) {
			t.Fatalf("reason %q is not a prefix of %q", got, reason)
		}
		if !utf8.ValidString(reason) {
			return
		}
		// Reference: keep whole characters while they fit in 123 bytes.
		want := 0
		for _, r := range reason {
			if want+utf8.RuneLen(r) > 123 {
				break
			}
			want += utf8.RuneLen(r)
		}
		if len(got) != want {
			t.Fatalf("reason %q cut to %d bytes, want %d", reason, len(got), want)
		}
		if code.ValidOnWire() {
			pc, pr, err := ParseClose(out)
			if pc != code || string(pr) != got || err != nil {
				t.Fatalf("ParseClose(% x) = (%d, %q, %v)", out, pc, pr, err)
			}
		}
	})
}

// FuzzUTF8 feeds data to UTF8 in chunks whose sizes come from cuts, and
// checks after every chunk that Write's answer is exactly whether the bytes
// seen so far can still begin valid text, and at the end that it agrees
// with unicode/utf8.Valid.
func FuzzUTF8(f *testing.F) {
	for _, tt := range utf8Cases {
		f.Add([]byte(tt.in), []byte{1, 2, 3})
	}
	f.Add([]byte(strings.Repeat("a", 33)+"\xc3\xa9"+strings.Repeat("b", 40)), []byte{34, 1, 0, 40})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		ci := 0
		checkUTF8Stream(t, data, func(rest int) int {
			if ci < len(cuts) {
				ci++
				return min(rest, int(cuts[ci-1]))
			}
			return rest
		})
	})
}

// checkUTF8Stream checks ValidUTF8(in) against unicode/utf8, then feeds in
// to a UTF8 in pieces of next(bytes left) bytes, checking every Write
// against isValidPrefix and Final against unicode/utf8.
func checkUTF8Stream(t testing.TB, in []byte, next func(rest int) int) {
	t.Helper()
	if got, want := ValidUTF8(in), utf8.Valid(in); got != want {
		t.Fatalf("% x: ValidUTF8 = %v, want %v", in, got, want)
	}
	var u UTF8
	for seen := 0; seen < len(in); {
		step := next(len(in) - seen)
		got := u.Write(in[seen : seen+step])
		seen += step
		if want := isValidPrefix(in[:seen]); got != want {
			t.Fatalf("% x: Write after %d bytes = %v, want %v", in, seen, got, want)
		}
	}
	if got, want := u.Final(), utf8.Valid(in); got != want {
		t.Fatalf("% x: Final = %v, want %v", in, got, want)
	}
}
