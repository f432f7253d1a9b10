package timewheel

import (
	"testing"
	"time"
)

const benchTimers = 100_000

// loaded returns a 1 ms wheel holding benchTimers timers spread over 30 s,
// like pings of 100k idle sessions.
func loaded() (*Wheel, []Timer) {
	w := New(ms, 4096)
	timers := make([]Timer, benchTimers)
	for i := range timers {
		w.Schedule(&timers[i], time.Duration(i%30_000)*ms)
	}
	return w, timers
}

// BenchmarkScheduleStop arms and stops one timer in a wheel of 100k.
func BenchmarkScheduleStop(b *testing.B) {
	w, _ := loaded()
	var tm Timer
	b.ReportAllocs()
	for b.Loop() {
		w.Schedule(&tm, 20*time.Second)
		w.Stop(&tm)
	}
}

// BenchmarkReschedule moves armed timers, as a pong-timeout reset on every
// received frame does.
func BenchmarkReschedule(b *testing.B) {
	w, timers := loaded()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		w.Schedule(&timers[i%benchTimers], 30*time.Second)
	}
}

// BenchmarkAdvance advances 1 ms per op over 100k timers that rearm for 30 s
// when they fire: about 3.3 timers fire per op, and each slot holds ~24
// timers from later revolutions that are skipped. The fired metric is
// timers fired per op.
func BenchmarkAdvance(b *testing.B) {
	w, _ := loaded()
	at := w.Now()
	fired := 0
	fire := func(t *Timer) {
		fired++
		w.Schedule(t, 30*time.Second)
	}
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(ms)
		w.Advance(at, fire)
	}
	b.ReportMetric(float64(fired)/float64(b.N), "fired/op")
}

// BenchmarkAdvanceIdle advances 1 ms per op with 100k timers armed and
// none due, the common case of a loop waking for I/O.
func BenchmarkAdvanceIdle(b *testing.B) {
	w := New(ms, 4096)
	timers := make([]Timer, benchTimers)
	for i := range timers {
		w.Schedule(&timers[i], time.Hour)
	}
	at := w.Now()
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(ms)
		w.Advance(at, nil)
	}
}
