// Package session is surge's per-connection WebSocket protocol (RFC 6455) and
// its public Session API, modelled on Ktor's WebSocketSession.
//
// The state machine does no I/O ("sans I/O"): a [Driver] — the engine's
// event-loop connection, its portable net.Conn driver, or a test's in-memory
// driver — feeds received bytes to [Session.Feed] and reports writability
// ([Session.Writable]), timer expiry ([Session.Timer]) and the end of the
// transport ([Session.Closed]); the session asks the driver to write, to
// pause reading, to arm its one timer and to close. Everything the RFC asks of
// an endpoint happens inside: frame parsing across arbitrary read boundaries
// (§5.2), unmasking (§5.3), joining fragments (§5.4), answering pings (§5.5.2)
// and closes (§5.5.1, §7), fail-fast UTF-8 validation of text (§8.1), and
// failing the connection with the right close code (§7.1.7, §7.4.1).
//
// Applications use a [Session] in one of two styles. The channel style reads
// whole messages from [Session.Incoming] on a goroutine of its own (Ktor's
// incoming / outgoing channels). The event style implements [Handler]
// (OnOpen, OnMessage, OnError, OnClose) and holds no goroutine per session,
// which is what lets one process keep very many idle sessions.
//
// The ownership rule of payloads is documented on [Frame]: Send takes
// ownership of a frame; a received frame is valid until it is released, sent,
// or (event style) OnMessage returns. Under this rule the receive and send
// paths allocate nothing.
package session
