//go:build unix

package reliability_test

import (
	"fmt"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// TestPoolNonReadersDoNotStall: on the worker pool, peers that never read
// their echoes must not hold the shared workers: another session's echo
// keeps its round trip under 100 ms, with 2 and with 200 such peers (as
// many peers as workers and a hundred times more).
func TestPoolNonReadersDoNotStall(t *testing.T) {
	for _, n := range []int{2, 200} {
		t.Run(fmt.Sprintf("%d peers", n), func(t *testing.T) {
			srv := modeServer("pool", engine.Config{
				Session: session.Config{Backlog: 64 << 10},
				Reactor: engine.ReactorConfig{Workers: 2},
			})
			addr := startServer(t, srv)
			c := dialCanary(t, addr)
			c.roundTrip("warm-up")
			nonReaders(t, addr, n, 16, 16<<10)
			rtts := canaryLatency(t, c)
			t.Logf("%d non-readers: canary round trips median %v, max %v", n, rtts[len(rtts)/2], rtts[len(rtts)-1])
		})
	}
}
