package frame

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// CloseCode is a close status code (RFC 6455 §7.4).
type CloseCode uint16

// Close codes defined by RFC 6455 §7.4.1 and the IANA "WebSocket Close Code
// Number Registry" (§11.7).
const (
	CloseNormal             CloseCode = 1000
	CloseGoingAway          CloseCode = 1001
	CloseProtocolError      CloseCode = 1002
	CloseUnsupportedData    CloseCode = 1003
	CloseNoStatus           CloseCode = 1005 // never on the wire: "no code was present"
	CloseAbnormal           CloseCode = 1006 // never on the wire: "closed without a close frame"
	CloseInvalidPayload     CloseCode = 1007
	ClosePolicyViolation    CloseCode = 1008
	CloseMessageTooBig      CloseCode = 1009
	CloseMandatoryExtension CloseCode = 1010
	CloseInternalError      CloseCode = 1011
	CloseServiceRestart     CloseCode = 1012
	CloseTryAgainLater      CloseCode = 1013
	CloseBadGateway         CloseCode = 1014
	CloseTLSHandshake       CloseCode = 1015 // never on the wire: "TLS handshake failed"
)

// maxCloseReason is the room left for a reason in a control frame payload
// after the 2-byte code (§5.5).
const maxCloseReason = MaxControlPayload - 2

// closeNames is indexed by code-1000; empty entries are unassigned codes.
var closeNames = [...]string{
	"normal closure", "going away", "protocol error", "unsupported data", "",
	"no status received", "abnormal closure", "invalid payload data",
	"policy violation", "message too big", "mandatory extension",
	"internal error", "service restart", "try again later", "bad gateway",
	"TLS handshake failure",
}

// String returns the IANA name of c in lower case ("normal closure",
// "protocol error", …), or "close code N" for codes without one.
func (c CloseCode) String() string {
	if c >= 1000 && int(c-1000) < len(closeNames) && closeNames[c-1000] != "" {
		return closeNames[c-1000]
	}
	return "close code " + strconv.Itoa(int(c))
}

// ValidOnWire reports whether c may appear in a close frame: 1000-1003 and
// 1007-1014 (1012-1014 are IANA-registered and sent by real servers), and
// 3000-4999 (registered and private use, §7.4.2). It rejects codes below
// 1000, 1004-1006, 1015, 1016-2999 and above 4999.
func (c CloseCode) ValidOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// ParseClose parses a close frame payload (§5.5.1), already unmasked.
//
// An empty payload yields [CloseNoStatus], a nil reason and a nil error. A
// payload of one byte, or longer than [MaxControlPayload], yields
// [ErrCloseLength]; a code that is not [CloseCode.ValidOnWire] yields
// [ErrCloseCode]; a reason that is not valid UTF-8 yields
// [ErrCloseReasonUTF8] (close code 1007). On error the returned code is the
// one read from the payload, if any, and reason is nil.
//
// reason aliases payload. ParseClose allocates nothing.
func ParseClose(payload []byte) (code CloseCode, reason []byte, err error) {
	switch {
	case len(payload) == 0:
		return CloseNoStatus, nil, nil
	case len(payload) == 1, len(payload) > MaxControlPayload:
		return 0, nil, ErrCloseLength
	}
	code = CloseCode(binary.BigEndian.Uint16(payload))
	if !code.ValidOnWire() {
		return code, nil, ErrCloseCode
	}
	reason = payload[2:]
	if !ValidUTF8(reason) {
		return code, nil, ErrCloseReasonUTF8
	}
	return code, reason, nil
}

// AppendClose appends a close frame payload to dst: the 2-byte code followed
// by reason, truncated to 123 bytes at a UTF-8 character boundary so the
// payload fits a control frame (§5.5). [CloseNoStatus] appends nothing,
// which is how "no status" is sent (§7.1.5).
//
// AppendClose does not check code or reason: a code that is not
// [CloseCode.ValidOnWire], or a reason that is not valid UTF-8, makes the
// peer fail the connection. It allocates only when dst lacks capacity.
func AppendClose(dst []byte, code CloseCode, reason string) []byte {
	if code == CloseNoStatus {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, truncateUTF8(reason, maxCloseReason)...)
}

// truncateUTF8 cuts s to at most max bytes without splitting a character of
// valid UTF-8 text. A character is at most 4 bytes, so the cut moves back at
// most 3 bytes; invalid input is simply cut.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for i := max; i > max-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:max]
}
