package frame

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseClose(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		code    CloseCode
		reason  string
		err     error
	}{
		{"empty", "", CloseNoStatus, "", nil},
		{"one byte", "\x03", 0, "", ErrCloseLength},
		{"normal, no reason", "\x03\xe8", CloseNormal, "", nil},
		{"going away with reason", "\x03\xe9bye", CloseGoingAway, "bye", nil},
		{"utf-8 reason", "\x03\xe8h\xc3\xa9", CloseNormal, "hé", nil},
		{"1003 unsupported data", "\x03\xeb", CloseUnsupportedData, "", nil},
		{"1012 service restart", "\x03\xf4", CloseServiceRestart, "", nil},
		{"1014 bad gateway", "\x03\xf6", CloseBadGateway, "", nil},
		{"3000 registered", "\x0b\xb8", 3000, "", nil},
		{"4999 private", "\x13\x87x", 4999, "x", nil},
		{"0", "\x00\x00", 0, "", ErrCloseCode},
		{"999", "\x03\xe7", 999, "", ErrCloseCode},
		{"1004 reserved", "\x03\xec", 1004, "", ErrCloseCode},
		{"1005 no status on wire", "\x03\xed", CloseNoStatus, "", ErrCloseCode},
		{"1006 abnormal on wire", "\x03\xee", CloseAbnormal, "", ErrCloseCode},
		{"1015 tls on wire", "\x03\xf7", CloseTLSHandshake, "", ErrCloseCode},
		{"1016 unassigned", "\x03\xf8", 1016, "", ErrCloseCode},
		{"2999 unassigned", "\x0b\xb7", 2999, "", ErrCloseCode},
		{"5000 out of range", "\x13\x88", 5000, "", ErrCloseCode},
		{"65535", "\xff\xff", 65535, "", ErrCloseCode},
		{"invalid utf-8 reason", "\x03\xe8\xff", CloseNormal, "", ErrCloseReasonUTF8},
		{"truncated utf-8 reason", "\x03\xe8h\xc3", CloseNormal, "", ErrCloseReasonUTF8},
		{"surrogate in reason", "\x03\xe8\xed\xa0\x80", CloseNormal, "", ErrCloseReasonUTF8},
		{"max length", "\x03\xe8" + strings.Repeat("a", 123), CloseNormal, strings.Repeat("a", 123), nil},
		{"too long", "\x03\xe8" + strings.Repeat("a", 124), 0, "", ErrCloseLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := ParseClose([]byte(tt.payload))
			if code != tt.code || string(reason) != tt.reason || err != tt.err {
				t.Errorf("ParseClose = (%d, %q, %v), want (%d, %q, %v)",
					code, reason, err, tt.code, tt.reason, tt.err)
			}
			if err != nil && reason != nil {
				t.Errorf("reason %q returned with error", reason)
			}
		})
	}
}

func TestParseCloseErrorCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want CloseCode
	}{
		{"length", ErrCloseLength, CloseProtocolError},
		{"code", ErrCloseCode, CloseProtocolError},
		{"reason utf-8", ErrCloseReasonUTF8, CloseInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := CloseCodeOf(tt.err); !ok || got != tt.want {
				t.Errorf("CloseCodeOf = %d, %v; want %d", got, ok, tt.want)
			}
		})
	}
}

func TestAppendClose(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct {
		name   string
		code   CloseCode
		reason string
		want   string
	}{
		{"no status", CloseNoStatus, "ignored", ""},
		{"normal", CloseNormal, "", "\x03\xe8"},
		{"with reason", CloseGoingAway, "bye", "\x03\xe9bye"},
		{"private code", 4000, "x", "\x0f\xa0x"},
		{"123 bytes kept", CloseNormal, long[:123], "\x03\xe8" + long[:123]},
		{"124 bytes cut", CloseNormal, long[:124], "\x03\xe8" + long[:123]},
		// 121 ASCII bytes then "é" (2 bytes) fits exactly: 123.
		{"2-byte char at the end fits", CloseNormal, long[:121] + "é", "\x03\xe8" + long[:121] + "é"},
		// 122 ASCII bytes then "é" would need 124: the whole character goes.
		{"2-byte char split", CloseNormal, long[:122] + "é", "\x03\xe8" + long[:122]},
		{"3-byte char split", CloseNormal, long[:121] + "€", "\x03\xe8" + long[:121]},
		{"4-byte char split after 1", CloseNormal, long[:122] + "🌍", "\x03\xe8" + long[:122]},
		{"4-byte char split after 3", CloseNormal, long[:120] + "🌍", "\x03\xe8" + long[:120]},
		{"4-byte chars only", CloseNormal, strings.Repeat("🌍", 40), "\x03\xe8" + strings.Repeat("🌍", 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendClose([]byte("pre"), tt.code, tt.reason)
			if string(got) != "pre"+tt.want {
				t.Errorf("AppendClose = %q, want %q", got, "pre"+tt.want)
			}
			if len(got) > 5 && !utf8.Valid(got[5:]) {
				t.Errorf("AppendClose produced an invalid UTF-8 reason")
			}
		})
	}
}

// validOnWireReference spells out RFC 6455 §7.4 and the IANA registry code by
// code, as the test oracle for ValidOnWire.
func validOnWireReference(c int) bool {
	switch c {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014:
		return true
	}
	return c >= 3000 && c < 5000
}

func TestCloseCodeValidOnWire(t *testing.T) {
	for c := 0; c <= 0xFFFF; c++ {
		if got, want := CloseCode(c).ValidOnWire(), validOnWireReference(c); got != want {
			t.Errorf("CloseCode(%d).ValidOnWire() = %v, want %v", c, got, want)
		}
	}
}

func TestCloseCodeString(t *testing.T) {
	tests := []struct {
		code CloseCode
		want string
	}{
		{CloseNormal, "normal closure"},
		{CloseProtocolError, "protocol error"},
		{CloseNoStatus, "no status received"},
		{CloseMessageTooBig, "message too big"},
		{CloseTLSHandshake, "TLS handshake failure"},
		{1004, "close code 1004"},
		{1016, "close code 1016"},
		{4000, "close code 4000"},
		{0, "close code 0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.code.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
