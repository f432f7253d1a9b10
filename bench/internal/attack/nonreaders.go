package attack

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
)

// Peers that send messages to be echoed and never read them, as in
// reliability's TestPoolNonReadersDoNotStall (echoes of 16 KiB) and
// TestSlowReadersBoundedAndDropped (echoes of 64 KiB). The tests there send
// 16 and 32 echoes, as they shrink the server's socket buffers and
// backlog; here the kernel's buffers on the server's side (up to 4 MiB to
// send and 32 MiB to receive on a stock Linux) take that much without the
// server holding any, so the suite's attackers send until the server stops
// reading, up to nonReaderMsgs (16 MiB) or slowMsgs (32 MiB), except for
// the 200 non-readers, which send 16 echoes as in the test.
const (
	nonReaderMsgs = 1024
	nonReaderSize = 16 << 10
	slowMsgs      = 512
	slowSize      = 64 << 10
	// peerRcvBuf is the attackers' socket receive buffer: small, so that
	// the server's send path fills soon.
	peerRcvBuf = 4096
)

// openNonReaders upgrades n connections and has each send msgs binary
// messages of size bytes without ever reading; see sendAll.
func openNonReaders(addr string, n, msgs, size int) ([]*conn, int, error) {
	ps, err := upgradeAll(addr, n)
	if err != nil {
		return nil, 0, err
	}
	return ps, sendAll(ps, msgs, size), nil
}

// upgradeAll opens n upgraded connections with a small receive buffer.
func upgradeAll(addr string, n int) ([]*conn, error) {
	ps := make([]*conn, 0, n)
	for range n {
		c, err := upgrade(addr, peerRcvBuf)
		if err != nil {
			closeAll(ps)
			return nil, fmt.Errorf("attacker %d of %d: %w", len(ps)+1, n, err)
		}
		ps = append(ps, c)
	}
	return ps, nil
}

// sendAll has each of ps send msgs binary messages of size bytes, and
// returns once every peer has written what it could (a write blocked for a
// second, because the server stopped reading, ends that peer's writing),
// with the number of messages written in full.
func sendAll(ps []*conn, msgs, size int) int {
	msg := testwire.ClientFrame(frame.OpBinary, make([]byte, size))
	var wg sync.WaitGroup
	var sent atomic.Int64
	for _, c := range ps {
		wg.Go(func() {
			for range msgs {
				_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := c.nc.Write(msg); err != nil {
					return
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	return int(sent.Load())
}

func closeAll(ps []*conn) {
	for _, c := range ps {
		c.close()
	}
}

// settle waits up to d for the target's descriptors to fall to at most
// fds (the attackers' sockets closed on the server's side too) and returns
// the last sample.
func (t Target) settle(fds int, d time.Duration) Sample {
	deadline := time.Now().Add(d)
	for {
		s := t.probe()
		if t.PID <= 0 || s.FDs <= fds || time.Now().After(deadline) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// NonReadersResult is what NonReaders measured.
type NonReadersResult struct {
	Peers                 int
	Msgs                  int     // messages each attacker tried to send
	Sent                  int     // messages the attackers got in, all together
	Canary                Latency // beside the attack
	Before, During, After Sample  // After: once the attackers closed
}

// NonReaders has peers attackers send msgs echoes of 16 KiB each (fewer if
// the server stops reading) and never read, then measures a canary's round
// trips beside them (issue 16 item 1: they must not stall another
// session).
func NonReaders(t Target, peers, msgs int) (NonReadersResult, error) {
	r := NonReadersResult{Peers: peers, Msgs: msgs}
	k, warm, err := warmCanary(t.Addr)
	if k == nil {
		r.Canary = warm
		return r, err
	}
	defer k.close()
	r.Before = t.probe()
	ps, sent, err := openNonReaders(t.Addr, peers, msgs, nonReaderSize)
	if err != nil {
		return r, err
	}
	r.Sent = sent
	r.During = t.probe()
	r.Canary = k.rounds(canaryRounds)
	closeAll(ps)
	r.After = t.settle(r.Before.FDs, 3*time.Second)
	return r, nil
}
