package timewheel

import (
	"testing"
	"time"
)

func TestNoAllocs(t *testing.T) {
	w := New(ms, 1024)
	timers := make([]Timer, 1000)
	for i := range timers {
		w.Schedule(&timers[i], time.Duration(i)*ms)
	}
	at := w.Now()
	fire := func(t *Timer) { w.Schedule(t, time.Second) }
	i := 0
	var tm Timer // outside the closure: once armed it is reachable from the wheel
	tests := []struct {
		name string
		fn   func()
	}{
		{
			name: "Schedule of a new timer and Stop",
			fn: func() {
				w.Schedule(&tm, 5*ms)
				w.Stop(&tm)
			},
		},
		{
			name: "Schedule moving an armed timer",
			fn: func() {
				i++
				w.Schedule(&timers[i%len(timers)], time.Duration(i%3000)*ms)
			},
		},
		{
			name: "Advance firing and rearming",
			fn: func() {
				at = at.Add(3 * ms)
				w.Advance(at, fire)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(200, tc.fn); got != 0 {
				t.Errorf(
					"%v allocs per run, want 0",
					got,
				)
			}
		})
	}
}
