//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"fmt"
	"testing"

	"github.com/surgews/surge/internal/netpoll"
)

// BenchmarkWaitReady measures events delivered per second when many
// level-triggered fds are ready: each of N socketpairs holds one unread
// byte, so every Wait(0) reports min(N, Batch) events.
func BenchmarkWaitReady(b *testing.B) {
	for _, tc := range []struct{ ready, batch int }{
		{ready: 1000, batch: 1024},
		{ready: 1000, batch: netpoll.DefaultBatch},
		{ready: 1, batch: netpoll.DefaultBatch},
	} {
		b.Run(fmt.Sprintf("ready=%d/batch=%d", tc.ready, tc.batch), func(b *testing.B) {
			p := newPoller(b, netpoll.Config{Batch: tc.batch})
			for range tc.ready {
				r, w := socketpair(b)
				mustWrite(b, w, "x")
				if err := p.Add(r, netpoll.EventRead); err != nil {
					b.Fatal(err)
				}
			}
			events := 0
			fn := func(fd int, ev netpoll.Event) { events++ }
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Wait(0, fn); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(events)/float64(b.N), "events/op")
		})
	}
}

// BenchmarkWakeWait measures one Wake plus the Wait it ends.
func BenchmarkWakeWait(b *testing.B) {
	p := newPoller(b, netpoll.Config{})
	fn := func(int, netpoll.Event) {}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Wake(); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Wait(-1, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWakeCoalesced measures a Wake while one is already pending: the
// cost a producer pays when the loop has not yet woken up.
func BenchmarkWakeCoalesced(b *testing.B) {
	p := newPoller(b, netpoll.Config{})
	if err := p.Wake(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Wake(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkModify(b *testing.B) {
	p := newPoller(b, netpoll.Config{})
	r, _ := socketpair(b)
	if err := p.Add(r, netpoll.EventRead); err != nil {
		b.Fatal(err)
	}
	interests := [2]netpoll.Event{netpoll.EventRead | netpoll.EventWrite, netpoll.EventRead}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := p.Modify(r, interests[i&1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

var sizes = []int{8, 125, 1 << 10, 16 << 10, 64 << 10}

// BenchmarkWriteRead moves size bytes through a socketpair per op.
func BenchmarkWriteRead(b *testing.B) {
	for _, size := range sizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			w, r := socketpair(b)
			src := make([]byte, size)
			dst := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := netpoll.Write(w, src); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < size; {
					n, err := netpoll.Read(r, dst[got:])
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
		})
	}
}

// BenchmarkWritev writes 16 small frames (2-byte header + payload each, as
// the engine batches them) in one call.
func BenchmarkWritev(b *testing.B) {
	for _, payload := range []int{8, 125} {
		b.Run(fmt.Sprintf("frames=16/payload=%d", payload), func(b *testing.B) {
			w, r := socketpair(b)
			var bufs [][]byte
			total := 0
			for range 16 {
				bufs = append(bufs, []byte{0x82, byte(payload)}, make([]byte, payload))
				total += 2 + payload
			}
			dst := make([]byte, total)
			b.SetBytes(int64(total))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := netpoll.Writev(w, bufs); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < total; {
					n, err := netpoll.Read(r, dst[got:])
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
		})
	}
}
