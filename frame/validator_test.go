package frame

import (
	"math"
	"testing"
	"unsafe"
)

// step is one frame fed to a Validator and what must come of it.
type step struct {
	h     Header
	err   error
	open  bool   // MessageOpen after the step
	msgOp Opcode // MessageOp after the step
}

// Shorthands that keep the tables readable: masked (client) frames.
func data(op Opcode, fin bool, n int64) Header {
	return Header{Fin: fin, Op: op, Masked: true, Length: n}
}

func ctl(op Opcode, n int64) Header { return Header{Fin: true, Op: op, Masked: true, Length: n} }

func TestValidator(t *testing.T) {
	tests := []struct {
		name  string
		v     Validator
		steps []step
	}{
		{"single text", Validator{}, []step{
			{h: data(OpText, true, 5), msgOp: OpText},
		}},
		{"single binary", Validator{}, []step{
			{h: data(OpBinary, true, 0), msgOp: OpBinary},
		}},
		{"fragmented text with interleaved controls", Validator{}, []step{
			{h: data(OpText, false, 3), open: true, msgOp: OpText},
			{h: ctl(OpPing, 5), open: true, msgOp: OpText},
			{h: data(OpContinuation, false, 1), open: true, msgOp: OpText},
			{h: ctl(OpPong, 0), open: true, msgOp: OpText},
			{h: data(OpContinuation, true, 1), msgOp: OpText},
			{h: data(OpBinary, true, 1), msgOp: OpBinary},
		}},
		{"close between fragments", Validator{}, []step{
			{h: data(OpBinary, false, 3), open: true, msgOp: OpBinary},
			{h: ctl(OpClose, 2), open: true, msgOp: OpBinary},
		}},
		{"control at max length", Validator{}, []step{
			{h: ctl(OpPing, 125)},
		}},
		{"control too long", Validator{}, []step{
			{h: ctl(OpPing, 126), err: ErrControlTooLong},
		}},
		{"close too long", Validator{}, []step{
			{h: ctl(OpClose, 1<<20), err: ErrControlTooLong},
		}},
		{"fragmented ping", Validator{}, []step{
			{h: Header{Op: OpPing, Masked: true}, err: ErrControlFragmented},
		}},
		{"reserved opcode 0x3", Validator{}, []step{
			{h: data(0x3, true, 0), err: ErrReservedOpcode},
		}},
		{"reserved opcode 0x7", Validator{}, []step{
			{h: data(0x7, true, 0), err: ErrReservedOpcode},
		}},
		{"reserved opcode 0xB", Validator{}, []step{
			{h: ctl(0xB, 0), err: ErrReservedOpcode},
		}},
		{"reserved opcode 0xF", Validator{}, []step{
			{h: ctl(0xF, 0), err: ErrReservedOpcode},
		}},
		{"rsv1 without extension", Validator{}, []step{
			{h: Header{Fin: true, Rsv: Rsv1, Op: OpText, Masked: true}, err: ErrReservedBits},
		}},
		{"rsv1 with deflate", Validator{AllowedRsv: Rsv1}, []step{
			{h: Header{Fin: true, Rsv: Rsv1, Op: OpText, Masked: true}, msgOp: OpText},
		}},
		{"rsv2 with deflate", Validator{AllowedRsv: Rsv1}, []step{
			{h: Header{Fin: true, Rsv: Rsv2, Op: OpText, Masked: true}, err: ErrReservedBits},
		}},
		{"rsv3 without extension", Validator{}, []step{
			{h: Header{Fin: true, Rsv: Rsv3, Op: OpBinary, Masked: true}, err: ErrReservedBits},
		}},
		{"unmasked from client", Validator{}, []step{
			{h: Header{Fin: true, Op: OpText, Length: 1}, err: ErrUnmasked},
		}},
		{"unmasked ping from client", Validator{Mask: MaskRequired}, []step{
			{h: Header{Fin: true, Op: OpPing}, err: ErrUnmasked},
		}},
		{"unknown mask rule acts as required", Validator{Mask: 42}, []step{
			{h: Header{Fin: true, Op: OpText}, err: ErrUnmasked},
		}},
		{"masked from server", Validator{Mask: MaskForbidden}, []step{
			{h: data(OpText, true, 1), err: ErrMasked},
		}},
		{"unmasked from server", Validator{Mask: MaskForbidden}, []step{
			{h: Header{Fin: true, Op: OpText, Length: 1}, msgOp: OpText},
		}},
		{"mask any", Validator{Mask: MaskAny}, []step{
			{h: Header{Fin: false, Op: OpText, Length: 1}, open: true, msgOp: OpText},
			{h: Header{Fin: true, Op: OpContinuation, Masked: true, Length: 1}, msgOp: OpText},
		}},
		{"continuation without message", Validator{}, []step{
			{h: data(OpContinuation, true, 1), err: ErrUnexpectedContinuation},
		}},
		{"continuation after finished message", Validator{}, []step{
			{h: data(OpText, true, 1), msgOp: OpText},
			{h: data(OpContinuation, false, 1), err: ErrUnexpectedContinuation, msgOp: OpText},
		}},
		{"text inside fragmented binary", Validator{}, []step{
			{h: data(OpBinary, false, 1), open: true, msgOp: OpBinary},
			{h: data(OpText, true, 1), err: ErrMessageNotFinished, open: true, msgOp: OpBinary},
			{h: data(OpContinuation, true, 1), msgOp: OpBinary},
		}},
		{"negative length", Validator{}, []step{
			{h: data(OpBinary, true, -1), err: ErrLengthOverflow},
		}},
		{"max length without limit", Validator{}, []step{
			{h: data(OpBinary, true, math.MaxInt64), msgOp: OpBinary},
		}},
		{"frame at limit", Validator{MaxFrameSize: 100}, []step{
			{h: data(OpBinary, true, 100), msgOp: OpBinary},
		}},
		{"frame over limit", Validator{MaxFrameSize: 100}, []step{
			{h: data(OpBinary, true, 101), err: ErrFrameTooBig},
		}},
		{"continuation over limit", Validator{MaxFrameSize: 100}, []step{
			{h: data(OpText, false, 100), open: true, msgOp: OpText},
			{h: data(OpContinuation, true, 101), err: ErrFrameTooBig, open: true, msgOp: OpText},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			for i, s := range tt.steps {
				if err := v.Check(&s.h); err != s.err {
					t.Errorf("step %d: Check(%+v) = %v, want %v", i, s.h, err, s.err)
				}
				if v.MessageOpen() != s.open || v.MessageOp() != s.msgOp {
					t.Errorf("step %d: MessageOpen, MessageOp = %v, %v; want %v, %v",
						i, v.MessageOpen(), v.MessageOp(), s.open, s.msgOp)
				}
			}
		})
	}
}

func TestValidatorReset(t *testing.T) {
	v := Validator{AllowedRsv: Rsv1, Mask: MaskAny, MaxFrameSize: 10}
	h := Header{Op: OpText, Length: 1}
	if err := v.Check(&h); err != nil {
		t.Fatal(err)
	}
	v.Reset()
	if v.MessageOpen() || v.MessageOp() != OpContinuation {
		t.Errorf("after Reset: MessageOpen, MessageOp = %v, %v", v.MessageOpen(), v.MessageOp())
	}
	if v.AllowedRsv != Rsv1 || v.Mask != MaskAny || v.MaxFrameSize != 10 {
		t.Errorf("Reset changed the configuration: %+v", v)
	}
	if err := v.Check(&Header{Fin: true, Op: OpContinuation}); err != ErrUnexpectedContinuation {
		t.Errorf("continuation after Reset: %v", err)
	}
}

// TestValidatorDecodedWire runs the RFC 6455 §5.7 examples through
// DecodeHeader and a client-side Validator, which forbids masks.
func TestValidatorDecodedWire(t *testing.T) {
	var v Validator
	v.Mask = MaskForbidden
	wire := []byte("\x01\x03Hel" + "\x89\x05Hello" + "\x80\x02lo")
	var text []byte
	for len(wire) > 0 {
		var h Header
		n, need, err := DecodeHeader(wire, &h)
		if err != nil || need != 0 {
			t.Fatalf("DecodeHeader: need %d, err %v", need, err)
		}
		if err := v.Check(&h); err != nil {
			t.Fatalf("Check(%+v): %v", h, err)
		}
		payload := wire[n : n+int(h.Length)]
		if h.Op.IsData() {
			text = append(text, payload...)
		}
		wire = wire[n+int(h.Length):]
	}
	if string(text) != "Hello" || v.MessageOpen() || v.MessageOp() != OpText {
		t.Errorf("text %q, open %v, op %v", text, v.MessageOpen(), v.MessageOp())
	}
}

// TestValidatorSize keeps a Validator at 16 bytes on 64-bit platforms:
// every session embeds one, and 8 bytes more moved the session struct up a
// size class (208 instead of 192 bytes per idle session).
func TestValidatorSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are kept for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Validator{}); got != 16 {
		t.Errorf("Validator is %d bytes, want 16", got)
	}
}
