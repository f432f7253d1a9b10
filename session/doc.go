// Package session is the API a WebSocket handler programs against: the
// [Session] of one connection (Ktor's WebSocketSession), its [Frame]s, its
// [Config], and the [Handler] events of the event style. The engine makes
// sessions and moves their bytes (package engine); this package holds the
// RFC 6455 protocol that runs inside each one: frame parsing across arbitrary
// read boundaries (§5.2), unmasking (§5.3), joining fragments (§5.4),
// answering pings (§5.5.2) and closes (§5.5.1, §7), fail-fast UTF-8
// validation of text (§8.1), and failing the connection with the right close
// code (§7.1.7, §7.4.1).
//
// A session is used in one of two styles. The channel style reads whole
// messages from [Session.Incoming] on a goroutine of its own and sends with
// [Session.Send] or [Session.Outgoing] (Ktor's incoming and outgoing
// channels): engine.Server.HandleSession runs such a function per session.
// The event style implements [Handler] (OnOpen, OnMessage, OnError, OnClose;
// engine.Server.HandleEvents) and holds no goroutine per session, which is
// what lets one process keep very many idle sessions; [Config.Dispatch] says
// whether its events run on the event loop or on a worker pool.
//
// The ownership rule of payloads is documented on [Frame]: Send takes
// ownership of a frame; a received frame is valid until it is released, sent,
// or (event style) OnMessage returns. Under this rule the receive and send
// paths allocate nothing.
//
// Ktor's members map as follows: incoming → [Session.Incoming], outgoing →
// [Session.Outgoing], send → [Session.Send], close(reason) → [Session.Close],
// closeReason → [Session.Done] and [Session.CloseReason], flush →
// [Session.Flush], terminate → [Session.Terminate], call → [Session.Request],
// application → [Session.Server], extensions → Request().Extensions, and
// pingInterval, timeoutMillis, masking, maxFrameSize → the getters and setters
// of the same names, whose defaults come from the [Config]; send(String) →
// [Session.SendText]; sendSerialized and receiveDeserialized →
// [Session.SendValue], [Session.Receive] and [Session.Decode] with the
// [Config.Codec] (Ktor's contentConverter); frames with fin=false →
// [Config.Fragments]; the raw session's pings and pongs → [Config.OnControl];
// webSocket(path, protocol) → engine.Route's Protocols.
package session
