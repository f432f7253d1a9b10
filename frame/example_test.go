package frame_test

import (
	"errors"
	"fmt"

	"github.com/surgews/surge/frame"
)

// A server encodes a header, and a client decodes it from bytes that arrive
// in two reads.
func ExampleDecodeHeader() {
	h := frame.Header{Fin: true, Op: frame.OpBinary, Length: 300}
	wire := frame.AppendHeader(nil, &h)
	fmt.Printf("wire % x\n", wire)

	var got frame.Header
	_, need, _ := frame.DecodeHeader(wire[:1], &got)
	fmt.Println("after 1 byte, need", need)
	_, need, _ = frame.DecodeHeader(wire[:2], &got)
	fmt.Println("after 2 bytes, need", need)
	n, need, err := frame.DecodeHeader(wire, &got)
	fmt.Println(n, need, err, got.Op, got.Length, got.Fin)
	// Output:
	// wire 82 7e 01 2c
	// after 1 byte, need 1
	// after 2 bytes, need 2
	// 4 0 <nil> binary 300 true
}

// The masked "Hello" of RFC 6455 §5.7, decoded and unmasked.
func ExampleDecodeHeader_masked() {
	wire := []byte("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
	var h frame.Header
	n, _, _ := frame.DecodeHeader(wire, &h)
	payload := wire[n : n+int(h.Length)]
	for i := range payload {
		payload[i] ^= h.Key[i%4] // package mask does this fast
	}
	fmt.Printf("%s masked=%v key=% x %q\n", h.Op, h.Masked, h.Key, payload)
	// Output:
	// text masked=true key=37 fa 21 3d "Hello"
}

func ExampleAppendHeader() {
	buf := make([]byte, 0, frame.MaxHeaderSize)
	h := frame.Header{Fin: true, Op: frame.OpText, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 5}
	buf = frame.AppendHeader(buf, &h)
	fmt.Printf("% x (%d bytes)\n", buf, h.Size())
	// Output:
	// 81 85 01 02 03 04 (6 bytes)
}

func ExamplePutHeader() {
	var buf [frame.MaxHeaderSize]byte
	h := frame.Header{Fin: true, Op: frame.OpPing}
	n, err := frame.PutHeader(buf[:], &h)
	fmt.Printf("% x %v\n", buf[:n], err)
	_, err = frame.PutHeader(buf[:1], &h)
	fmt.Println(err)
	// Output:
	// 89 00 <nil>
	// short buffer
}

// A server checks frames from a client; errors carry the close code.
func ExampleValidator() {
	var v frame.Validator // MaskRequired, no extensions
	frames := []frame.Header{
		{Fin: false, Op: frame.OpText, Masked: true, Length: 3},
		{Fin: true, Op: frame.OpPing, Masked: true},
		{Fin: true, Op: frame.OpContinuation, Masked: true, Length: 2},
		{Fin: true, Op: frame.OpBinary, Length: 1}, // not masked
	}
	for _, h := range frames {
		err := v.Check(&h)
		code, _ := frame.CloseCodeOf(err)
		fmt.Println(h.Op, v.MessageOp(), v.MessageOpen(), err, uint16(code))
	}
	// Output:
	// text text true <nil> 0
	// ping text true <nil> 0
	// continuation text false <nil> 0
	// binary text false websocket: 1002 protocol error: unmasked frame 1002
}

func ExampleParseClose() {
	code, reason, err := frame.ParseClose([]byte("\x03\xe9server restart"))
	fmt.Println(uint16(code), code, string(reason), err)

	code, _, err = frame.ParseClose(nil)
	fmt.Println(uint16(code), code, err)

	_, _, err = frame.ParseClose([]byte("\x03\xee")) // 1006 must not be sent
	fmt.Println(err, errors.Is(err, frame.ErrCloseCode))
	// Output:
	// 1001 going away server restart <nil>
	// 1005 no status received <nil>
	// websocket: 1002 protocol error: invalid close code true
}

func ExampleAppendClose() {
	p := frame.AppendClose(nil, frame.CloseNormal, "bye")
	fmt.Printf("% x\n", p)
	fmt.Println(len(frame.AppendClose(nil, frame.CloseNoStatus, "ignored")))
	// Output:
	// 03 e8 62 79 65
	// 0
}

func ExampleCloseCodeOf() {
	err := fmt.Errorf("reading message: %w", frame.ErrInvalidUTF8)
	code, ok := frame.CloseCodeOf(err)
	fmt.Println(uint16(code), ok)
	// Output:
	// 1007 true
}

// A text message arrives in fragments that split a character; the validator
// carries the state and fails at the first impossible byte.
func ExampleUTF8() {
	var u frame.UTF8
	fmt.Println(u.Write([]byte("Gr\xc3")), u.Final()) // "Grü" split inside ü
	fmt.Println(u.Write([]byte("\xbc\xc3\x9fe")), u.Final())

	u.Reset()
	fmt.Println(u.Write([]byte("\xf4\x90")), u.Final()) // above U+10FFFF: fails now
	// Output:
	// true false
	// true true
	// false false
}

func ExampleValidUTF8() {
	fmt.Println(frame.ValidUTF8([]byte("κόσμε")), frame.ValidUTF8([]byte("\xed\xa0\x80")))
	// Output:
	// true false
}

func ExampleOpcode() {
	for _, op := range []frame.Opcode{frame.OpText, frame.OpPing, 0x3} {
		fmt.Println(op, op.IsControl(), op.IsData(), op.IsReserved())
	}
	// Output:
	// text false true false
	// ping true false false
	// reserved(0x3) false false true
}

func ExampleCloseCode_ValidOnWire() {
	for _, c := range []frame.CloseCode{frame.CloseNormal, frame.CloseNoStatus, frame.CloseTryAgainLater, 4000} {
		fmt.Println(uint16(c), c.ValidOnWire())
	}
	// Output:
	// 1000 true
	// 1005 false
	// 1013 true
	// 4000 true
}
