package deflate_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
	"github.com/surgews/surge/session"
)

type echo struct{ session.NopHandler }

func (echo) OnMessage(s *session.Session, f session.Frame) { _ = s.Send(context.Background(), f) }

// startServer runs an echo server with the given extension factories.
func startServer(t testing.TB, channel bool, exts ...extension.Factory) *engine.Server {
	t.Helper()
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Extensions: exts, Session: session.Config{MaxMessageSize: 4 << 20}})
	if channel {
		srv.HandleSession("/", func(s *session.Session) {
			for f := range s.Incoming() {
				_ = s.Send(context.Background(), f)
			}
		})
	} else {
		srv.HandleEvents("/", echo{})
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestEngineEcho(t *testing.T) {
	for _, m := range modes {
		for _, channel := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/channel=%v", m.name, channel), func(t *testing.T) {
				srv := startServer(t, channel, deflate.New(m.server))
				// The bound is for a hang: level 9 takes 10 s for this
				// subtest under the race detector on a quiet machine,
				// and went past 20 s beside two busy loops.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{
					Extensions: []extension.Factory{deflate.New(m.client)},
					Session:    session.Config{MaxMessageSize: 4 << 20},
				})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Terminate()
				exts := c.Request().Extensions
				if len(exts) != 1 || exts[0].Name() != deflate.ExtensionName {
					t.Fatalf("negotiated %v", exts)
				}
				for i, n := range sizes {
					for rep := 0; rep < 2; rep++ {
						msg := jsonish(n, uint64(i))
						if err := c.Send(ctx, session.BorrowBinary(msg)); err != nil {
							t.Fatal(err)
						}
						select {
						case f := <-c.Incoming():
							if !bytes.Equal(f.Payload, msg) {
								t.Fatalf("size %d: echo differs (%d bytes)", n, len(f.Payload))
							}
							f.Release()
						case <-ctx.Done():
							t.Fatalf("size %d: no echo: %v", n, c.Err())
						}
					}
				}
				_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
				<-c.Done()
			})
		}
	}
}

// rawClient is a hand-written client, so tests choose every byte the server
// gets: fragmented compressed messages, bombs, bad data.
type rawClient struct {
	t   testing.TB
	nc  net.Conn
	br  *bufio.Reader
	ext string // the server's Sec-WebSocket-Extensions answer
}

func dialRawDeflate(t testing.TB, addr, offer string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Extensions: %s\r\n\r\n", offer)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return &rawClient{t: t, nc: nc, br: br, ext: resp.Header.Get("Sec-WebSocket-Extensions")}
}

func (c *rawClient) send(fin bool, rsv byte, op frame.Opcode, payload []byte) {
	h := frame.Header{Fin: fin, Rsv: rsv, Op: op, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: int64(len(payload))}
	b := frame.AppendHeader(nil, &h)
	n := len(b)
	b = append(b, make([]byte, len(payload))...)
	mask.XORCopy(b[n:], payload, h.Key, 0)
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// sendQuiet sends one final unfragmented frame, ignoring errors (for
// goroutines that outlive a failed test).
func (c *rawClient) sendQuiet(op frame.Opcode, payload []byte) {
	h := frame.Header{Fin: true, Op: op, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: int64(len(payload))}
	b := frame.AppendHeader(nil, &h)
	n := len(b)
	b = append(b, make([]byte, len(payload))...)
	mask.XORCopy(b[n:], payload, h.Key, 0)
	_, _ = c.nc.Write(b)
}

func (c *rawClient) read() (frame.Header, []byte) {
	c.t.Helper()
	var h frame.Header
	var buf []byte
	for {
		b, err := c.br.ReadByte()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		buf = append(buf, b)
		n, _, err := frame.DecodeHeader(buf, &h)
		if err != nil {
			c.t.Fatal(err)
		}
		if n > 0 {
			break
		}
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.br, p); err != nil {
		c.t.Fatal(err)
	}
	return h, p
}

func compressRaw(t testing.TB, msg []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, 6)
	_, _ = w.Write(msg)
	_ = w.Flush()
	out := b.Bytes()
	if !bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}) {
		t.Fatal("no sync tail")
	}
	return out[:len(out)-4]
}

func inflateRaw(t testing.TB, p []byte) []byte {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

// TestFragmentedByPeer sends compressed messages split into many frames
// (RSV1 only on the first, RFC 7692 §6.1) and checks the echo is compressed.
func TestFragmentedByPeer(t *testing.T) {
	srv := startServer(t, false, deflate.New(deflate.Config{}))
	c := dialRawDeflate(t, srv.Addr().String(), "permessage-deflate; client_max_window_bits")
	if !strings.HasPrefix(c.ext, "permessage-deflate") {
		t.Fatalf("extension answer %q", c.ext)
	}
	for _, n := range []int{1, 100, 16 << 10, 1 << 20} {
		for _, pieces := range []int{1, 2, 7, 64} {
			msg := jsonish(n, uint64(n+pieces))
			wire := compressRaw(t, msg)
			step := max(1, (len(wire)+pieces-1)/pieces)
			for i, first := 0, true; i < len(wire) || first; i += step {
				end := min(i+step, len(wire))
				op, rsv := frame.OpContinuation, byte(0)
				if first {
					op, rsv = frame.OpText, frame.Rsv1
				}
				c.send(end == len(wire), rsv, op, wire[i:end])
				first = false
			}
			h, p := c.read()
			if h.Op != frame.OpText || !h.Fin {
				t.Fatalf("echo header %+v", h)
			}
			got := p
			if h.Rsv&frame.Rsv1 != 0 {
				got = inflateRaw(t, p)
			} else if n >= deflate.DefaultThreshold {
				t.Fatalf("%d-byte echo sent uncompressed", n)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("n=%d pieces=%d: echo differs", n, pieces)
			}
		}
	}
	// An uncompressed message still passes.
	c.send(true, 0, frame.OpText, []byte("plain"))
	if _, p := c.read(); string(p) != "plain" {
		t.Fatalf("plain echo %q", p)
	}
}

func TestBombClosesWith1009(t *testing.T) {
	srv := startServer(t, false, deflate.New(deflate.Config{}))
	c := dialRawDeflate(t, srv.Addr().String(), "permessage-deflate")
	bomb := compressRaw(t, make([]byte, 8<<20))
	c.send(true, frame.Rsv1, frame.OpBinary, bomb)
	h, p := c.read()
	if h.Op != frame.OpClose {
		t.Fatalf("got %v, want close", h.Op)
	}
	code, _, err := frame.ParseClose(p)
	if err != nil || code != frame.CloseMessageTooBig {
		t.Fatalf("close %d (%v), want 1009", code, err)
	}
}

func TestRSV1WithoutNegotiation(t *testing.T) {
	srv := startServer(t, false)
	c := dialRawDeflate(t, srv.Addr().String(), "permessage-deflate")
	if c.ext != "" {
		t.Fatalf("server without deflate answered %q", c.ext)
	}
	c.send(true, frame.Rsv1, frame.OpText, compressRaw(t, []byte("hello")))
	h, p := c.read()
	code, _, _ := frame.ParseClose(p)
	if h.Op != frame.OpClose || code != frame.CloseProtocolError {
		t.Fatalf("got %v %d, want close 1002", h.Op, code)
	}
}

func TestCorruptClosesWith1002(t *testing.T) {
	srv := startServer(t, false, deflate.New(deflate.Config{}))
	c := dialRawDeflate(t, srv.Addr().String(), "permessage-deflate")
	c.send(true, frame.Rsv1, frame.OpText, []byte{0x07, 0xff, 0xff})
	h, p := c.read()
	code, _, _ := frame.ParseClose(p)
	if h.Op != frame.OpClose || code != frame.CloseProtocolError {
		t.Fatalf("got %v %d, want close 1002", h.Op, code)
	}
}

func TestClientFailsOnBadResponse(t *testing.T) {
	// A server whose answer has a parameter the client never offered.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		req, err := http.ReadRequest(bufio.NewReader(nc))
		if err != nil {
			return
		}
		fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n\r\n",
			acceptKey(req.Header.Get("Sec-WebSocket-Key")))
		time.Sleep(time.Second)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	refuse := deflate.New(deflate.Config{ClientMaxWindowBits: deflate.PolicyRefuse})
	_, err = engine.Dial(ctx, "ws://"+ln.Addr().String()+"/", &engine.DialOptions{Extensions: []extension.Factory{refuse}})
	if err == nil {
		t.Fatal("Dial accepted client_max_window_bits it did not offer")
	}
	// A 101 that breaks the client's checks is a *HandshakeError with
	// StatusCode 101 that names the refused parameter.
	var he *engine.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusSwitchingProtocols || !strings.Contains(he.Reason, deflate.ParamClientMaxWindowBits) {
		t.Fatalf("Dial: %v, want a *engine.HandshakeError with status 101 naming %s", err, deflate.ParamClientMaxWindowBits)
	}
	t.Logf("Dial: %v", err)
}
