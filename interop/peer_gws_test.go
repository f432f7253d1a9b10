package interop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/lxzan/gws"
)

var gwsPeer = goPeer{
	name: "gws",
	dial: func(ctx context.Context, u string) (peerConn, error) {
		h := newGwsConn()
		c, _, err := gws.NewClient(h, &gws.ClientOption{
			Addr:                u,
			HandshakeTimeout:    10 * time.Second,
			ReadMaxPayloadSize:  bigLimit,
			WriteMaxPayloadSize: bigLimit,
			CheckUtf8Enabled:    true,
		})
		if err != nil {
			return nil, err
		}
		h.c = c
		go c.ReadLoop()
		return h, nil
	},
	upgrade: func(w http.ResponseWriter, r *http.Request) (peerConn, error) {
		h := newGwsConn()
		up := gws.NewUpgrader(h, &gws.ServerOption{
			ReadMaxPayloadSize:  bigLimit,
			WriteMaxPayloadSize: bigLimit,
			CheckUtf8Enabled:    true,
		})
		c, err := up.Upgrade(w, r)
		if err != nil {
			return nil, err
		}
		h.c = c
		go c.ReadLoop()
		return h, nil
	},
}

// gwsConn adapts a *gws.Conn through gws's event handler: OnMessage feeds
// the read queue, OnPong the pongs, OnClose ends reading. It keeps gws's
// built-in OnPing, which answers every ping with an empty pong.
type gwsConn struct {
	gws.BuiltinEventHandler
	c     *gws.Conn
	r     *peerReads
	pongs chan string
}

func newGwsConn() *gwsConn {
	return &gwsConn{r: newPeerReads(), pongs: make(chan string, 8)}
}

func (g *gwsConn) OnMessage(socket *gws.Conn, m *gws.Message) {
	p := bytes.Clone(m.Bytes())
	if p == nil {
		p = []byte{}
	}
	bin := m.Opcode == gws.OpcodeBinary
	_ = m.Close()
	g.r.deliver(peerMsg{binary: bin, p: p})
}

func (g *gwsConn) OnPong(socket *gws.Conn, payload []byte) {
	select {
	case g.pongs <- string(payload):
	default:
	}
}

func (g *gwsConn) OnClose(socket *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		err = &peerClosed{Code: int(ce.Code), Reason: string(ce.Reason)}
	}
	g.r.stop(err)
}

func gwsOpcode(binary bool) gws.Opcode {
	if binary {
		return gws.OpcodeBinary
	}
	return gws.OpcodeText
}

func (g *gwsConn) Write(ctx context.Context, binary bool, p []byte) error {
	return g.c.WriteMessage(gwsOpcode(binary), p)
}

// WriteFragmented uses gws's WriteFile, which sends one frame per Read of
// its reader (up to 128 KiB): a MultiReader yields one part per Read, and the
// message ends with an empty final frame at EOF.
func (g *gwsConn) WriteFragmented(ctx context.Context, binary bool, parts [][]byte) error {
	rs := make([]io.Reader, len(parts))
	for i, p := range parts {
		rs[i] = bytes.NewReader(p)
	}
	return g.c.WriteFile(gwsOpcode(binary), io.MultiReader(rs...))
}

func (g *gwsConn) Read(ctx context.Context) (bool, []byte, error) { return g.r.read(ctx) }

func (g *gwsConn) Ping(ctx context.Context, payload []byte) error {
	if err := g.c.WritePing(payload); err != nil {
		return err
	}
	select {
	case s := <-g.pongs:
		if s != string(payload) {
			return errors.New("pong payload " + s + " does not match the ping's")
		}
		return nil
	case <-g.r.done:
		return g.r.rerr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close is gws's WriteClose: it sends the close frame and closes the TCP
// connection at once, without waiting for the answer.
func (g *gwsConn) Close(ctx context.Context, code int, reason string) error {
	return g.c.WriteClose(uint16(code), []byte(reason))
}

func (g *gwsConn) Abort() {
	if g.c != nil {
		_ = g.c.NetConn().Close()
	}
}
