package attack

import (
	"fmt"
	"slices"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
)

// canaryRounds is how many echo round trips the canary makes beside an
// attack, as in reliability/; canaryWait is how long it waits for one echo
// before it counts that one and every later round as lost.
const (
	canaryRounds = 20
	canaryWait   = 2 * time.Second
)

// Latency is what a canary saw: the round trips that came back and how many
// did not.
type Latency struct {
	Rounds int           // round trips tried
	Lost   int           // rounds without the right echo within canaryWait
	Median time.Duration // of the round trips that came back
	Max    time.Duration
}

// OK reports whether every round trip came back.
func (l Latency) OK() bool { return l.Rounds > 0 && l.Lost == 0 }

func (l Latency) String() string {
	if l.Rounds == 0 {
		return "—"
	}
	s := fmt.Sprintf("%v / %v", roundDur(l.Median), roundDur(l.Max))
	if l.Lost > 0 {
		if l.Lost == l.Rounds {
			return fmt.Sprintf("no echo within %v", canaryWait)
		}
		s += fmt.Sprintf(", %d of %d lost", l.Lost, l.Rounds)
	}
	return s
}

// canary is a well-behaved client beside an attack.
type canary struct{ c *conn }

func dialCanary(addr string) (*canary, error) {
	c, err := upgrade(addr, 0)
	if err != nil {
		return nil, fmt.Errorf("canary: %w", err)
	}
	return &canary{c}, nil
}

// warmCanary connects a canary and makes one round trip before an attack.
// A server that does not echo even then returns no canary, the failed
// round in Latency and no error: the attack has nothing to measure, and
// its canary figure says why.
func warmCanary(addr string) (*canary, Latency, error) {
	k, err := dialCanary(addr)
	if err != nil {
		return nil, Latency{}, err
	}
	if l := k.rounds(1); !l.OK() {
		k.close()
		return nil, l, nil
	}
	return k, Latency{}, nil
}

// rounds makes n echo round trips, one at a time.
func (k *canary) rounds(n int) Latency {
	l := Latency{Rounds: n}
	var rtts []time.Duration
	for i := range n {
		d, ok := k.roundTrip(fmt.Sprintf("canary %d", i))
		if !ok {
			l.Lost = n - i
			break
		}
		rtts = append(rtts, d)
	}
	if len(rtts) > 0 {
		slices.Sort(rtts)
		l.Median, l.Max = rtts[len(rtts)/2], rtts[len(rtts)-1]
	}
	return l
}

// roundTrip sends msg and waits for its echo; a connection that failed once
// stays failed, since a late echo would be taken for the next round's.
func (k *canary) roundTrip(msg string) (time.Duration, bool) {
	start := time.Now()
	if err := k.c.write(testwire.ClientFrame(frame.OpText, []byte(msg))); err != nil {
		return 0, false
	}
	for {
		h, b, err := k.c.readFrame(canaryWait - time.Since(start))
		if err != nil {
			return 0, false
		}
		switch {
		case h.Op == frame.OpText && string(b) == msg:
			return time.Since(start), true
		case h.Op.IsControl() && h.Op != frame.OpClose:
			continue // a ping or pong the server chose to send
		default:
			return 0, false
		}
	}
}

func (k *canary) close() { k.c.close() }

// roundDur rounds d for a table: microseconds below a millisecond, then
// tenths of milliseconds, then milliseconds.
func roundDur(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < 100*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Millisecond)
	}
}
