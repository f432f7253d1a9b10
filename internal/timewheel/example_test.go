package timewheel_test

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/surgews/surge/internal/timewheel"
)

// session shows the intended embedding: the timer lives inside the session,
// so arming it allocates nothing, and as the first field it leads back to
// its session.
type session struct {
	timer    timewheel.Timer // first field: owner converts back
	name     string
	waitPong bool // which deadline timer holds: ping due, or pong awaited
}

// owner recovers the session from its embedded timer.
func owner(t *timewheel.Timer) *session {
	return (*session)(unsafe.Pointer(t))
}

func Example() {
	w := timewheel.New(10*time.Millisecond, 64)
	start := w.Now()

	s := &session{name: "alice"}
	w.Schedule(&s.timer, 30*time.Millisecond)

	fire := func(t *timewheel.Timer) {
		sess := owner(t)
		if !sess.waitPong {
			fmt.Println(sess.name, "ping due")
			sess.waitPong = true
			w.Schedule(t, 20*time.Millisecond) // the pong's deadline
			return
		}
		fmt.Println(sess.name, "pong timeout")
	}
	// The event loop: wait at most the returned duration, then advance.
	now := start
	for next := w.Advance(now, fire); next >= 0; next = w.Advance(now, fire) {
		now = now.Add(next)
		fmt.Println("wait", next)
	}
	// Output:
	// wait 30ms
	// alice ping due
	// wait 20ms
	// alice pong timeout
}

func ExampleWheel_Schedule() {
	w := timewheel.New(10*time.Millisecond, 64)
	var t timewheel.Timer
	w.Schedule(&t, 25*time.Millisecond) // rounded up to 30 ms
	fmt.Println(t.Armed(), w.Len())
	w.Schedule(&t, time.Second) // rearming moves it
	fmt.Println(w.Len())
	// Output:
	// true 1
	// 1
}

func ExampleWheel_Stop() {
	w := timewheel.New(10*time.Millisecond, 64)
	var t timewheel.Timer
	w.Schedule(&t, time.Second)
	fmt.Println(w.Stop(&t), w.Stop(&t), t.Armed())
	// Output:
	// true false false
}

func ExampleWheel_Advance() {
	w := timewheel.New(10*time.Millisecond, 64)
	start := w.Now()
	timers := make([]timewheel.Timer, 3)
	for i := range timers {
		w.Schedule(&timers[i], time.Duration(i+1)*100*time.Millisecond)
	}
	next := w.Advance(start.Add(250*time.Millisecond), func(t *timewheel.Timer) {
		for i := range timers {
			if t == &timers[i] {
				fmt.Println("fired", i)
			}
		}
	})
	fmt.Println("next in", next)
	// Output:
	// fired 0
	// fired 1
	// next in 50ms
}
