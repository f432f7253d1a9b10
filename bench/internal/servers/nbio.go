package servers

import (
	"net"
	"net/http"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/surgews/surge/bench/internal/stats"
)

// startNbio serves lesismal/nbio in its non-blocking mode: the nbhttp
// engine's pollers parse HTTP and WebSocket frames, and OnMessage echoes.
// The settings are those of nbio's million-connection example: a MaxLoad
// above the connection count and ReleaseWebsocketPayload so payload buffers
// are recycled after each OnMessage.
func startNbio(addr string, c *stats.Counters) (Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// nbio logs its start-up on stdout, where the driver reads the
	// server's address line.
	logging.SetLevel(logging.LevelError)
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.OnOpen(func(*websocket.Conn) { c.Open() })
	up.OnClose(func(*websocket.Conn, error) { c.Closed() })
	up.OnMessage(func(conn *websocket.Conn, mt websocket.MessageType, data []byte) {
		c.Message()
		_ = conn.WriteMessage(mt, data)
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = up.Upgrade(w, r, nil)
	})
	eng := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{ln.Addr().String()},
		Listen:                  func(string, string) (net.Listener, error) { return ln, nil },
		IOMod:                   nbhttp.IOModNonBlocking,
		MaxLoad:                 1 << 20,
		ReleaseWebsocketPayload: true,
		Handler:                 h,
	})
	if err := eng.Start(); err != nil {
		ln.Close()
		return nil, err
	}
	return &listener{ln: ln, close: func() error { eng.Stop(); return nil }}, nil
}
