package frame

// Opcode is the 4-bit frame opcode of RFC 6455 §5.2. Only the values of the
// constants below are defined; the others are reserved (§11.8).
type Opcode byte

// Opcodes defined by RFC 6455 §5.2.
const (
	OpContinuation Opcode = 0x0 // continuation of a fragmented message (§5.4)
	OpText         Opcode = 0x1 // text data frame, UTF-8 payload (§5.6)
	OpBinary       Opcode = 0x2 // binary data frame (§5.6)
	OpClose        Opcode = 0x8 // close control frame (§5.5.1)
	OpPing         Opcode = 0x9 // ping control frame (§5.5.2)
	OpPong         Opcode = 0xA // pong control frame (§5.5.3)
)

// IsControl reports whether o is a control opcode: one with the high bit of
// the 4-bit opcode set (§5.5). Reserved control opcodes 0xB-0xF count too,
// so callers should reject those with [Opcode.IsReserved] first.
func (o Opcode) IsControl() bool { return o&0x8 != 0 }

// IsData reports whether o is a non-reserved data opcode: text, binary or
// continuation (§5.6).
func (o Opcode) IsData() bool { return o <= OpBinary }

// IsReserved reports whether o is not defined by RFC 6455: 0x3-0x7 and
// 0xB-0xF (§5.2). Values above 0xF cannot come off the wire and are reported
// as reserved as well, since no frame may carry them.
func (o Opcode) IsReserved() bool {
	return o > 0xF || (o > OpBinary && o < OpClose) || o > OpPong
}

// opcodeNames is indexed by the 4-bit opcode; a fixed table keeps String
// allocation-free for every value a header can hold.
var opcodeNames = [16]string{
	"continuation", "text", "binary",
	"reserved(0x3)", "reserved(0x4)", "reserved(0x5)", "reserved(0x6)", "reserved(0x7)",
	"close", "ping", "pong",
	"reserved(0xB)", "reserved(0xC)", "reserved(0xD)", "reserved(0xE)", "reserved(0xF)",
}

// String returns the lower-case name of o ("text", "ping", …), or
// "reserved(0xN)" for a reserved 4-bit opcode and "invalid" above 0xF.
func (o Opcode) String() string {
	if o > 0xF {
		return "invalid"
	}
	return opcodeNames[o]
}
