package frame

import "testing"

func TestOpcode(t *testing.T) {
	tests := []struct {
		name                    string
		op                      Opcode
		control, data, reserved bool
		str                     string
	}{
		{"continuation", OpContinuation, false, true, false, "continuation"},
		{"text", OpText, false, true, false, "text"},
		{"binary", OpBinary, false, true, false, "binary"},
		{"reserved 0x3", 0x3, false, false, true, "reserved(0x3)"},
		{"reserved 0x7", 0x7, false, false, true, "reserved(0x7)"},
		{"close", OpClose, true, false, false, "close"},
		{"ping", OpPing, true, false, false, "ping"},
		{"pong", OpPong, true, false, false, "pong"},
		{"reserved 0xB", 0xB, true, false, true, "reserved(0xB)"},
		{"reserved 0xF", 0xF, true, false, true, "reserved(0xF)"},
		{"above 4 bits", 0x10, false, false, true, "invalid"},
		{"above 4 bits, control bit", 0x19, true, false, true, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.op.IsControl(); got != tt.control {
				t.Errorf("IsControl() = %v, want %v", got, tt.control)
			}
			if got := tt.op.IsData(); got != tt.data {
				t.Errorf("IsData() = %v, want %v", got, tt.data)
			}
			if got := tt.op.IsReserved(); got != tt.reserved {
				t.Errorf("IsReserved() = %v, want %v", got, tt.reserved)
			}
			if got := tt.op.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
		})
	}
}

// TestOpcodeClasses checks that every 4-bit opcode is exactly one of data,
// defined control, or reserved, as §5.2 partitions them.
func TestOpcodeClasses(t *testing.T) {
	for op := Opcode(0); op <= 0xF; op++ {
		n := 0
		if op.IsData() {
			n++
		}
		if op.IsControl() && !op.IsReserved() {
			n++
		}
		if op.IsReserved() {
			n++
		}
		if n != 1 {
			t.Errorf("opcode %#x is in %d classes", byte(op), n)
		}
	}
}
