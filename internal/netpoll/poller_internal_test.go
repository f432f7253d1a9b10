package netpoll

import (
	"math"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEventString(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{name: "zero", ev: 0, want: "none"},
		{name: "read", ev: EventRead, want: "read"},
		{name: "read and hup", ev: EventRead | EventHup, want: "read|hup"},
		{name: "all known", ev: EventRead | EventWrite | EventHup | EventErr | EventEdge, want: "read|write|hup|err|edge"},
		{name: "unknown only", ev: 1 << 6, want: "0x40"},
		{name: "known and unknown", ev: EventWrite | 1<<31, want: "write|0x80000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// parseEvent is the reference inverse of Event.String.
func parseEvent(t *testing.T, s string) Event {
	if s == "none" {
		return 0
	}
	var e Event
	for part := range strings.SplitSeq(s, "|") {
		found := false
		for i, name := range eventNames {
			if part == name {
				e |= 1 << i
				found = true
			}
		}
		if !found {
			v, ok := new(big.Int).SetString(strings.TrimPrefix(part, "0x"), 16)
			if !ok || !strings.HasPrefix(part, "0x") {
				t.Fatalf("unparsable part %q in %q", part, s)
			}
			e |= Event(v.Uint64())
		}
	}
	return e
}

func FuzzEventString(f *testing.F) {
	for _, seed := range []uint32{0, 1, 3, 31, 32, 0xffffffff, 0x80000001} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v uint32) {
		e := Event(v)
		if got := parseEvent(t, e.String()); got != e {
			t.Fatalf("String() = %q parses back to %#x, want %#x", e.String(), uint32(got), v)
		}
	})
}

func TestTimeoutMillis(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want int
	}{
		{name: "negative blocks", d: -time.Second, want: -1},
		{name: "min negative blocks", d: math.MinInt64, want: -1},
		{name: "zero polls", d: 0, want: 0},
		{name: "one nanosecond rounds up", d: 1, want: 1},
		{name: "exact millisecond", d: time.Millisecond, want: 1},
		{name: "just above", d: time.Millisecond + 1, want: 2},
		{name: "one second", d: time.Second, want: 1000},
		{name: "huge clamps", d: math.MaxInt64, want: math.MaxInt32},
		{name: "just past int32 clamps", d: (math.MaxInt32 + 1) * time.Millisecond, want: math.MaxInt32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := timeoutMillis(tt.d); got != tt.want {
				t.Fatalf("timeoutMillis(%d) = %d, want %d", tt.d, got, tt.want)
			}
		})
	}
}

// refTimeoutMillis is the reference for timeoutMillis, computed in big
// integers so it cannot overflow.
func refTimeoutMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := new(big.Int).Add(big.NewInt(int64(d)), big.NewInt(int64(time.Millisecond)-1))
	ms.Quo(ms, big.NewInt(int64(time.Millisecond)))
	if ms.Cmp(big.NewInt(math.MaxInt32)) > 0 {
		return math.MaxInt32
	}
	return int(ms.Int64())
}

func FuzzTimeoutMillis(f *testing.F) {
	for _, seed := range []int64{-1, 0, 1, 999_999, 1_000_000, 1_000_001, math.MaxInt64, math.MinInt64, math.MaxInt32 * 1_000_000} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, d int64) {
		if got, want := timeoutMillis(time.Duration(d)), refTimeoutMillis(time.Duration(d)); got != want {
			t.Fatalf("timeoutMillis(%d) = %d, want %d", d, got, want)
		}
	})
}

func TestLifecycle(t *testing.T) {
	var l lifecycle
	if !l.acquire() || !l.acquire() {
		t.Fatal("acquire on an open lifecycle failed")
	}
	if !l.markClosed() {
		t.Fatal("first markClosed reported already closed")
	}
	if l.markClosed() {
		t.Fatal("second markClosed reported it closed")
	}
	if l.acquire() {
		t.Fatal("acquire succeeded after close")
	}
	if l.release() {
		t.Fatal("release with a reference left asked to close")
	}
	if !l.release() {
		t.Fatal("last release after close did not ask to close")
	}
}

// TestLifecycleExactlyOnce races acquirers against one close: exactly one
// release may report that the fds must be closed.
func TestLifecycleExactlyOnce(t *testing.T) {
	for range 200 {
		var l lifecycle
		var closes sync.WaitGroup
		var mu sync.Mutex
		closers := 0
		note := func(closeNow bool) {
			if closeNow {
				mu.Lock()
				closers++
				mu.Unlock()
			}
		}
		for range 4 {
			closes.Go(func() {
				for range 50 {
					if l.acquire() {
						note(l.release())
					}
				}
			})
		}
		closes.Go(func() {
			if l.acquire() {
				l.markClosed()
				note(l.release())
			}
		})
		closes.Wait()
		if !l.closed() {
			t.Fatal("not closed")
		}
		if closers != 1 {
			t.Fatalf("%d releases asked to close the fds, want exactly 1", closers)
		}
	}
}
