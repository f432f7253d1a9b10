package timewheel

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"
)

const ms = time.Millisecond

func TestTimerSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		if got := unsafe.Sizeof(Timer{}); got != 24 {
			t.Errorf(
				"Timer is %d bytes, documented as 24",
				got,
			)
		}
	}
}

func TestNewRounding(t *testing.T) {
	tests := []struct {
		name      string
		tick      time.Duration
		slots     int
		wantTick  time.Duration
		wantSlots int
	}{
		{name: "defaults", wantTick: DefaultTick, wantSlots: DefaultSlots},
		{name: "negative means default", tick: -1, slots: -5, wantTick: DefaultTick, wantSlots: DefaultSlots},
		{name: "power of two kept", tick: ms, slots: 4096, wantTick: ms, wantSlots: 4096},
		{name: "rounded up to a power of two", tick: ms, slots: 1000, wantTick: ms, wantSlots: 1024},
		{name: "at least 64", tick: ms, slots: 3, wantTick: ms, wantSlots: 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := New(tc.tick, tc.slots)
			if w.Tick() != tc.wantTick || w.Slots() != tc.wantSlots {
				t.Errorf(
					"tick %v slots %d, want %v %d",
					w.Tick(),
					w.Slots(),
					tc.wantTick,
					tc.wantSlots,
				)
			}
		})
	}
}

// clock drives a wheel with synthetic time and records what fires.
type clock struct {
	w     *Wheel
	start time.Time
	at    time.Duration
	fired []*Timer
	when  map[*Timer]time.Duration
}

func newClock(tick time.Duration, slots int) *clock {
	w := New(tick, slots)
	return &clock{w: w, start: w.Now(), when: map[*Timer]time.Duration{}}
}

func (c *clock) advance(at time.Duration) time.Duration {
	c.at = at
	return c.w.Advance(c.start.Add(at), func(t *Timer) {
		c.fired = append(c.fired, t)
		c.when[t] = c.at
	})
}

func TestScheduleFiresOnTime(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Duration // clock when scheduling
		d        time.Duration
		wantFire time.Duration // first tick boundary at or after now+d
	}{
		{name: "exact tick multiple", d: 30 * ms, wantFire: 30 * ms},
		{name: "rounded up to the tick", d: 31 * ms, wantFire: 40 * ms},
		{name: "from mid tick", now: 5 * ms, d: 10 * ms, wantFire: 20 * ms},
		{name: "zero fires next tick", now: 5 * ms, d: 0, wantFire: 10 * ms},
		{name: "negative fires next tick", now: 20 * ms, d: -time.Second, wantFire: 30 * ms},
		{name: "one revolution", d: 640 * ms, wantFire: 640 * ms},
		{name: "several revolutions", d: 5*640*ms + 3*ms, wantFire: 5*640*ms + 10*ms},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(10*ms, 64)
			c.advance(tc.now)
			var tm Timer
			c.w.Schedule(&tm, tc.d)
			if !tm.Armed() || c.w.Len() != 1 {
				t.Fatal("not armed after Schedule")
			}
			// Step 1 ms at a time: it must fire at the first step at or
			// after wantFire, not before.
			for at := tc.now; at <= tc.wantFire+20*ms && len(c.fired) == 0; at += ms {
				c.advance(at)
			}
			if len(c.fired) != 1 || c.when[&tm] != tc.wantFire {
				t.Fatalf(
					"fired %d timers at %v, want one at %v",
					len(c.fired),
					c.when[&tm],
					tc.wantFire,
				)
			}
			if tm.Armed() || c.w.Len() != 0 {
				t.Error("still armed after firing")
			}
		})
	}
}

// TestAgainstReference schedules, stops and reschedules many random timers
// and checks every firing against a reference computed by sorting deadlines.
func TestAgainstReference(t *testing.T) {
	const tick = 10 * ms
	ceilTick := func(at time.Duration) time.Duration {
		return (at + tick - 1) / tick * tick
	}
	for _, seed := range []uint64{1, 2, 3, 4} {
		rng := rand.New(rand.NewPCG(seed, 99))
		c := newClock(tick, 64) // a 640 ms revolution: many timers need rounds
		timers := make([]Timer, 2000)
		id := make(map[*Timer]int, len(timers)) // for the failure messages
		for i := range timers {
			id[&timers[i]] = i
		}
		deadline := map[*Timer]time.Duration{} // reference: armed timers and when they are due
		now := time.Duration(0)
		for step := 0; step < 400; step++ {
			for op := 0; op < 20; op++ {
				tm := &timers[rng.IntN(len(timers))]
				if rng.IntN(4) == 0 {
					_, armed := deadline[tm]
					if c.w.Stop(tm) != armed {
						t.Fatalf(
							"seed %d: Stop of timer %d disagrees with the reference",
							seed,
							id[tm],
						)
					}
					delete(deadline, tm)
					continue
				}
				d := time.Duration(rng.Int64N(int64(3 * time.Second)))
				c.w.Schedule(tm, d)
				deadline[tm] = max(ceilTick(now+d), (now/tick+1)*tick)
			}
			// A random step, often several ticks, sometimes none.
			now += time.Duration(rng.Int64N(int64(4 * tick)))
			c.fired = c.fired[:0]
			c.advance(now)

			var want []*Timer
			for tm, dl := range deadline {
				if dl <= now {
					want = append(want, tm)
				}
			}
			slices.SortFunc(want, func(a, b *Timer) int { return int(deadline[a] - deadline[b]) })
			if len(c.fired) != len(want) {
				t.Fatalf(
					"seed %d step %d: fired %d, reference %d",
					seed,
					step,
					len(c.fired),
					len(want),
				)
			}
			for i, tm := range c.fired {
				// Same deadline sequence as the sorted reference: any order
				// within a tick, deadline order across ticks.
				if deadline[tm] != deadline[want[i]] {
					t.Fatalf(
						"seed %d step %d: firing %d is timer %d due %v, reference due %v",
						seed,
						step,
						i,
						id[tm],
						deadline[tm],
						deadline[want[i]],
					)
				}
				if tm.Armed() {
					t.Fatalf(
						"seed %d: fired timer %d still armed",
						seed,
						id[tm],
					)
				}
			}
			for _, tm := range c.fired {
				delete(deadline, tm)
			}
			if c.w.Len() != len(deadline) {
				t.Fatalf(
					"seed %d: Len %d, reference %d",
					seed,
					c.w.Len(),
					len(deadline),
				)
			}
		}
	}
}

func TestStopAndRearm(t *testing.T) {
	c := newClock(10*ms, 64)
	var a, b, d Timer
	c.w.Schedule(&a, 50*ms)
	c.w.Schedule(&b, 50*ms)
	c.w.Schedule(&d, 50*ms)
	if !c.w.Stop(&b) || c.w.Stop(&b) {
		t.Fatal("Stop should report true once, then false")
	}
	var never Timer
	if c.w.Stop(&never) {
		t.Fatal("Stop of a never-armed timer reported true")
	}
	c.w.Schedule(&d, 200*ms) // rearming moves it later
	c.advance(100 * ms)
	if !slices.Equal(c.fired, []*Timer{&a}) {
		t.Fatalf(
			"fired %v, want only a",
			c.fired,
		)
	}
	c.advance(199 * ms)
	if len(c.fired) != 1 {
		t.Fatal("rearmed timer fired early")
	}
	c.advance(200 * ms)
	if !slices.Equal(c.fired, []*Timer{&a, &d}) || c.w.Len() != 0 {
		t.Fatalf(
			"fired %v",
			c.fired,
		)
	}
}

func TestFireCallbackMutations(t *testing.T) {
	w := New(10*ms, 64)
	start := w.Now()
	var periodic, victim, other Timer
	kind := map[*Timer]uint8{&periodic: 1, &victim: 2, &other: 3}
	w.Schedule(&victim, 10*ms)
	w.Schedule(&periodic, 10*ms) // same slot, after victim
	w.Schedule(&other, 25*ms)
	w.Stop(&victim)
	w.Schedule(&victim, 10*ms) // now after periodic: stopped by its callback before firing
	count := map[uint8]int{}
	fire := func(t *Timer) {
		count[kind[t]]++
		if t == &periodic {
			w.Stop(&victim)
			// Rescheduling with 0 from the callback must not fire again in
			// this Advance, or a periodic timer could loop forever.
			w.Schedule(t, 0)
		}
	}
	w.Advance(start.Add(10*ms), fire)
	if count[1] != 1 || count[2] != 0 || count[3] != 0 || victim.Armed() {
		t.Fatalf(
			"after 10ms: %v",
			count,
		)
	}
	w.Advance(start.Add(30*ms), fire)
	if count[1] != 2 || count[2] != 0 || count[3] != 1 {
		t.Fatalf(
			"after 30ms: %v",
			count,
		)
	}
	if !periodic.Armed() || w.Len() != 1 {
		t.Fatal("periodic timer not rearmed")
	}
}

func TestAdvanceLongStall(t *testing.T) {
	c := newClock(ms, 64)
	timers := make([]Timer, 1000)
	for i := range timers {
		c.w.Schedule(&timers[i], time.Duration(i)*ms)
	}
	// One call over ~8 revolutions fires everything due and nothing else:
	// timers 0 and 1 are both due at tick 1, timer i at tick i.
	c.advance(500 * ms)
	if len(c.fired) != 501 || !timers[501].Armed() || timers[500].Armed() {
		t.Fatalf(
			"fired %d, want the 501 due",
			len(c.fired),
		)
	}
	for _, tm := range c.fired {
		if tm.deadline > 500 {
			t.Fatalf(
				"fired timer due at tick %d",
				tm.deadline,
			)
		}
	}
	c.advance(time.Second)
	if len(c.fired) != 1000 || c.w.Len() != 0 {
		t.Fatalf(
			"fired %d of 1000",
			len(c.fired),
		)
	}
}

func TestAdvanceReturnsNextExpiry(t *testing.T) {
	c := newClock(10*ms, 64)
	if got := c.advance(0); got != -1 {
		t.Fatalf(
			"empty wheel: %v, want -1",
			got,
		)
	}
	var a, b Timer
	c.w.Schedule(&a, 95*ms) // due at 100 ms
	if got := c.advance(3 * ms); got != 97*ms {
		t.Errorf(
			"next expiry %v, want 97ms",
			got,
		)
	}
	c.w.Schedule(&b, 2*time.Second) // beyond a revolution: due at 2003 ms
	c.w.Stop(&a)
	// b sits in the slot of tick 201 mod 64 = 9, so the bound is the next
	// tick with that slot, 90 ms: early, never late.
	if got := c.advance(3 * ms); got != 87*ms {
		t.Errorf(
			"next expiry %v, want the 87ms lower bound",
			got,
		)
	}
	for at := 3 * ms; len(c.fired) == 0; {
		next := c.advance(at)
		if len(c.fired) > 0 {
			break
		}
		if next <= 0 {
			t.Fatalf(
				"next expiry %v with a timer armed",
				next,
			)
		}
		at += next
		if at > 2010*ms {
			t.Fatalf(
				"following the returned waits overshot: at %v",
				at,
			)
		}
	}
	if c.when[&b] != 2010*ms {
		t.Errorf(
			"b fired at %v, want 2010ms",
			c.when[&b],
		)
	}
	if got := c.advance(3 * time.Second); got != -1 {
		t.Errorf(
			"after all fired: %v, want -1",
			got,
		)
	}
}

func TestHugeDurationNeverFires(t *testing.T) {
	c := newClock(ms, 64)
	c.advance(time.Hour)
	var tm Timer
	c.w.Schedule(&tm, time.Duration(1<<63-1))
	c.advance(1000 * time.Hour)
	if len(c.fired) != 0 || !tm.Armed() {
		t.Fatal("timer with the maximum duration fired")
	}
	if !c.w.Stop(&tm) {
		t.Fatal("Stop failed")
	}
}

func TestTimeDoesNotGoBack(t *testing.T) {
	c := newClock(10*ms, 64)
	var tm Timer
	c.advance(100 * ms)
	c.w.Schedule(&tm, 10*ms)
	c.advance(50 * ms) // earlier than the clock: ignored
	if len(c.fired) != 0 {
		t.Fatal("fired on a clock going back")
	}
	c.advance(110 * ms)
	if len(c.fired) != 1 {
		t.Fatal("did not fire")
	}
}

func TestAdvanceFromFirePanics(t *testing.T) {
	w := New(ms, 64)
	var tm Timer
	w.Schedule(&tm, 0)
	defer func() {
		if recover() == nil {
			t.Error("no panic for a reentrant Advance")
		}
	}()
	w.Advance(w.Now().Add(time.Second), func(*Timer) { w.Advance(w.Now(), nil) })
}
