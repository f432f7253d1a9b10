package timewheel_test

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/surgews/surge/internal/timewheel"
)

// session shows the intended embedding: timers live inside the session, so
// arming them allocates nothing.
type session struct {
	name string
	ping timewheel.Timer
	pong timewheel.Timer
}

const (
	kindPing uint8 = iota + 1
	kindPong
)

// owner recovers the session from one of its embedded timers by subtracting
// the field offset, which Kind tells.
func owner(t *timewheel.Timer) *session {
	off := unsafe.Offsetof(session{}.ping)
	if t.Kind == kindPong {
		off = unsafe.Offsetof(session{}.pong)
	}
	return (*session)(unsafe.Add(unsafe.Pointer(t), -off))
}

func Example() {
	w := timewheel.New(10*time.Millisecond, 64)
	start := w.Now()

	s := &session{name: "alice"}
	s.ping.Kind, s.pong.Kind = kindPing, kindPong
	w.Schedule(&s.ping, 30*time.Millisecond)
	w.Schedule(&s.pong, 50*time.Millisecond)

	fire := func(t *timewheel.Timer) {
		sess := owner(t)
		switch t.Kind {
		case kindPing:
			fmt.Println(sess.name, "ping due")
		case kindPong:
			fmt.Println(sess.name, "pong timeout")
		}
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
		timers[i].ID = uint32(i)
		w.Schedule(&timers[i], time.Duration(i+1)*100*time.Millisecond)
	}
	next := w.Advance(start.Add(250*time.Millisecond), func(t *timewheel.Timer) {
		fmt.Println("fired", t.ID)
	})
	fmt.Println("next in", next)
	// Output:
	// fired 0
	// fired 1
	// next in 50ms
}
