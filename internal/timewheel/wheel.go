package timewheel

import (
	"math"
	"math/bits"
	"time"
)

// Defaults used by [New] for a zero or negative argument.
const (
	// DefaultTick is the resolution: 100 ms is finer than any WebSocket
	// deadline needs (pings and timeouts are seconds) while letting an idle
	// loop sleep.
	DefaultTick = 100 * time.Millisecond
	// DefaultSlots gives one revolution of 102.4 s at DefaultTick, so
	// common deadlines need no extra rounds.
	DefaultSlots = 1024
)

// minSlots keeps the occupancy bitmap to whole 64-bit words.
const minSlots = 64

// maxTick is the deadline of a timer scheduled too far ahead to represent:
// it never fires in practice (2^62 ticks).
const maxTick int64 = math.MaxInt64 / 2

// Wheel is a hashed timing wheel: a ring of slots, each a list of the timers
// whose deadline tick falls in it modulo the slot count. Timers further than
// one revolution ahead share slots with nearer ones and are skipped until
// their revolution comes, so any duration works.
//
// Its clock is the time of the last [Wheel.Advance] (a monotonic reading
// taken at [New] is its origin); [Wheel.Schedule] measures from that clock.
// The loop therefore calls Advance right after every poller wait, before
// handling the events, so that deadlines set while handling them start from
// the current time.
//
// A Wheel must be made with [New] and must not be copied. It is not safe for
// concurrent use; see the package doc.
type Wheel struct {
	tick     int64 // nanoseconds
	mask     int64
	slots    []Timer  // list sentinels
	occupied []uint64 // bit i set when slot i's list is not empty
	origin   time.Time
	now      int64 // wheel clock, nanoseconds since origin
	cur      int64 // every deadline <= cur has fired
	n        int   // armed timers
	pending  Timer // sentinel of the timers Advance is about to fire
	firing   bool
}

// New returns a wheel with the given tick (resolution) and slot count,
// whose clock starts now. A tick <= 0 means [DefaultTick]; a slot count
// <= 0 means [DefaultSlots]; others are rounded up to a power of two of at
// least 64. Memory is 24 bytes per slot (a Timer as its list sentinel).
func New(tick time.Duration, slots int) *Wheel {
	if tick <= 0 {
		tick = DefaultTick
	}
	if slots <= 0 {
		slots = DefaultSlots
	}
	slots = max(slots, minSlots)
	if slots&(slots-1) != 0 {
		slots = 1 << bits.Len(uint(slots))
	}
	w := &Wheel{
		tick:     int64(tick),
		mask:     int64(slots - 1),
		slots:    make([]Timer, slots),
		occupied: make([]uint64, slots/64),
		origin:   time.Now(),
	}
	for i := range w.slots {
		s := &w.slots[i]
		s.next, s.prev = s, s
	}
	w.pending.next, w.pending.prev = &w.pending, &w.pending
	return w
}

// Tick returns the wheel's resolution.
func (w *Wheel) Tick() time.Duration { return time.Duration(w.tick) }

// Slots returns the number of slots, a power of two.
func (w *Wheel) Slots() int { return len(w.slots) }

// Len returns the number of armed timers.
func (w *Wheel) Len() int { return w.n }

// Now returns the wheel's clock: the latest time passed to Advance, or the
// creation time. Tests drive a wheel with w.Now().Add(d).
func (w *Wheel) Now() time.Time { return w.origin.Add(time.Duration(w.now)) }

// Schedule arms t to fire d after the wheel's clock, rounded up to the
// tick: it never fires early, and fires at most one tick plus the loop's
// Advance period late. Rescheduling an armed timer moves it. A d <= 0
// fires at the next tick. A timer scheduled from the fire callback never
// fires in the same Advance call. It does not allocate.
func (w *Wheel) Schedule(t *Timer, d time.Duration) {
	if t.next != nil {
		w.remove(t)
	}
	deadline := maxTick
	if d < 0 {
		d = 0
	}
	if at := int64(d); at <= maxTick-w.now {
		at += w.now
		deadline = at / w.tick
		if at%w.tick != 0 {
			deadline++
		}
	}
	deadline = max(deadline, w.cur+1)
	t.deadline = deadline
	slot := deadline & w.mask
	t.linkBefore(&w.slots[slot])
	w.occupied[slot>>6] |= 1 << (slot & 63)
	w.n++
}

// Stop disarms t. It reports whether t was armed; false means it had
// already fired or was never scheduled.
func (w *Wheel) Stop(t *Timer) bool {
	if t.next == nil {
		return false
	}
	w.remove(t)
	return true
}

// remove unlinks an armed t, from its slot or from the pending list.
func (w *Wheel) remove(t *Timer) {
	t.unlink()
	w.n--
	w.clearIfEmpty(t.deadline & w.mask)
}

func (w *Wheel) clearIfEmpty(slot int64) {
	if s := &w.slots[slot]; s.next == s {
		w.occupied[slot>>6] &^= 1 << (slot & 63)
	}
}

// Advance moves the wheel's clock to now and calls fire for every timer
// whose deadline has passed; the timer is disarmed before the call, so fire
// may reschedule it (a periodic ping) or stop or schedule any other timer.
// Timers fire in deadline order, in any order within one tick, except when
// one call covers more than a revolution (the loop stalled for Slots*Tick):
// then all overdue timers fire in that call, in slot order. A now earlier
// than the clock is taken as the clock: time does not go back.
//
// It returns how long the caller may wait before the next expiry, to use as
// the poller's timeout, or -1 when no timer is armed. The value is a lower
// bound: the loop may wake up to find nothing due, but never late. It costs
// O(ticks elapsed + timers fired + slot lengths visited) and does not
// allocate. fire must not call Advance.
func (w *Wheel) Advance(now time.Time, fire func(t *Timer)) time.Duration {
	if w.firing {
		panic("timewheel: Advance called from its fire callback")
	}
	if ns := int64(now.Sub(w.origin)); ns > w.now {
		w.now = ns
	}
	target := w.now / w.tick
	if target <= w.cur {
		return w.untilNext()
	}
	from := w.cur + 1
	w.cur = target
	if w.n == 0 {
		return -1
	}
	w.firing = true
	defer func() { w.firing = false }()
	if target-from >= int64(len(w.slots)) {
		// More than a revolution passed: one pass over every slot finds all
		// overdue timers; visiting each tick would cost the stall's length.
		for i := int64(0); i < int64(len(w.slots)); i++ {
			w.expire((from+i)&w.mask, target, fire)
		}
	} else {
		for k := from; k <= target; k++ {
			w.expire(k&w.mask, k, fire)
		}
	}
	return w.untilNext()
}

// expire fires the timers of slot whose deadline is at most limit. They are
// first moved to the pending list, so that fire can stop or reschedule any
// timer, those of this slot included, without breaking the walk.
func (w *Wheel) expire(slot, limit int64, fire func(t *Timer)) {
	if w.occupied[slot>>6]&(1<<(slot&63)) == 0 {
		return
	}
	s := &w.slots[slot]
	for t := s.next; t != s; {
		next := t.next
		if t.deadline <= limit {
			t.unlink()
			t.linkBefore(&w.pending)
		}
		t = next
	}
	w.clearIfEmpty(slot)
	for w.pending.next != &w.pending {
		t := w.pending.next
		t.unlink()
		w.n--
		fire(t)
	}
}

// untilNext returns the time to the first tick whose slot holds a timer, or
// -1 if none is armed.
func (w *Wheel) untilNext() time.Duration {
	if w.n == 0 {
		return -1
	}
	start := (w.cur + 1) & w.mask
	words := int64(len(w.occupied))
	wi := start >> 6
	// Bits at or after start in its word, then whole words around the ring,
	// then the bits before start in its word.
	if m := w.occupied[wi] &^ (1<<(start&63) - 1); m != 0 {
		return w.durationTo(wi<<6 + int64(bits.TrailingZeros64(m)))
	}
	for i := int64(1); i <= words; i++ {
		j := (wi + i) % words
		m := w.occupied[j]
		if i == words {
			m &= 1<<(start&63) - 1
		}
		if m != 0 {
			return w.durationTo(j<<6 + int64(bits.TrailingZeros64(m)))
		}
	}
	// Unreachable while n counts only linked timers; sleeping one tick is
	// safe anyway.
	return time.Duration(w.tick)
}

// durationTo returns the time from the clock to the next tick that maps to slot.
func (w *Wheel) durationTo(slot int64) time.Duration {
	k := w.cur + 1 + (slot-(w.cur+1))&w.mask
	return time.Duration(k*w.tick - w.now)
}
