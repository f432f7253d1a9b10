package wstest_test

import (
	"strconv"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// BenchmarkRoundTrip measures one echoed message through a wstest client, in
// both modes, to show what a conversation step costs a test.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{8, 1 << 10, 64 << 10} {
		for _, m := range modes {
			b.Run(m.name+"/"+sizeName(size), func(b *testing.B) {
				srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
				srv.HandleEvents("/", inlineEcho{})
				payload := make([]byte, size)
				m.client.Conversation(b, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					b.SetBytes(int64(size))
					b.ReportAllocs()
					for b.Loop() {
						out <- session.BorrowBinary(payload)
						f := <-in
						f.Release()
					}
				})
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
