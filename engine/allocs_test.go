package engine_test

import (
	"testing"
)

// TestEchoNoAllocs gates the steady state of a real loopback conversation:
// a client Send, the server's read, parse, dispatch and echo, and the
// client's receive allocate nothing, in every dispatch mode. AllocsPerRun
// counts the whole process, so the loops and workers of both ends are in.
func TestEchoNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	for _, mode := range dispatchModes {
		t.Run(mode, func(t *testing.T) {
			c := echoPair(t, mode)
			for _, size := range []int{8, 125, 126, 4 << 10, 64 << 10} {
				p := make([]byte, size)
				for i := 0; i < 50; i++ { // warm the pools for this size
					roundTrip(t, c, p)
				}
				if n := testing.AllocsPerRun(500, func() { roundTrip(t, c, p) }); n != 0 {
					t.Errorf("%d-byte echo: %v allocations per round trip, want 0", size, n)
				}
			}
		})
	}
}
