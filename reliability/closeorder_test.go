package reliability_test

import (
	"fmt"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
)

// TestEchoBeforeClose: messages sent together with a close frame in one
// write are answered before the server's close frame (RFC 6455 §5.5.1:
// nothing follows a close, so an answer after it would be lost), in every
// dispatch mode.
func TestEchoBeforeClose(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			addr := startServer(t, modeServer(mode, engine.Config{}))
			for _, n := range []int{1, 5} {
				t.Run(fmt.Sprintf("%d messages", n), func(t *testing.T) {
					p := upgradePeer(t, addr, "/", nil)
					var wire []byte
					for i := 0; i < n; i++ {
						wire = append(wire, clientFrame(frame.OpText, fmt.Appendf(nil, "message %d", i))...)
					}
					wire = append(wire, clientFrame(frame.OpClose, frame.AppendClose(nil, frame.CloseNormal, "bye"))...)
					p.write(wire)
					for i := 0; i < n; i++ {
						h, b, err := p.readFrame()
						if err != nil {
							t.Fatalf("reading echo %d: %v", i, err)
						}
						if want := fmt.Sprintf("message %d", i); h.Op != frame.OpText || string(b) != want {
							t.Fatalf("frame %d: %v %q, want the echo %q before the close", i, h.Op, b, want)
						}
					}
					if code := p.expectClose(); code != frame.CloseNormal {
						t.Errorf("close code %v, want %v", code, frame.CloseNormal)
					}
				})
			}
		})
	}
}
