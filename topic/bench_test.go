package topic_test

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
)

// subscriberHandler subscribes every session to "t".
type subscriberHandler struct {
	session.NopHandler
	hub    *topic.Hub
	joined atomic.Int32
}

func (h *subscriberHandler) OnOpen(s *session.Session) {
	if h.hub.Subscribe(s, "t") == nil {
		h.joined.Add(1)
	}
}

// BenchmarkPublishEngine publishes to subscribers over real loopback
// connections of an engine server, each publish waiting until every
// subscriber's socket has its bytes: the whole server side of a publish,
// system calls included (the readers are raw sockets that only count bytes,
// a goroutine each, in the same process: the time per publish is theirs as
// much as the server's; bench/cmd/fanout measures the server alone). The
// allocation count is the gate: 0 per publish, on the loops and off them.
func BenchmarkPublishEngine(b *testing.B) {
	for _, n := range []int{100} {
		b.Run(fmt.Sprintf("subs=%d/size=64", n), func(b *testing.B) {
			var hub topic.Hub
			h := &subscriberHandler{hub: &hub}
			srv := engine.New(engine.Config{})
			srv.HandleEvents("/", h)
			if err := srv.Start("127.0.0.1:0"); err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			var got, target atomic.Int64
			reached := make(chan struct{}, 1)
			target.Store(1 << 62)
			for i := 0; i < n; i++ {
				c := dialRawB(b, srv.Addr().String())
				defer c.Close()
				go func() {
					buf := make([]byte, 64<<10)
					for {
						k, err := c.Read(buf)
						if got.Add(int64(k)) >= target.Load() {
							select {
							case reached <- struct{}{}:
							default:
							}
						}
						if err != nil {
							return
						}
					}
				}()
			}
			for h.joined.Load() < int32(n) {
				waitABit()
			}
			payload := make([]byte, 64)
			frameLen := int64(2 + len(payload))
			publish := func() {
				want := got.Load() + int64(n)*frameLen
				target.Store(want)
				_ = hub.Publish("t", frame.OpBinary, payload, nil)
				for got.Load() < want {
					<-reached
				}
			}
			for i := 0; i < 100; i++ {
				publish()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				publish()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

func dialRawB(b *testing.B, addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	// The 101 response: read up to its blank line.
	var tail [4]byte
	one := make([]byte, 1)
	for string(tail[:]) != "\r\n\r\n" {
		if _, err := c.Read(one); err != nil {
			b.Fatal(err)
		}
		copy(tail[:], tail[1:])
		tail[3] = one[0]
	}
	return c
}
