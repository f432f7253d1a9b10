package frame

import (
	"errors"
	"strconv"
)

// CloseReason is a close code with its reason text, the one close type of
// surge. It is what a close frame carries (§5.5.1), why a session ended
// (package session's CloseReason is this type), and, as an error, a
// violation of RFC 6455 by the peer together with the code to fail the
// connection with (§7.1.7, §7.4.1). A reason is sent in a close frame, so it
// is at most 123 bytes of UTF-8.
//
// The sentinels below are *CloseReason values: compare them with == or
// [errors.Is]; returning them allocates nothing. Treat them as read-only.
type CloseReason struct {
	Code   CloseCode
	Reason string
}

// String returns the numeric code, its name and the reason:
// "1000 normal closure: bye", or "1006 abnormal closure" when there is no
// reason.
func (r CloseReason) String() string {
	s := strconv.Itoa(int(r.Code)) + " " + r.Code.String()
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// Error returns "websocket: " followed by [CloseReason.String].
func (r *CloseReason) Error() string { return "websocket: " + r.String() }

// Sentinel protocol errors. The close code is 1002 (protocol error) unless
// noted.
var (
	// ErrReservedBits is returned by [Validator.Check] when a frame sets an
	// RSV bit that no negotiated extension claims (§5.2).
	ErrReservedBits = &CloseReason{CloseProtocolError, "reserved bits set"}
	// ErrReservedOpcode is returned by [Validator.Check] for opcodes 0x3-0x7
	// and 0xB-0xF (§5.2).
	ErrReservedOpcode = &CloseReason{CloseProtocolError, "reserved opcode"}
	// ErrControlTooLong is returned by [Validator.Check] for a control frame
	// with a payload longer than 125 bytes (§5.5).
	ErrControlTooLong = &CloseReason{CloseProtocolError, "control frame longer than 125 bytes"}
	// ErrControlFragmented is returned by [Validator.Check] for a control
	// frame without the FIN bit (§5.5).
	ErrControlFragmented = &CloseReason{CloseProtocolError, "fragmented control frame"}
	// ErrLengthOverflow is returned by [DecodeHeader] and [Validator.Check]
	// for a 64-bit payload length with the most significant bit set (§5.2).
	ErrLengthOverflow = &CloseReason{CloseProtocolError, "payload length overflows 63 bits"}
	// ErrUnmasked is returned by [Validator.Check] under [MaskRequired] for an
	// unmasked frame: a client must mask every frame it sends (§5.1).
	ErrUnmasked = &CloseReason{CloseProtocolError, "unmasked frame"}
	// ErrMasked is returned by [Validator.Check] under [MaskForbidden] for a
	// masked frame: a server must not mask frames it sends (§5.1).
	ErrMasked = &CloseReason{CloseProtocolError, "masked frame"}
	// ErrUnexpectedContinuation is returned by [Validator.Check] for a
	// continuation frame when no fragmented message is open (§5.4).
	ErrUnexpectedContinuation = &CloseReason{CloseProtocolError, "continuation frame without a message"}
	// ErrMessageNotFinished is returned by [Validator.Check] for a text or
	// binary frame while a fragmented message is still open (§5.4).
	ErrMessageNotFinished = &CloseReason{CloseProtocolError, "data frame inside a fragmented message"}
	// ErrCloseLength is returned by [ParseClose] for a close payload of one
	// byte, or of more than 125 bytes (§5.5, §5.5.1).
	ErrCloseLength = &CloseReason{CloseProtocolError, "invalid close payload length"}
	// ErrCloseCode is returned by [ParseClose] for a close code that may not
	// appear on the wire (§7.4); see [CloseCode.ValidOnWire].
	ErrCloseCode = &CloseReason{CloseProtocolError, "invalid close code"}
	// ErrCloseReasonUTF8 (close code 1007) is returned by [ParseClose] when
	// the close reason is not valid UTF-8 (§5.5.1).
	ErrCloseReasonUTF8 = &CloseReason{CloseInvalidPayload, "close reason is not valid UTF-8"}
	// ErrInvalidUTF8 (close code 1007) is what a receiver answers a text
	// message that is not valid UTF-8 with (§8.1); see [UTF8].
	ErrInvalidUTF8 = &CloseReason{CloseInvalidPayload, "invalid UTF-8 in text message"}
	// ErrFrameTooBig (close code 1009) is returned by [Validator.Check] for a
	// frame longer than [Validator].MaxFrameSize (§7.4.1).
	ErrFrameTooBig = &CloseReason{CloseMessageTooBig, "frame too big"}
	// ErrMessageTooBig (close code 1009) is what a receiver answers a message
	// exceeding its size limit with (§7.4.1); package session returns it.
	ErrMessageTooBig = &CloseReason{CloseMessageTooBig, "message too big"}
)

// ErrNegativeLength is returned by [PutHeader] for a [Header] whose Length
// is negative. It is a caller bug, not a protocol error.
var ErrNegativeLength = errors.New("frame: negative payload length")

// CloseCodeOf returns the close code carried by the first [*CloseReason] in
// err's tree (see [errors.As]) and true, or 0 and false if there is none.
func CloseCodeOf(err error) (CloseCode, bool) {
	pe, ok := errors.AsType[*CloseReason](err)
	if !ok || pe == nil {
		return 0, false
	}
	return pe.Code, true
}
