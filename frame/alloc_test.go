package frame

import (
	"strings"
	"testing"
)

// TestNoAllocs gates the hot paths at zero allocations per call.
func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation may allocate")
	}
	masked := []byte("\x81\xFE\x12\x34\xAA\xBB\xCC\xDD")
	long := []byte("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00")
	closePayload := []byte("\x03\xe9going h\xc3\xa9re")
	mixed := []byte(strings.Repeat("Hello, мир! 你好 🌍 ", 20))
	buf := make([]byte, 0, 64)
	var h Header
	var sink bool
	var sinkErr error
	var sinkStr string

	tests := []struct {
		name string
		fn   func()
	}{
		{"DecodeHeader 16-bit masked", func() { _, _, sinkErr = DecodeHeader(masked, &h) }},
		{"DecodeHeader 64-bit", func() { _, _, sinkErr = DecodeHeader(long, &h) }},
		{"DecodeHeader partial", func() { _, _, sinkErr = DecodeHeader(long[:5], &h) }},
		{"DecodeHeader overflow", func() { _, _, sinkErr = DecodeHeader([]byte("\x82\x7F\xFF"), &h) }},
		{"AppendHeader into capacity", func() {
			hh := Header{Fin: true, Op: OpBinary, Masked: true, Length: 1 << 20}
			buf = AppendHeader(buf[:0], &hh)
		}},
		{"PutHeader", func() {
			hh := Header{Fin: true, Op: OpText, Length: 300}
			_, sinkErr = PutHeader(buf[:MaxHeaderSize], &hh)
		}},
		{"Validator.Check fragmented message", func() {
			var v Validator
			for _, hh := range [...]Header{data(OpText, false, 3), ctl(OpPing, 4), data(OpContinuation, true, 2)} {
				sinkErr = v.Check(&hh)
			}
		}},
		{"Validator.Check error", func() {
			var v Validator
			hh := Header{Fin: true, Op: 0x3}
			sinkErr = v.Check(&hh)
		}},
		{"ParseClose", func() { _, _, sinkErr = ParseClose(closePayload) }},
		{"ParseClose error", func() { _, _, sinkErr = ParseClose(closePayload[:1]) }},
		{"AppendClose into capacity", func() { buf = AppendClose(buf[:0], CloseGoingAway, "going away") }},
		{"CloseCodeOf", func() { _, sink = CloseCodeOf(ErrInvalidUTF8) }},
		{"UTF8.Write", func() {
			var u UTF8
			sink = u.Write(mixed[:7]) && u.Write(mixed[7:]) && u.Final()
		}},
		{"ValidUTF8", func() { sink = ValidUTF8(mixed) }},
		{"Opcode.String", func() { sinkStr = Opcode(0x3).String() }},
		{"CloseCode.String", func() { sinkStr = CloseGoingAway.String() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("%v allocs per run, want 0", n)
			}
		})
	}
	_, _, _ = sink, sinkErr, sinkStr
}
