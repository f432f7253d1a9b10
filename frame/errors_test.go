package frame

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestCloseCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code CloseCode
		ok   bool
	}{
		{"nil", nil, 0, false},
		{"other error", io.EOF, 0, false},
		{"sentinel 1002", ErrReservedOpcode, CloseProtocolError, true},
		{"sentinel 1007", ErrInvalidUTF8, CloseInvalidPayload, true},
		{"sentinel 1009", ErrMessageTooBig, CloseMessageTooBig, true},
		{"wrapped", fmt.Errorf("read: %w", ErrFrameTooBig), CloseMessageTooBig, true},
		{"joined", errors.Join(io.EOF, ErrMasked), CloseProtocolError, true},
		{"custom", &CloseReason{Code: 4001, Reason: "app"}, 4001, true},
		{"typed nil", (*CloseReason)(nil), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := CloseCodeOf(tt.err)
			if code != tt.code || ok != tt.ok {
				t.Errorf("CloseCodeOf = (%d, %v), want (%d, %v)", code, ok, tt.code, tt.ok)
			}
		})
	}
}

func TestSentinels(t *testing.T) {
	all := []struct {
		name string
		err  *CloseReason
		code CloseCode
	}{
		{"ErrReservedBits", ErrReservedBits, 1002},
		{"ErrReservedOpcode", ErrReservedOpcode, 1002},
		{"ErrControlTooLong", ErrControlTooLong, 1002},
		{"ErrControlFragmented", ErrControlFragmented, 1002},
		{"ErrLengthOverflow", ErrLengthOverflow, 1002},
		{"ErrUnmasked", ErrUnmasked, 1002},
		{"ErrMasked", ErrMasked, 1002},
		{"ErrUnexpectedContinuation", ErrUnexpectedContinuation, 1002},
		{"ErrMessageNotFinished", ErrMessageNotFinished, 1002},
		{"ErrCloseLength", ErrCloseLength, 1002},
		{"ErrCloseCode", ErrCloseCode, 1002},
		{"ErrCloseReasonUTF8", ErrCloseReasonUTF8, 1007},
		{"ErrInvalidUTF8", ErrInvalidUTF8, 1007},
		{"ErrFrameTooBig", ErrFrameTooBig, 1009},
		{"ErrMessageTooBig", ErrMessageTooBig, 1009},
	}
	for i, tt := range all {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Code != tt.code {
				t.Errorf("Code = %d, want %d", tt.err.Code, tt.code)
			}
			// The reason goes into a close frame after the 2-byte code.
			if n := len(tt.err.Reason); n == 0 || n > maxCloseReason {
				t.Errorf("Reason length %d", n)
			}
			want := fmt.Sprintf("websocket: %d %s: %s", tt.code, tt.code, tt.err.Reason)
			if got := tt.err.Error(); got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
			for j, other := range all {
				if i != j && errors.Is(tt.err, other.err) {
					t.Errorf("errors.Is(%s, %s)", tt.name, other.name)
				}
			}
		})
	}
}

func TestCloseReasonString(t *testing.T) {
	tests := []struct {
		name string
		r    CloseReason
		want string
	}{
		{"code and reason", CloseReason{CloseNormal, "bye"}, "1000 normal closure: bye"},
		{"code only", CloseReason{Code: CloseAbnormal}, "1006 abnormal closure"},
		{"private code", CloseReason{4001, "kicked"}, "4001 close code 4001: kicked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.r.Error(); got != "websocket: "+tt.want {
				t.Errorf("Error() = %q, want %q", got, "websocket: "+tt.want)
			}
		})
	}
}
