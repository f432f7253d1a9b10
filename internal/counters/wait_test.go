package counters

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWaitIncludesThePark checks that a parked loop's wait grows while it
// is parked and stops growing once it runs.
func TestWaitIncludesThePark(t *testing.T) {
	var s Set
	if w := s.Wait(); w != 0 {
		t.Fatalf("fresh set: wait %v, want 0", w)
	}
	s.Park(time.Now())
	w1 := s.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for s.Wait() <= w1 {
		if time.Now().After(deadline) {
			t.Fatalf("wait stuck at %v while parked", w1)
		}
		time.Sleep(time.Millisecond)
	}
	end := s.Unpark()
	done := s.Wait()
	if done <= 0 || done > end.Sub(parkEpoch) {
		t.Fatalf("wait after the park %v, want within (0, %v]", done, end.Sub(parkEpoch))
	}
	time.Sleep(2 * time.Millisecond)
	if w := s.Wait(); w != done {
		t.Fatalf("wait moved from %v to %v while running", done, w)
	}
	if again := s.Unpark(); again.Before(end) {
		t.Fatalf("a second Unpark returned %v, before the first's %v", again, end)
	}
	if w := s.Wait(); w != done {
		t.Fatalf("an Unpark without a Park moved the wait from %v to %v", done, w)
	}
}

// TestWaitNeverShrinks reads the wait while a loop parks and wakes as fast
// as it can: a Prometheus counter must never go back. The reads go on until
// the parking goroutine has run 1,000 cycles: it may not have started
// before the first 200,000 reads are done.
func TestWaitNeverShrinks(t *testing.T) {
	var s Set
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cycles atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.Park(time.Now())
			s.Unpark()
			cycles.Add(1)
		}
	}()
	var last time.Duration
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 200000 || cycles.Load() < 1000; i++ {
		if i%1024 == 0 && time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("%d park cycles in 30 s", cycles.Load())
		}
		w := s.Wait()
		if w < last {
			close(stop)
			wg.Wait()
			t.Fatalf("wait went back from %v to %v", last, w)
		}
		last = w
	}
	// One more read: the goroutine may have run its 1,000 cycles between
	// the loop's last read and its condition (on the reader's P, when the
	// reader was preempted there).
	if w := s.Wait(); w < last || w == 0 {
		t.Errorf("wait %v after %d park cycles, the loop's last read %v", w, cycles.Load(), last)
	}
	close(stop)
	wg.Wait()
}
