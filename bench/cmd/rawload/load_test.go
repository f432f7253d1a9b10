//go:build linux

package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// serve runs a gorilla WebSocket server whose connections run handle.
func serve(t *testing.T, handle func(*websocket.Conn)) string {
	t.Helper()
	up := websocket.Upgrader{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		handle(c)
	}))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/"
}

// batchEcho holds messages until it has batch of them unanswered on a
// connection, then echoes them all, each in several frames, in order
// (reverse: last first). It records the most messages it ever saw
// unanswered on one connection.
type batchEcho struct {
	batch   int
	reverse bool
	most    atomic.Int64
}

func (b *batchEcho) handle(c *websocket.Conn) {
	var held [][]byte
	for {
		_, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		held = append(held, p)
		if n := int64(len(held)); n > b.most.Load() {
			b.most.Store(n) // one writer per connection; a race between connections only lowers nothing that matters below
		}
		if len(held) < b.batch {
			continue
		}
		for i := range held {
			m := held[i]
			if b.reverse {
				m = held[len(held)-1-i]
			}
			w, err := c.NextWriter(websocket.BinaryMessage)
			if err != nil {
				return
			}
			for len(m) > 0 { // several writes, several frames (gorilla flushes a frame per buffer)
				n := min(len(m), 700)
				_, _ = w.Write(m[:n])
				m = m[n:]
			}
			if w.Close() != nil {
				return
			}
		}
		held = held[:0]
	}
}

// TestDepth8 checks the closed loop at depth 8: every connection keeps
// exactly eight messages in flight (the server answers only once it holds
// eight, so fewer would stall the run and more would show), fragmented
// echoes are joined, and every echo is checked byte for byte and in order.
func TestDepth8(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reverse bool
	}{
		{"in_order", false},
		{"reordered", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &batchEcho{batch: 8, reverse: tc.reverse}
			o := options{url: serve(t, b.handle), conns: 3, size: 3000, depth: 8,
				warmup: 100 * time.Millisecond, duration: time.Second}
			res, err := load(&o)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.most.Load(); got != 8 {
				t.Fatalf("the server saw at most %d messages in flight on a connection, want 8", got)
			}
			if res.Messages < 8 || res.Verified+res.Errors < res.Messages {
				t.Fatalf("too little measured: %+v", *res)
			}
			if tc.reverse {
				if res.Errors == 0 || !strings.Contains(res.FirstFailure, "echo differs") {
					t.Fatalf("reordered echoes passed: errors %d, first %q", res.Errors, res.FirstFailure)
				}
				return
			}
			if res.Errors != 0 {
				t.Fatalf("errors %d: %s", res.Errors, res.FirstFailure)
			}
			// Eight answers arrive together: all but the last of a batch
			// waited for the others, so latency is not zero.
			if res.P50us <= 0 {
				t.Fatalf("no latency measured: %+v", *res)
			}
		})
	}
}

func plainEcho(c *websocket.Conn) {
	for {
		op, p, err := c.ReadMessage()
		if err != nil || c.WriteMessage(op, p) != nil {
			return
		}
	}
}

// TestOpenLoopHoldsRate: against a server with room to spare, the open loop
// sends and receives conns × rate messages per second of the window.
func TestOpenLoopHoldsRate(t *testing.T) {
	o := options{url: serve(t, plainEcho), conns: 10, size: 256, rate: 50,
		warmup: 200 * time.Millisecond, duration: time.Second}
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	offered := 500.0
	if res.OfferedPerS != offered {
		t.Fatalf("offered %v/s, want %v", res.OfferedPerS, offered)
	}
	// The schedule is fixed: on an idle machine the sends of the window
	// are exact to a connection's worth at each edge, and echoes lag by
	// the latency. The bounds leave room for a machine so busy that the
	// generator or the server loses the CPU for a few hundred ms (load
	// average 15 was seen); a pacing bug is off by far more.
	if res.SentPerSec < 0.8*offered || res.SentPerSec > 1.05*offered {
		t.Fatalf("sent %.0f/s, want %v (-20%%, +5%%)", res.SentPerSec, offered)
	}
	if res.MsgsPerSec < 0.7*offered || res.MsgsPerSec > 1.1*offered {
		t.Fatalf("received %.0f/s, want %v (-30%%, +10%%)", res.MsgsPerSec, offered)
	}
	if res.Errors != 0 || res.Verified < res.Messages {
		t.Fatalf("errors %d (%s), verified %d of %d", res.Errors, res.FirstFailure, res.Verified, res.Messages)
	}
	if res.SendLateP99 <= 0 && res.SendLateP50 < 0 {
		t.Fatalf("no send lateness recorded: %+v", *res)
	}
}

// TestOpenLoopChargesQueueing: a server that handles 200 messages per
// second (5 ms each, one at a time), offered 400, falls further behind with
// every message. The open loop keeps its schedule, so latency is the queue
// (hundreds of ms) where a closed loop would show the service time of the
// four connections' turns (about 20 ms).
func TestOpenLoopChargesQueueing(t *testing.T) {
	var mu sync.Mutex
	slow := func(c *websocket.Conn) {
		for {
			op, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			mu.Lock()
			time.Sleep(5 * time.Millisecond) // the simulated service time
			mu.Unlock()
			if c.WriteMessage(op, p) != nil {
				return
			}
		}
	}
	o := options{url: serve(t, slow), conns: 4, size: 64, rate: 100,
		warmup: 200 * time.Millisecond, duration: 600 * time.Millisecond}
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	if res.Errors != 0 {
		t.Fatalf("errors %d: %s", res.Errors, res.FirstFailure)
	}
	if res.MsgsPerSec > 0.75*res.OfferedPerS || res.Outstanding == 0 {
		t.Fatalf("the slow server kept up (%.0f/s of %.0f, %d outstanding)?", res.MsgsPerSec, res.OfferedPerS, res.Outstanding)
	}
	if res.P50us < 60_000 {
		t.Fatalf("p50 %.0f µs: the queue is not in the latency", res.P50us)
	}
}

// TestOpenLoopChargesGeneratorStall: when rawload itself stalls (here for
// 150 ms in the window, as a GC pause or a descheduled core would), the
// messages due meanwhile leave late, and their latency counts from when they
// were due, not from when they left: the stall shows in the latency tail and
// in send lateness. Timing from the send would hide it.
func TestOpenLoopChargesGeneratorStall(t *testing.T) {
	var once sync.Once
	start := time.Now()
	o := options{url: serve(t, plainEcho), conns: 10, size: 64, rate: 100,
		warmup: 100 * time.Millisecond, duration: 800 * time.Millisecond}
	o.turn = func() {
		if time.Since(start) > 400*time.Millisecond {
			once.Do(func() { time.Sleep(150 * time.Millisecond) }) // the stall under test
		}
	}
	start = time.Now()
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	if res.Errors != 0 {
		t.Fatalf("errors %d: %s", res.Errors, res.FirstFailure)
	}
	if res.P99us < 100_000 || res.SendLateP99 < 100_000 {
		t.Fatalf("p99 %.0f µs, send late p99 %.0f µs: a 150 ms stall of the generator is not charged", res.P99us, res.SendLateP99)
	}
}

func TestLoadRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    options
	}{
		{"no_url", options{conns: 1, size: 64, depth: 1}},
		{"small_size", options{url: "ws://127.0.0.1:1/", conns: 1, size: 8, depth: 1}},
		{"zero_depth", options{url: "ws://127.0.0.1:1/", conns: 1, size: 64}},
		{"negative_rate", options{url: "ws://127.0.0.1:1/", conns: 1, size: 64, depth: 1, rate: -1}},
		{"wss", options{url: "wss://127.0.0.1:1/", conns: 1, size: 64, depth: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load(&tc.o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestOversizedEchoFails: a server that answers with more than was sent (a
// frame announcing 1 GiB, or fragments adding up to more) ends the run
// with an error instead of buffering without bound.
func TestOversizedEchoFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(c *websocket.Conn, p []byte) error
	}{
		{"huge_frame", func(c *websocket.Conn, p []byte) error {
			// A header announcing 1 GiB, then the bytes there are.
			nc := c.NetConn()
			_, err := nc.Write(append([]byte{0x82, 127, 0, 0, 0, 0, 0x40, 0, 0, 0}, bytes.Repeat(p, 4)...))
			return err
		}},
		{"long_fragments", func(c *websocket.Conn, p []byte) error {
			w, err := c.NextWriter(websocket.BinaryMessage)
			if err != nil {
				return err
			}
			for range 3 {
				if _, err := w.Write(p); err != nil {
					return err
				}
			}
			return w.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, func(c *websocket.Conn) {
				for {
					_, p, err := c.ReadMessage()
					if err != nil || tc.write(c, p) != nil {
						return
					}
				}
			})
			o := options{url: url, conns: 1, size: 5000, depth: 1, warmup: 50 * time.Millisecond, duration: 5 * time.Second}
			_, err := load(&o)
			if err == nil || !strings.Contains(err.Error(), "longer than the 5000-byte messages sent") {
				t.Fatalf("err %v", err)
			}
		})
	}
}
