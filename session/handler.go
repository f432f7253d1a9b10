package session

// Handler receives the events of an event-style session, the standard events of
// a WebSocket API (onConnect, onMessage, onClose, onError). It serves very many
// idle sessions with no goroutine each: events run on the event loop or on a
// worker pool, never more than one at a time per session, in order.
//
// A frame given to OnMessage is valid until OnMessage returns; Clone it (or pass
// it to Send) to keep it longer. The session's CloseReason is set before
// OnError and OnClose run. A handler that panics has its session closed with
// 1011 (internal error); other sessions are not affected.
type Handler interface {
	// OnOpen runs once, before any other event of the session.
	OnOpen(s *Session)
	// OnMessage runs for each complete received text or binary message (for
	// each data frame under Config.Fragments).
	OnMessage(s *Session, f Frame)
	// OnError runs when the session ends because of an error (a protocol
	// violation by the peer, a timeout, a failed write), just before OnClose.
	OnError(s *Session, err error)
	// OnClose runs once, last, when the session has ended.
	OnClose(s *Session, r CloseReason)
}

// NopHandler implements every Handler method as a no-op; embed it and override
// only the events you need.
type NopHandler struct{}

// OnOpen does nothing.
func (NopHandler) OnOpen(*Session) {}

// OnMessage does nothing.
func (NopHandler) OnMessage(*Session, Frame) {}

// OnError does nothing.
func (NopHandler) OnError(*Session, error) {}

// OnClose does nothing.
func (NopHandler) OnClose(*Session, CloseReason) {}
