package extension

// Param is one parameter of an extension offer or response in a
// Sec-WebSocket-Extensions header (RFC 6455 §9.1): a name and an optional value.
type Param struct {
	Name  string
	Value string
}

// Factory negotiates one extension (RFC 6455 §9), for example
// permessage-deflate. It is configured once per server or dial (Ktor's
// extensions { install(...) }) and must be safe for concurrent use.
type Factory interface {
	// Name is the extension token, such as "permessage-deflate".
	Name() string
	// Accept is called on a server with the parameters of one offer of this
	// extension. It returns the response parameters and the session's
	// extension, or ok = false to decline this offer (the next offer, if any,
	// is tried). An error fails the handshake.
	Accept(offer []Param) (response []Param, ext Extension, ok bool, err error)
	// Offer returns the parameters a client offers.
	Offer() []Param
	// Confirm is called on a client with the server's response parameters;
	// an error fails the handshake.
	Confirm(response []Param) (Extension, error)
}

// Extension is one negotiated extension of one session. Its methods are called
// by the session with messages in order: DecodeMessage from the receiving
// side, EncodeMessage from senders under the session's send lock, so an
// Extension needs no lock of its own for state on either side alone.
type Extension interface {
	// Name is the extension token.
	Name() string
	// Rsv returns the RSV bits (frame.Rsv1 …) the extension claims on the wire.
	Rsv() byte
	// DecodeMessage turns the payload of a received message whose first frame
	// carried rsv into the application's bytes, appending them to dst and
	// returning the result. The result must not exceed limit bytes
	// (frame.ErrMessageTooBig otherwise). A message without the extension's
	// bits is passed through by the session, not given here.
	DecodeMessage(dst []byte, rsv byte, payload []byte, limit int64) ([]byte, error)
	// EncodeMessage appends the wire form of a message payload to dst and
	// returns it with the RSV bits to set on its first frame. Returning
	// rsv = 0 with dst unchanged sends the payload as it is (for example
	// below a compression threshold).
	EncodeMessage(dst []byte, payload []byte) (out []byte, rsv byte, err error)
	// Idle is called when the session has no message in flight, so the
	// extension can release state the protocol lets it release: at a timer
	// tick (ping interval) when no message was encoded since the previous
	// tick, and once when the session ends. It runs under the send lock, like
	// EncodeMessage, possibly while DecodeMessage runs.
	Idle()
}
