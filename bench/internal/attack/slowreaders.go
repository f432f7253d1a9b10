package attack

import (
	"sync"
	"time"
)

// SlowReadersResult is what SlowReaders measured.
type SlowReadersResult struct {
	Peers int
	Msgs  int           // messages each attacker tried to send
	Sent  int           // messages the attackers got in, all together
	Hold  time.Duration // how long the attackers were held at most
	// Before the attack, the peak while the attackers were held (RSS and
	// descriptors, each its own maximum), and 3 s after they closed.
	Before, Peak, After Sample
	// Dropped is how many attackers the server had closed when the hold
	// ended (seen in its descriptor count); DroppedAfter is when the last
	// of them was, from the start of the attack, if all were.
	Dropped      int
	DroppedAfter time.Duration
	Canary       Latency // beside the attack
}

// PerPeer is the resident memory each attacker cost at the peak.
func (r SlowReadersResult) PerPeer() int64 {
	if r.Peers == 0 {
		return 0
	}
	return (r.Peak.RSS - r.Before.RSS) / int64(r.Peers)
}

// SlowReaders has peers attackers send msgs echoes of 64 KiB each and never
// read (issue 16 item 3), then watches the server for up to hold: its
// memory, and whether and when it drops them (RFC 6455 §10.4). It needs
// the target's PID; without one only the canary is measured.
func SlowReaders(t Target, peers, msgs int, hold time.Duration) (SlowReadersResult, error) {
	r := SlowReadersResult{Peers: peers, Msgs: msgs, Hold: hold}
	k, warm, err := warmCanary(t.Addr)
	if k == nil {
		r.Canary = warm
		return r, err
	}
	defer k.close()
	r.Before = t.probe()
	ps, err := upgradeAll(t.Addr, peers)
	if err != nil {
		return r, err
	}
	defer closeAll(ps)
	start := time.Now()
	w := t.watch(r.Before.FDs)
	r.Sent = sendAll(ps, msgs, slowSize)
	r.Canary = k.rounds(5)
	// The canary's own socket is in Before.FDs: all attackers are dropped
	// when the count is back there.
	for t.PID > 0 && time.Since(start) < hold && w.droppedAt().IsZero() {
		time.Sleep(50 * time.Millisecond)
	}
	peak, at := w.stop()
	r.Peak = peak
	r.Dropped = min(peers, max(0, peak.FDs-w.last.FDs))
	if !at.IsZero() {
		r.Dropped, r.DroppedAfter = peers, at.Sub(start)
	}
	closeAll(ps)
	if t.PID > 0 {
		t.settle(r.Before.FDs, 3*time.Second)
		time.Sleep(3 * time.Second) // memory returns on the server's own timers: give them a fixed time
		r.After = t.probe()
	}
	return r, nil
}

// watcher samples a target every 50 ms, keeping the peak of its memory and
// descriptors and the first moment its descriptors were back at base.
type watcher struct {
	mu      sync.Mutex
	peak    Sample
	last    Sample
	backAt  time.Time
	rising  bool // the count went above base since the watch began
	quit    chan struct{}
	stopped chan struct{}
}

func (t Target) watch(base int) *watcher {
	w := &watcher{quit: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		for {
			s := t.probe()
			w.mu.Lock()
			w.last = s
			w.peak.RSS, w.peak.FDs = max(w.peak.RSS, s.RSS), max(w.peak.FDs, s.FDs)
			w.rising = w.rising || s.FDs > base
			if w.rising && s.FDs <= base && w.backAt.IsZero() {
				w.backAt = time.Now()
			}
			w.mu.Unlock()
			select {
			case <-w.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *watcher) droppedAt() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.backAt
}

// stop ends the sampling and returns the peak and when the descriptors
// came back, if they did.
func (w *watcher) stop() (Sample, time.Time) {
	close(w.quit)
	<-w.stopped
	return w.peak, w.backAt
}
