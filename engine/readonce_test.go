package engine_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
)

// The loop reads a connection once per readiness event, and on Linux its
// connections are edge-triggered (connEdge): nothing reports a socket
// again for what a read left behind, so the loop keeps a list of
// connections to read on its next turn. These tests pin the two cases
// where bytes or an end of stream stay in the socket with no new data to
// raise an event: more than the read buffer arrived at once, and the
// peer's FIN came with its last bytes. Each fails on an edge-triggered
// loop without that list.

// TestReadBeyondBuffer sends three messages of 96 KiB in one write to a
// server with a 4 KiB read buffer: every byte must come back, though no
// further data arrives to raise another event.
func TestReadBeyondBuffer(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			srv := echoServer(mode, engine.Config{Reactor: engine.ReactorConfig{Loops: 1, ReadBufferSize: 4 << 10}})
			addr := startServer(t, srv)
			c := upgradeRaw(t, addr, "/")
			var wire []byte
			var want [][]byte
			for i := range 3 {
				p := bytes.Repeat([]byte{byte('a' + i)}, 96<<10)
				want = append(want, p)
				wire = append(wire, clientFrame(true, frame.OpBinary, p)...)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
				_, _ = c.nc.Write(wire) // the echoes are read meanwhile
			}()
			for _, p := range want {
				c.expectFrame(frame.OpBinary, p)
			}
			<-done
		})
	}
}

// TestEndOfStreamWithData writes a message and the TCP FIN at once: the
// server must see the end of the stream and close, not wait for its
// timeouts (15 s idle, keep-alive) for an event that will not come.
func TestEndOfStreamWithData(t *testing.T) {
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			srv := echoServer(mode, engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
			addr := startServer(t, srv)
			c := upgradeRaw(t, addr, "/")
			for range 20 {
				c.write(clientFrame(true, frame.OpText, []byte("ping")))
				c.expectFrame(frame.OpText, []byte("ping"))
			}
			c.write(clientFrame(true, frame.OpText, []byte("last")))
			if err := c.nc.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			c.expectEOF(ioTimeout)
			waitFor(t, ioTimeout, "the server to drop the connection", func() bool {
				return srv.Stats().Conns == 0
			})
		})
	}
}
