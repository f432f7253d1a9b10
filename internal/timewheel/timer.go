package timewheel

// Timer is one deadline, embedded by value in the caller's per-session
// struct. The zero value is a stopped timer. Its size is 32 bytes on 64-bit
// platforms (two list pointers, the deadline tick, ID and Kind).
//
// A Timer carries no callback: [Wheel.Advance] calls one function for all
// timers, which tells them apart by Kind and finds the session either from
// ID (an index into the loop's session table) or from the Timer's address,
// when the Timer sits at a known offset in the session struct (see the
// package example). That keeps a closure per timer, and its allocation,
// out of the design; an `any` owner would cost 16 bytes per timer.
//
// A Timer must not be copied while armed, and belongs to one wheel at a
// time.
type Timer struct {
	next, prev *Timer
	deadline   int64 // tick number at which the timer fires

	// ID is the caller's, untouched by the wheel: typically the index of
	// the owning session in the loop's table.
	ID uint32
	// Kind is the caller's, untouched by the wheel: which of the session's
	// deadlines this is (ping, pong, handshake, close...).
	Kind uint8
}

// Armed reports whether t is scheduled and has neither fired nor been
// stopped. During the fire callback the firing timer is no longer armed.
func (t *Timer) Armed() bool { return t.next != nil }

// unlink removes t from its list and marks it stopped.
func (t *Timer) unlink() {
	t.prev.next = t.next
	t.next.prev = t.prev
	t.next, t.prev = nil, nil
}

// linkBefore puts t in the circular list just before at (at the tail when
// at is a list's sentinel).
func (t *Timer) linkBefore(at *Timer) {
	t.prev = at.prev
	t.next = at
	at.prev.next = t
	at.prev = t
}
