//go:build unix

package engine_test

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testalloc"
)

// TestBurstNoAllocs: a loop (GOMAXPROCS=1) that finds one message on each of
// many connections at once hands them to pool workers or Incoming readers
// without allocating, even for a burst larger than any before. Each message
// waiting for its goroutine holds a pooled copy; if the loop read a whole
// readiness batch before those goroutines ran, the copies in flight would
// peak at the batch and every new peak would allocate.
func TestBurstNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, mode := range []string{"pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			addr := startServer(t, echoServer(mode, engine.Config{Reactor: engine.ReactorConfig{Loops: 1, Workers: 1}}))
			const conns = 512
			cs := make([]*rawConn, conns)
			for i := range cs {
				cs[i] = upgradeRaw(t, addr, "/")
				_ = cs[i].nc.SetDeadline(time.Now().Add(time.Minute))
			}
			payload := bytes.Repeat([]byte{0x5a}, 1024)
			msg := clientFrame(true, frame.OpBinary, payload)
			want := unmaskedFrame(frame.OpBinary, payload)
			got := make([]byte, len(want))
			burst := func(k int) {
				for _, c := range cs[:k] {
					if _, err := c.nc.Write(msg); err != nil {
						t.Fatal(err)
					}
				}
				for _, c := range cs[:k] {
					if _, err := io.ReadFull(c.br, got); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatal("wrong echo")
					}
				}
			}
			// Warm the pools with small bursts. The copies in flight
			// peak a little above the yield interval, and many bursts
			// make sure that peak was reached.
			testalloc.Zero(t, "bursts of 128 to 512 messages after bursts of 64",
				func() {
					for range 300 {
						burst(64)
					}
				},
				func() {
					for _, k := range []int{128, 256, 512, 512} {
						burst(k)
					}
				})
		})
	}
}
