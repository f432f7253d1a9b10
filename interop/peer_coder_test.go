package interop

import (
	"context"
	"errors"
	"net/http"

	"github.com/coder/websocket"
)

var coderPeer = goPeer{
	name: "coder",
	dial: func(ctx context.Context, u string) (peerConn, error) {
		c, _, err := websocket.Dial(ctx, u, nil)
		if err != nil {
			return nil, err
		}
		return newCoderConn(c), nil
	},
	upgrade: func(w http.ResponseWriter, r *http.Request) (peerConn, error) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return nil, err
		}
		return newCoderConn(c), nil
	},
}

// coderConn adapts a coder *websocket.Conn. coder answers pings and closes
// only while a Read is in progress, so a goroutine reads from the start.
type coderConn struct {
	c      *websocket.Conn
	r      *peerReads
	cancel context.CancelFunc
}

func newCoderConn(c *websocket.Conn) *coderConn {
	c.SetReadLimit(bigLimit)
	ctx, cancel := context.WithCancel(context.Background())
	k := &coderConn{c: c, r: newPeerReads(), cancel: cancel}
	go k.readLoop(ctx)
	return k
}

func (k *coderConn) readLoop(ctx context.Context) {
	for {
		typ, p, err := k.c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				err = &peerClosed{Code: int(ce.Code), Reason: ce.Reason}
			}
			k.r.stop(err)
			return
		}
		k.r.deliver(peerMsg{binary: typ == websocket.MessageBinary, p: p})
	}
}

func coderType(binary bool) websocket.MessageType {
	if binary {
		return websocket.MessageBinary
	}
	return websocket.MessageText
}

func (k *coderConn) Write(ctx context.Context, binary bool, p []byte) error {
	return k.c.Write(ctx, coderType(binary), p)
}

// WriteFragmented writes each part as one frame: coder's message writer
// sends a frame per Write (without compression) and an empty final frame on
// Close.
func (k *coderConn) WriteFragmented(ctx context.Context, binary bool, parts [][]byte) error {
	w, err := k.c.Writer(ctx, coderType(binary))
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

func (k *coderConn) Read(ctx context.Context) (bool, []byte, error) { return k.r.read(ctx) }

// Ping ignores payload: coder chooses its own (a counter) and matches the
// pong by it.
func (k *coderConn) Ping(ctx context.Context, payload []byte) error { return k.c.Ping(ctx) }

// Close runs coder's closing handshake, which succeeds only when the answer
// carries the same code.
func (k *coderConn) Close(ctx context.Context, code int, reason string) error {
	return k.c.Close(websocket.StatusCode(code), reason)
}

func (k *coderConn) Abort() {
	_ = k.c.CloseNow()
	k.cancel()
}
