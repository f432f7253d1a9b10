package session

// RxBuffered reports the length and capacity of the receive-side buffers the
// session holds between Feed calls (the message being joined and a split
// control frame), so tests can check memory stays bounded by the limits.
func (s *Session) RxBuffered() (n, capacity int) {
	if s.msg != nil {
		n, capacity = len(s.msg.B), cap(s.msg.B)
	}
	if s.ctl != nil {
		n, capacity = n+len(s.ctl.B), capacity+cap(s.ctl.B)
	}
	return n, capacity
}

// Backlog reports the bytes waiting to be written.
func (s *Session) Backlog() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backlogLocked()
}
