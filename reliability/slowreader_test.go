//go:build unix

package reliability_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// Slow-reader attack: peers that send messages to be echoed and never read.
const (
	slowPeers   = 50
	slowMsgs    = 32       // messages each peer sends: far more than the backlog holds
	slowMsgSize = 64 << 10 // the echo size
	slowBacklog = 256 << 10
	slowTimeout = time.Second // session.Config.Timeout: how long a write may stall
)

// heapNow returns the live Go heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestSlowReadersBoundedAndDropped: peers that never read their echoes hold
// a bounded amount of the server's memory (the backlog, at most twice
// Config.Backlog in a power-of-two buffer, plus the received messages that
// wait for a handler stuck behind it) and are dropped once their writes
// made no progress for the session's Timeout (RFC 6455 §10.4), after which
// the memory comes back; a canary is served all along. In every dispatch
// mode.
func TestSlowReadersBoundedAndDropped(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			cfg := engine.Config{Session: session.Config{Backlog: slowBacklog, Timeout: slowTimeout}}
			srv := modeServer(mode, cfg)
			addr := startServer(t, srv)
			c := dialCanary(t, addr)
			c.roundTrip("warm-up")
			heapNow()
			base := heapNow()
			fds := serverSockets(t, addr)
			start := time.Now()
			ps := nonReaders(t, addr, slowPeers, slowMsgs, slowMsgSize)
			if d := c.roundTrip("beside the attack"); d > time.Second {
				t.Errorf("canary round trip %v beside the attack", d)
			}
			// The peak of the heap while the non-readers are held, sampled
			// until the server drops them (dropped below).
			peak := heapNow()
			for srv.Stats().Conns > 1 && time.Since(start) < slowTimeout+ioWait {
				peak = max(peak, heapNow())
				time.Sleep(50 * time.Millisecond)
			}
			held := int64(peak) - int64(base)
			perPeer := held / slowPeers
			// The backlog: under 2*Backlog plus one echo, in a buffer of
			// the next power of two (4*Backlog), plus the smaller buffers
			// it outgrew, which the buffer pool keeps until its trim timer
			// (2*Backlog more); and messages waiting for a handler
			// (QueueLimit 64 plus the Incoming buffer of 8 in channel
			// mode; a handful on the pool).
			bound := int64(6 * slowBacklog)
			switch mode {
			case "channel":
				bound += (64 + 8 + 2) * slowMsgSize
			case "pool":
				bound += (64 + 2) * slowMsgSize
			}
			t.Logf("%s: %d non-readers hold %d KiB of Go heap each (bound %d KiB)", mode, slowPeers, perPeer>>10, bound>>10)
			if perPeer > bound {
				t.Errorf("each non-reader holds %d KiB of heap, want at most %d KiB", perPeer>>10, bound>>10)
			}
			// Dropped after Timeout without progress. Reading to see the
			// drop would make them readers: count the server's connections.
			waitFor(t, slowTimeout+ioWait, "the server to drop the non-readers", func() bool { return srv.Stats().Conns == 1 })
			dropped := time.Since(start)
			for i, p := range ps {
				if !p.eofWithin(ioWait) {
					t.Fatalf("non-reader %d: the server counts it dropped but it is still connected", i)
				}
			}
			if n := serverSockets(t, addr); n != fds {
				t.Errorf("the server holds %d sockets after the drop, %d before the attack", n, fds)
			}
			// The memory comes back within seconds: small buffers at the
			// second collection (sync.Pool's victim cache), large ones
			// when the buffer pool's trim timer releases them.
			var after int64
			for {
				heapNow()
				after = int64(heapNow()) - int64(base)
				if after <= 8<<20 || time.Since(start) > dropped+ioWait {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Logf("%s: all dropped %v after the attack began; heap back to %+d KiB from before %v later",
				mode, dropped.Round(time.Millisecond), after>>10, (time.Since(start) - dropped).Round(time.Millisecond))
			if after > 8<<20 {
				t.Errorf("the heap is still %d KiB above its level before the attack", after>>10)
			}
			c.roundTrip("after the attack")
		})
	}
}
