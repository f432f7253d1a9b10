package main

import (
	"testing"
	"time"
)

// TestPacerSleepsAndStops: a sleep lasts at least its duration, whether it
// arms the timerfd (at or above the busy-poll window) or not, and closing
// stop ends a long sleep at once with false.
func TestPacerSleepsAndStops(t *testing.T) {
	stop := make(chan struct{})
	p := newPacer(stop, time.Millisecond)
	defer p.close()
	for _, d := range []time.Duration{200 * time.Microsecond, 3 * time.Millisecond} {
		start := time.Now()
		if !p.sleep(d) {
			t.Fatalf("sleep(%v) reported stop", d)
		}
		// A sleep below the window may end early on an expiry left by the
		// one before; the sender re-checks what is due, so only the armed
		// sleep has a lower bound.
		if el := time.Since(start); d >= time.Millisecond && el < d {
			t.Fatalf("sleep(%v) returned after %v", d, el)
		}
	}
	done := make(chan bool, 1)
	go func() { done <- p.sleep(time.Hour) }()
	time.Sleep(20 * time.Millisecond)
	close(stop)
	select {
	case ok := <-done:
		if ok {
			t.Fatal("a stopped sleep reported true")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing stop did not end the sleep")
	}
	if p.sleep(time.Hour) {
		t.Fatal("a sleep after stop reported true")
	}
}
