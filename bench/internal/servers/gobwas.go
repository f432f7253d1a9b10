package servers

import (
	"io"
	"net"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/surgews/surge/bench/internal/stats"
)

// startGobwas serves gobwas/ws as its README's lower-level example does: a
// raw listener, ws.Upgrade on the net.Conn (no net/http), a goroutine per
// connection, and a wsutil Reader/Writer pair that streams each message
// back with io.Copy.
func startGobwas(addr string, c *stats.Counters) (Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go gobwasConn(conn, c)
		}
	}()
	return &listener{ln: ln}, nil
}

func gobwasConn(conn net.Conn, c *stats.Counters) {
	defer conn.Close()
	if _, err := ws.Upgrade(conn); err != nil {
		return
	}
	c.Open()
	defer c.Closed()
	state := ws.StateServerSide
	rd := wsutil.NewReader(conn, state)
	wr := wsutil.NewWriter(conn, state, ws.OpText)
	control := wsutil.ControlFrameHandler(conn, state)
	rd.OnIntermediate = control
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return
		}
		if h.OpCode.IsControl() {
			if err := control(h, rd); err != nil {
				return
			}
			continue
		}
		wr.Reset(conn, state, h.OpCode)
		if _, err := io.Copy(wr, rd); err != nil {
			return
		}
		c.Message()
		if err := wr.Flush(); err != nil {
			return
		}
	}
}
