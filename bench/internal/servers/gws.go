package servers

import (
	"net"

	"github.com/lxzan/gws"
	"github.com/surgews/surge/bench/internal/stats"
)

// gwsEcho is gws's event handler; messages are pooled and released with
// Close, as its README shows.
type gwsEcho struct {
	gws.BuiltinEventHandler
	c *stats.Counters
}

func (h gwsEcho) OnOpen(*gws.Conn)         { h.c.Open() }
func (h gwsEcho) OnClose(*gws.Conn, error) { h.c.Closed() }

func (h gwsEcho) OnPing(s *gws.Conn, p []byte) { _ = s.WritePong(p) }

func (h gwsEcho) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	h.c.Message()
	_ = s.WriteMessage(m.Opcode, m.Bytes())
}

// startGWS serves lxzan/gws with its own server (no net/http) and the
// event API, ParallelEnabled off: messages are handled in order on the
// connection's read goroutine.
func startGWS(addr string, c *stats.Counters) (Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := gws.NewServer(gwsEcho{c: c}, &gws.ServerOption{
		ParallelEnabled:    false,
		ReadMaxPayloadSize: 64 << 20,
	})
	srv.OnError = func(net.Conn, error) {}
	go func() { _ = srv.RunListener(ln) }()
	return &listener{ln: ln}, nil
}
