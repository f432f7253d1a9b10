package session

// Test-only accessors. They are functions, not methods, so that the method
// set of *Session the tests see is the application's API alone
// (TestSessionMethodSet).

// RxBuffered reports the length and capacity of the receive-side buffers s
// holds between Feed calls (the message being joined and a split control
// frame), so tests can check memory stays bounded by the limits.
func RxBuffered(s *Session) (n, capacity int) {
	if s.msg != nil {
		n, capacity = len(s.msg.B), cap(s.msg.B)
	}
	if s.ctl != nil {
		n, capacity = n+len(s.ctl.B), capacity+cap(s.ctl.B)
	}
	return n, capacity
}

// Backlog reports the bytes waiting to be written.
func Backlog(s *Session) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backlogLocked()
}

// The causes Send and Close wrap ErrInvalidFrame with, so that a test can
// tell which check refused a frame.
var (
	InvalidReleased        = errFrameReleased
	InvalidOpcode          = errBadOpcode
	InvalidControlTooLong  = errControlTooLong
	InvalidCloseReason     = errBadCloseReason
	InvalidControlFragment = errControlFragmented
	InvalidReservedBits    = errReservedBits
	InvalidFragmentOrder   = errFragmentOrder
)
