package servers

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/surgews/surge/bench/internal/stats"
)

// startGorilla serves gorilla/websocket the usual way: net/http, a
// goroutine per connection, NextReader into a buffer the connection reuses
// and WriteMessage. The write buffer pool is gorilla's own advice for many
// mostly idle connections.
func startGorilla(addr string, c *stats.Counters) (Server, error) {
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.Open()
		defer c.Closed()
		defer conn.Close()
		var buf []byte
		for {
			mt, rd, err := conn.NextReader()
			if err != nil {
				return
			}
			if buf, err = readAll(buf[:0], rd); err != nil {
				return
			}
			c.Message()
			if err := conn.WriteMessage(mt, buf); err != nil {
				return
			}
		}
	})
	return serveHTTP(addr, h)
}

// serveHTTP runs h on a net/http server listening on addr.
func serveHTTP(addr string, h http.Handler) (Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(ln) }()
	return &listener{ln: ln, close: hs.Close}, nil
}

// readAll appends what r yields to buf, growing it only when a message is
// larger than any before on this connection.
func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
