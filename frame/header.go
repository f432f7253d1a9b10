package frame

import (
	"encoding/binary"
	"io"
	"slices"
)

// RSV bits as they sit in the first header byte (RFC 6455 §5.2). Extensions
// negotiate their meaning (§9); without one they must be zero.
const (
	Rsv1 byte = 0x40 // used by permessage-deflate (RFC 7692)
	Rsv2 byte = 0x20
	Rsv3 byte = 0x10
)

// rsvMask selects all three RSV bits of the first header byte.
const rsvMask = Rsv1 | Rsv2 | Rsv3

const (
	// MaxHeaderSize is the largest encoded frame header: 2 fixed bytes, an
	// 8-byte extended payload length and a 4-byte masking key (§5.2).
	MaxHeaderSize = 2 + 8 + 4

	// MaxControlPayload is the largest payload a control frame may carry
	// (§5.5). It is also the largest length the 7-bit length form can hold.
	MaxControlPayload = 125
)

const (
	len16Marker = 126 // 7-bit length value announcing a 16-bit length
	len64Marker = 127 // 7-bit length value announcing a 64-bit length
	maxLen16    = 0xFFFF
)

// Header is a decoded frame header (RFC 6455 §5.2). The zero value is a
// non-final, unmasked continuation frame with an empty payload. A Header is
// plain data; it is safe to copy and not safe for concurrent mutation.
type Header struct {
	Fin    bool    // final fragment of a message (§5.4)
	Rsv    byte    // the RSV bits, masked with 0x70 (Rsv1|Rsv2|Rsv3)
	Op     Opcode  // the 4-bit opcode
	Masked bool    // the payload is masked with Key (§5.3)
	Key    [4]byte // masking key, valid when Masked; zero otherwise after DecodeHeader
	Length int64   // payload length in bytes; never negative after DecodeHeader
}

// Size returns the encoded size of h in bytes (2..[MaxHeaderSize]), using the
// minimal length form that §5.2 requires of senders.
func (h *Header) Size() int {
	n := 2
	switch {
	case h.Length > maxLen16:
		n += 8
	case h.Length > MaxControlPayload:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendHeader appends the encoding of h to dst and returns the extended
// slice. It uses the minimal length form, as §5.2 requires. It allocates only
// when dst lacks capacity for [Header.Size] more bytes. Only the low four
// bits of h.Op and the RSV bits of h.Rsv are encoded.
//
// AppendHeader panics if h.Length is negative: that is a bug in the caller,
// not a peer's fault. [PutHeader] returns [ErrNegativeLength] instead.
func AppendHeader(dst []byte, h *Header) []byte {
	if h.Length < 0 {
		panic("frame: AppendHeader with negative payload length")
	}
	n := len(dst)
	size := h.Size()
	dst = slices.Grow(dst, size)[:n+size]
	putHeader(dst[n:], h)
	return dst
}

// PutHeader writes the encoding of h (as [AppendHeader] would) at the start
// of dst and returns the number of bytes written. It returns
// [io.ErrShortBuffer] if len(dst) < h.Size() and [ErrNegativeLength] if
// h.Length is negative; dst is left untouched in both cases.
func PutHeader(dst []byte, h *Header) (int, error) {
	if h.Length < 0 {
		return 0, ErrNegativeLength
	}
	if len(dst) < h.Size() {
		return 0, io.ErrShortBuffer
	}
	return putHeader(dst, h), nil
}

// putHeader encodes h into b, which must hold at least h.Size() bytes, and
// returns h.Size().
func putHeader(b []byte, h *Header) int {
	b0 := byte(h.Op)&0x0F | h.Rsv&rsvMask
	if h.Fin {
		b0 |= 0x80
	}
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	n := 2
	switch {
	case h.Length <= MaxControlPayload:
		b1 |= byte(h.Length)
	case h.Length <= maxLen16:
		b1 |= len16Marker
		binary.BigEndian.PutUint16(b[2:4], uint16(h.Length))
		n = 4
	default:
		b1 |= len64Marker
		binary.BigEndian.PutUint64(b[2:10], uint64(h.Length))
		n = 10
	}
	b[0], b[1] = b0, b1
	if h.Masked {
		copy(b[n:n+4], h.Key[:])
		n += 4
	}
	return n
}

// DecodeHeader decodes the frame header at the start of b into h.
//
// When b holds the whole header, DecodeHeader returns n = the header size and
// need = 0; the payload starts at b[n]. When b holds only part of it, it
// returns n = 0 and need = the least number of additional bytes required
// (call again with more bytes; need may grow once the length form is known).
// h is written only when n > 0.
//
// DecodeHeader accepts non-minimal length encodings: §5.2 asks senders for
// the minimal form but receivers commonly accept the others. The only error
// is [ErrLengthOverflow], for a 64-bit length with the most significant bit
// set; it is reported as soon as that byte is present. Everything else a
// header can get wrong (RSV bits, reserved opcodes, control frame rules,
// masking, fragmentation) is the job of [Validator.Check].
//
// DecodeHeader does not retain b and allocates nothing.
func DecodeHeader(b []byte, h *Header) (n, need int, err error) {
	if len(b) < 2 {
		return 0, 2 - len(b), nil
	}
	b0, b1 := b[0], b[1]
	size := 2
	switch b1 & 0x7F {
	case len16Marker:
		size += 2
	case len64Marker:
		size += 8
		if len(b) > 2 && b[2]&0x80 != 0 {
			return 0, 0, ErrLengthOverflow
		}
	}
	masked := b1&0x80 != 0
	if masked {
		size += 4
	}
	if len(b) < size {
		return 0, size - len(b), nil
	}

	var length int64
	switch l := b1 & 0x7F; l {
	case len16Marker:
		length = int64(binary.BigEndian.Uint16(b[2:4]))
	case len64Marker:
		// The top bit was checked above, so the value fits in an int64.
		length = int64(binary.BigEndian.Uint64(b[2:10]))
	default:
		length = int64(l)
	}
	h.Fin = b0&0x80 != 0
	h.Rsv = b0 & rsvMask
	h.Op = Opcode(b0 & 0x0F)
	h.Masked = masked
	h.Length = length
	if masked {
		copy(h.Key[:], b[size-4:size])
	} else {
		h.Key = [4]byte{}
	}
	return size, 0, nil
}
