package interop

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// gorillaWriteBuffer is small so that gorilla's client writes a long message
// as a run of frames of this size (gorilla frames by its write buffer, and
// its server writes each large Write as one frame).
const gorillaWriteBuffer = 1024

var gorillaPeer = goPeer{
	name: "gorilla",
	dial: func(ctx context.Context, u string) (peerConn, error) {
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, WriteBufferSize: gorillaWriteBuffer}
		c, _, err := d.DialContext(ctx, u, nil)
		if err != nil {
			return nil, err
		}
		return newGorillaConn(c), nil
	},
	upgrade: func(w http.ResponseWriter, r *http.Request) (peerConn, error) {
		up := websocket.Upgrader{
			WriteBufferSize: gorillaWriteBuffer,
			CheckOrigin:     func(*http.Request) bool { return true },
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return nil, err
		}
		return newGorillaConn(c), nil
	},
	cannotReceive: map[int]string{
		1014: "gorilla/websocket v1.5.3 has no 1014 (bad gateway) in its table of valid received close codes and fails the connection with 1002",
	},
}

// gorillaConn adapts a *websocket.Conn: one reading goroutine (which also
// runs gorilla's ping and close handlers) and a write lock, since gorilla
// allows one concurrent writer.
type gorillaConn struct {
	c     *websocket.Conn
	r     *peerReads
	wmu   sync.Mutex
	pongs chan string
}

func newGorillaConn(c *websocket.Conn) *gorillaConn {
	g := &gorillaConn{c: c, r: newPeerReads(), pongs: make(chan string, 8)}
	c.SetReadLimit(bigLimit)
	c.SetPongHandler(func(s string) error {
		select {
		case g.pongs <- s:
		default:
		}
		return nil
	})
	go g.readLoop()
	return g
}

func (g *gorillaConn) readLoop() {
	for {
		mt, p, err := g.c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				err = &peerClosed{Code: ce.Code, Reason: ce.Text}
			}
			g.r.stop(err)
			return
		}
		g.r.deliver(peerMsg{binary: mt == websocket.BinaryMessage, p: p})
	}
}

func gorillaType(binary bool) int {
	if binary {
		return websocket.BinaryMessage
	}
	return websocket.TextMessage
}

func (g *gorillaConn) Write(ctx context.Context, binary bool, p []byte) error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	return g.c.WriteMessage(gorillaType(binary), p)
}

func (g *gorillaConn) WriteFragmented(ctx context.Context, binary bool, parts [][]byte) error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	w, err := g.c.NextWriter(gorillaType(binary))
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return w.Close()
}

func (g *gorillaConn) Read(ctx context.Context) (bool, []byte, error) { return g.r.read(ctx) }

func (g *gorillaConn) Ping(ctx context.Context, payload []byte) error {
	deadline, _ := ctx.Deadline()
	if err := g.c.WriteControl(websocket.PingMessage, payload, deadline); err != nil {
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

// Close sends the close frame and waits for the peer's answer, which the
// reading goroutine receives (gorilla then ends it with a *CloseError).
func (g *gorillaConn) Close(ctx context.Context, code int, reason string) error {
	defer g.c.Close()
	deadline, _ := ctx.Deadline()
	err := g.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline)
	if err != nil {
		return err
	}
	if err := g.r.waitDone(ctx); err != nil {
		return err
	}
	var pc *peerClosed
	if !errors.As(g.r.rerr, &pc) || pc.Code != code {
		return errors.New("closing handshake: the answer was not a close with the same code: " + errString(g.r.rerr))
	}
	return nil
}

func (g *gorillaConn) Abort() { _ = g.c.Close() }
