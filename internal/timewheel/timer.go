package timewheel

// Timer is one deadline, embedded by value in the caller's per-session
// struct. The zero value is a stopped timer. Its size is 24 bytes on 64-bit
// platforms (two list pointers and the deadline tick).
//
// A Timer carries no callback and no tag: [Wheel.Advance] calls one function
// for all timers, which finds the owner from the Timer's address, when the
// Timer sits at a known offset in the owner's struct (see the package
// example), and tells timers apart by address or by the owner's state. That
// keeps a closure per timer, and its allocation, out of the design; an `any`
// owner would cost 16 bytes per timer, and an ID and a kind, which the
// engine never read, cost 8 (every idle connection embeds a Timer).
//
// A Timer must not be copied while armed, and belongs to one wheel at a
// time.
type Timer struct {
	next, prev *Timer
	deadline   int64 // tick number at which the timer fires
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
