package deflate

import (
	"errors"

	"github.com/surgews/surge/frame"
)

// Negotiation errors. A server never returns them from Accept (it declines the
// offer instead, RFC 7692 §7.1); Confirm returns them, wrapped with detail, when
// a server's response must fail the connection.
var (
	// ErrUnknownParam is returned by Confirm when the response has a
	// parameter RFC 7692 does not define for a response.
	ErrUnknownParam = errors.New("deflate: unknown extension parameter")
	// ErrDuplicateParam is returned by Confirm when a parameter appears twice.
	ErrDuplicateParam = errors.New("deflate: duplicate extension parameter")
	// ErrInvalidParam is returned by Confirm when a parameter has an invalid
	// value (a window size outside 8-15, a value where none is allowed...).
	ErrInvalidParam = errors.New("deflate: invalid extension parameter value")
	// ErrNotOffered is returned by Confirm when the response carries
	// client_max_window_bits the client did not offer, or a window larger
	// than the one offered (RFC 7692 §7.1.2).
	ErrNotOffered = errors.New("deflate: parameter not allowed by the offer")
	// ErrRefused is returned by Confirm when the response carries a parameter
	// the client's Config refuses (PolicyRefuse).
	ErrRefused = errors.New("deflate: parameter refused by policy")
)

// ErrCorrupt (close code 1002) is returned by DecodeMessage when a message's
// payload is not a valid DEFLATE stream (RFC 7692 §7.2.2); the session fails
// the connection with it. Like the frame sentinels it is a
// *frame.CloseReason, so returning it allocates nothing. Treat it as
// read-only. An inflated message over its limit gives frame.ErrMessageTooBig
// (close 1009) instead.
var ErrCorrupt = &frame.CloseReason{Code: frame.CloseProtocolError, Reason: "corrupt compressed message"}
