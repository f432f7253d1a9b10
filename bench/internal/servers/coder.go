package servers

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
	"github.com/surgews/surge/bench/internal/stats"
)

// startCoder serves coder/websocket: Accept in a net/http handler, then
// Reader into a reused buffer and Write, which sends one frame per message
// (its Writer would fragment a copied message into several).
func startCoder(addr string, c *stats.Counters) (Server, error) {
	opts := &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		c.Open()
		defer c.Closed()
		defer conn.CloseNow()
		conn.SetReadLimit(64 << 20)
		ctx := context.Background()
		var buf []byte
		for {
			typ, rd, err := conn.Reader(ctx)
			if err != nil {
				return
			}
			if buf, err = readAll(buf[:0], rd); err != nil {
				return
			}
			c.Message()
			if err := conn.Write(ctx, typ, buf); err != nil {
				return
			}
		}
	})
	return serveHTTP(addr, h)
}
