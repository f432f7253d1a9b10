package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// goPeerBig is the size of the large messages exchanged with the Go peers.
const goPeerBig = 4 << 20

// peerConn is one WebSocket connection of a peer library, client or server
// end, behind the few operations the cases need. Every adapter reads on a
// goroutine of its own from the start, so that the library answers pings and
// closes while the test is not reading.
type peerConn interface {
	// Write sends one message in one frame.
	Write(ctx context.Context, binary bool, p []byte) error
	// WriteFragmented sends one message as a sequence of frames, the parts
	// given as the library frames them (see each adapter).
	WriteFragmented(ctx context.Context, binary bool, parts [][]byte) error
	// Read returns the next data message; after the peer's close frame it
	// returns a *peerClosed.
	Read(ctx context.Context) (binary bool, p []byte, err error)
	// Ping sends a ping and waits for its pong.
	Ping(ctx context.Context, payload []byte) error
	// Close starts the closing handshake and returns when the library
	// considers it done.
	Close(ctx context.Context, code int, reason string) error
	// Abort drops the connection.
	Abort()
}

// peerMsg is one received data message.
type peerMsg struct {
	binary bool
	p      []byte
}

// peerClosed is the close frame a peer connection received.
type peerClosed struct {
	Code   int
	Reason string
}

func (e *peerClosed) Error() string {
	return fmt.Sprintf("peer received close %d %q", e.Code, e.Reason)
}

// goPeer is one Go WebSocket library under test.
type goPeer struct {
	name string
	// dial connects the library's client to u.
	dial func(ctx context.Context, u string) (peerConn, error)
	// upgrade turns a request into the library's server connection; the
	// HTTP handler then serves it until it ends.
	upgrade func(w http.ResponseWriter, r *http.Request) (peerConn, error)
	// cannotReceive lists close codes the library refuses in a received close
	// frame (it fails the connection instead), with the library's reason;
	// the surge-closes cases then only check surge's side.
	cannotReceive map[int]string
}

// goPeers lists the libraries; the adapters live in peer_<lib>_test.go.
var goPeers = []goPeer{gorillaPeer, coderPeer, gwsPeer}

// peerReads reads messages from a channel fed by an adapter's reading
// goroutine; rerr holds why it stopped once msgs is closed.
type peerReads struct {
	msgs chan peerMsg
	done chan struct{}
	rerr error
}

func newPeerReads() *peerReads {
	return &peerReads{msgs: make(chan peerMsg, 64), done: make(chan struct{})}
}

// deliver hands a message over unless the connection is gone.
func (r *peerReads) deliver(m peerMsg) {
	select {
	case r.msgs <- m:
	case <-r.done:
	}
}

// stop records why reading ended; only the reading goroutine calls it, once.
func (r *peerReads) stop(err error) {
	r.rerr = err
	close(r.done)
}

func (r *peerReads) read(ctx context.Context) (bool, []byte, error) {
	select {
	case m := <-r.msgs:
		return m.binary, m.p, nil
	default:
	}
	select {
	case m := <-r.msgs:
		return m.binary, m.p, nil
	case <-r.done:
		select {
		case m := <-r.msgs:
			return m.binary, m.p, nil
		default:
		}
		return false, nil, r.rerr
	case <-ctx.Done():
		return false, nil, ctx.Err()
	}
}

// waitDone waits for the reading goroutine to end (the close handshake
// done), or ctx.
func (r *peerReads) waitDone(ctx context.Context) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("peer did not finish the closing handshake: %w", ctx.Err())
	}
}

// split cuts p into parts of n bytes (the last may be shorter).
func split(p []byte, n int) [][]byte {
	var parts [][]byte
	for len(p) > n {
		parts = append(parts, p[:n])
		p = p[n:]
	}
	return append(parts, p)
}

// peerMessages are the messages sent in the echo cases: single frames,
// fragmented ones (a text whose 1000-byte parts end inside UTF-8 sequences,
// a 4 MiB binary in 64 KiB parts) and a 4 MiB binary in one frame.
type peerMessage struct {
	step   string
	binary bool
	p      []byte
	parts  int // > 0: send in parts of this size
}

func peerMessages() []peerMessage {
	big := pattern(goPeerBig)
	return []peerMessage{
		{step: "text", p: []byte("hello, peer ✓")},
		{step: "binary", binary: true, p: []byte{0, 1, 2, 0x80, 0xfe, 0xff}},
		{step: "empty-text", p: []byte{}},
		{step: "fragmented-text", p: []byte(strings.Repeat("aé", 50000)), parts: 1000},
		{step: "fragmented-big", binary: true, p: big, parts: 64 << 10},
		{step: "big", binary: true, p: big},
	}
}

// peerEnd is how a peer's server connection ended.
type peerEnd struct {
	Code   int // from the close frame received, 0 if none
	Reason string
	Err    error // the read error when it was not a close frame
	Ping   error // the result of the ping of /ping
}

// peerServer is an httptest server of one peer library with the routes
//
//	/echo                 echo every message in one frame
//	/fragecho             echo every message in 64 KiB fragments
//	/ping                 ping surge (payload "peer-ping"), then echo
//	/close?code=&reason=  close at once with code and reason
//
// recording how each connection ended under its query's id.
type peerServer struct {
	url string

	mu   sync.Mutex
	ends map[string]chan peerEnd
}

func startPeerServer(t *testing.T, peer goPeer) *peerServer {
	t.Helper()
	ps := &peerServer{ends: make(map[string]chan peerEnd)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pc, err := peer.upgrade(w, r)
		if err != nil {
			ps.endCh(r.URL.Query().Get("id")) <- peerEnd{Err: fmt.Errorf("upgrade: %w", err)}
			return
		}
		ps.serve(pc, r)
	}))
	t.Cleanup(hs.Close)
	ps.url = "ws" + strings.TrimPrefix(hs.URL, "http")
	return ps
}

func (ps *peerServer) serve(pc peerConn, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("id")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	defer context.AfterFunc(ctx, pc.Abort)()
	var end peerEnd
	switch r.URL.Path {
	case "/close":
		code, _ := strconv.Atoi(q.Get("code"))
		end.Err = pc.Close(ctx, code, q.Get("reason"))
		ps.endCh(id) <- end
		return
	case "/ping":
		end.Ping = pc.Ping(ctx, []byte("peer-ping"))
	}
	for {
		bin, p, err := pc.Read(ctx)
		if err != nil {
			var pcl *peerClosed
			if errors.As(err, &pcl) {
				end.Code, end.Reason = pcl.Code, pcl.Reason
			} else {
				end.Err = err
			}
			pc.Abort()
			ps.endCh(id) <- end
			return
		}
		if r.URL.Path == "/fragecho" {
			err = pc.WriteFragmented(ctx, bin, split(p, 64<<10))
		} else {
			err = pc.Write(ctx, bin, p)
		}
		if err != nil {
			end.Err = fmt.Errorf("echo: %w", err)
			pc.Abort()
			ps.endCh(id) <- end
			return
		}
	}
}

func (ps *peerServer) endCh(id string) chan peerEnd {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ch, ok := ps.ends[id]
	if !ok {
		ch = make(chan peerEnd, 1)
		ps.ends[id] = ch
	}
	return ch
}

func (ps *peerServer) waitEnd(t *testing.T, name, id string, d time.Duration) peerEnd {
	t.Helper()
	select {
	case e := <-ps.endCh(id):
		return e
	case <-time.After(d):
		t.Fatalf("%s: peer server connection %q did not end within %v", name, id, d)
		return peerEnd{}
	}
}

// TestGoPeerClientsToSurgeServer runs each Go library's client against a
// surge server: echo of text, binary, empty, fragmented and 4 MiB messages;
// pings both ways; a close started by either side with every wire close code.
func TestGoPeerClientsToSurgeServer(t *testing.T) {
	srv := startSurge(t, engine.Config{})
	for _, peer := range goPeers {
		t.Run(peer.name, func(t *testing.T) {
			t.Run("echo", func(t *testing.T) {
				name := peer.name + " client → surge server: echo"
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				pc := dialPeer(t, ctx, name, peer, srv.url+"/echo?id="+peer.name+"-echo")
				msgs := peerMessages()
				for _, m := range msgs {
					var err error
					if m.parts > 0 {
						err = pc.WriteFragmented(ctx, m.binary, split(m.p, m.parts))
					} else {
						err = pc.Write(ctx, m.binary, m.p)
					}
					if err != nil {
						t.Fatalf("%s/%s: write: %v", name, m.step, err)
					}
					bin, p, err := pc.Read(ctx)
					if err != nil {
						t.Fatalf("%s/%s: no echo: %v", name, m.step, err)
					}
					if bin != m.binary || !bytes.Equal(p, m.p) {
						t.Fatalf("%s/%s: echo is binary=%v %s, want binary=%v %s", name, m.step, bin, brief(p), m.binary, brief(m.p))
					}
				}
				if err := pc.Close(ctx, int(frame.CloseNormal), "bye"); err != nil {
					t.Errorf("%s: close: %v", name, err)
				}
				end := srv.waitEnd(t, name, peer.name+"-echo", 10*time.Second)
				if end.Reason != (session.CloseReason{Code: frame.CloseNormal, Reason: "bye"}) || end.Err != nil {
					t.Errorf("%s: surge session ended with %v (err %v), want 1000 \"bye\" and no error", name, end.Reason, end.Err)
				}
				if end.Msgs != len(msgs) {
					t.Errorf("%s: surge received %d messages, want %d (fragments join into one)", name, end.Msgs, len(msgs))
				}
			})

			t.Run("ping", func(t *testing.T) {
				name := peer.name + " client → surge server: ping"
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				id := peer.name + "-ping"
				// /pinging pings every 50 ms and drops a peer silent for 1 s:
				// open after 1.5 s means the library answered.
				pc := dialPeer(t, ctx, name, peer, srv.url+"/pinging?id="+id)
				pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
				if err := pc.Ping(pctx, []byte("go-peer-ping")); err != nil {
					t.Errorf("%s: the library's ping got no pong from surge: %v", name, err)
				}
				pcancel()
				time.Sleep(1500 * time.Millisecond)
				if err := pc.Write(ctx, false, []byte("still here")); err != nil {
					t.Fatalf("%s: write after 1.5 s of surge pings: %v", name, err)
				}
				if _, p, err := pc.Read(ctx); err != nil || string(p) != "still here" {
					t.Fatalf("%s: after 1.5 s of surge pings: echo %q, %v (surge dropped the peer?)", name, p, err)
				}
				if err := pc.Close(ctx, int(frame.CloseNormal), ""); err != nil {
					t.Errorf("%s: close: %v", name, err)
				}
				end := srv.waitEnd(t, name, id, 10*time.Second)
				if end.Reason.Code != frame.CloseNormal || end.Err != nil {
					t.Errorf("%s: surge session ended with %v (err %v), want 1000 and no error", name, end.Reason, end.Err)
				}
			})

			for _, code := range wireCloseCodes {
				t.Run(fmt.Sprintf("client-close-%d", code), func(t *testing.T) {
					name := fmt.Sprintf("%s client → surge server: %s closes with %d", peer.name, peer.name, code)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					id := fmt.Sprintf("%s-cc-%d", peer.name, code)
					reason := fmt.Sprintf("%s says %d", peer.name, code)
					pc := dialPeer(t, ctx, name, peer, srv.url+"/echo?id="+id)
					err := pc.Close(ctx, int(code), reason)
					// A library that refuses to receive code also refuses
					// surge's echo of it, so its handshake cannot succeed.
					if err != nil && !refuses(peer, code) {
						t.Errorf("%s: close: %v", name, err)
					}
					end := srv.waitEnd(t, name, id, 10*time.Second)
					if end.Reason != (session.CloseReason{Code: code, Reason: reason}) || end.Err != nil {
						t.Errorf("%s: surge session ended with %v (err %v), want %d %q and no error", name, end.Reason, end.Err, code, reason)
					}
				})
			}

			for _, code := range wireCloseCodes {
				t.Run(fmt.Sprintf("server-close-%d", code), func(t *testing.T) {
					name := fmt.Sprintf("%s client → surge server: surge closes with %d", peer.name, code)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					id := fmt.Sprintf("%s-sc-%d", peer.name, code)
					reason := fmt.Sprintf("surge says %d", code)
					q := url.Values{"id": {id}, "code": {strconv.Itoa(int(code))}, "reason": {reason}}
					pc := dialPeer(t, ctx, name, peer, srv.url+"/serverclose?"+q.Encode())
					_, _, err := pc.Read(ctx)
					var pcl *peerClosed
					why, refuses := peer.cannotReceive[int(code)]
					switch {
					case refuses:
						if errors.As(err, &pcl) {
							t.Errorf("%s: %s accepted close %d, documented as refused (%s): %v", name, peer.name, code, why, err)
						}
					case !errors.As(err, &pcl) || pcl.Code != int(code) || pcl.Reason != reason:
						t.Errorf("%s: %s read %v, want close %d %q", name, peer.name, err, code, reason)
					}
					pc.Abort()
					end := srv.waitEnd(t, name, id, 10*time.Second)
					if end.Reason != (session.CloseReason{Code: code, Reason: reason}) || (end.Err != nil && !refuses) {
						t.Errorf("%s: surge session ended with %v (err %v), want %d %q and no error", name, end.Reason, end.Err, code, reason)
					}
				})
			}
		})
	}
}

// dialPeer connects a peer library's client, aborting it when the test or
// ctx ends.
func dialPeer(t *testing.T, ctx context.Context, name string, peer goPeer, u string) peerConn {
	t.Helper()
	pc, err := peer.dial(ctx, u)
	if err != nil {
		t.Fatalf("%s: %s dial %s: %v", name, peer.name, u, err)
	}
	stop := context.AfterFunc(ctx, pc.Abort)
	t.Cleanup(func() {
		stop()
		pc.Abort()
	})
	return pc
}

// TestSurgeClientToGoPeerServers runs surge's client against each Go
// library's server: echo (single-frame and fragmented answers) of text,
// binary, empty, fragmented and 4 MiB messages; pings both ways; a close
// started by either side with every wire close code.
func TestSurgeClientToGoPeerServers(t *testing.T) {
	for _, peer := range goPeers {
		t.Run(peer.name, func(t *testing.T) {
			ps := startPeerServer(t, peer)
			dial := func(t *testing.T, ctx context.Context, name, path string, cfg *session.Config) *session.Session {
				t.Helper()
				if cfg == nil {
					cfg = &session.Config{}
				}
				cfg.MaxMessageSize = bigLimit
				c, err := engine.Dial(ctx, ps.url+path, &engine.DialOptions{Session: *cfg, HandshakeTimeout: 10 * time.Second})
				if err != nil {
					t.Fatalf("%s: surge client: dial %s: %v", name, ps.url+path, err)
				}
				t.Cleanup(c.Terminate)
				return c
			}

			for _, route := range []string{"echo", "fragecho"} {
				t.Run(route, func(t *testing.T) {
					name := fmt.Sprintf("surge client → %s server: %s", peer.name, route)
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					id := route
					c := dial(t, ctx, name, "/"+route+"?id="+id, nil)
					for _, m := range peerMessages() {
						op := frame.OpText
						if m.binary {
							op = frame.OpBinary
						}
						fs := []session.Frame{{Fin: true, Op: op, Payload: m.p}}
						if m.parts > 0 {
							fs = fragments(op, split(m.p, m.parts)...)
						}
						for _, f := range fs {
							if err := c.Send(ctx, f); err != nil {
								t.Fatalf("%s/%s: send: %v", name, m.step, err)
							}
						}
						checkEcho(t, ctx, name+"/"+m.step, c, op, m.p)
					}
					peerCloseCheck(t, name, c, ps, id, frame.CloseNormal, "bye")
				})
			}

			t.Run("ping", func(t *testing.T) {
				name := fmt.Sprintf("surge client → %s server: ping", peer.name)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				// The client pings every 50 ms and drops a peer silent for
				// 1 s; the server pings once on /ping and waits for the pong.
				c := dial(t, ctx, name, "/ping?id=ping", &session.Config{PingInterval: 50 * time.Millisecond, Timeout: time.Second})
				if err := c.Send(ctx, session.Frame{Fin: true, Op: frame.OpPing, Payload: []byte("surge-ping")}); err != nil {
					t.Fatalf("%s: send ping: %v", name, err)
				}
				select {
				case <-c.Done():
					t.Fatalf("%s: surge client ended while pinging: %v (err %v)", name, c.CloseReason(), c.Err())
				case <-time.After(1500 * time.Millisecond):
				}
				if err := c.Send(ctx, session.CopyText("still here")); err != nil {
					t.Fatalf("%s: send: %v", name, err)
				}
				checkEcho(t, ctx, name, c, frame.OpText, []byte("still here"))
				end := peerCloseCheck(t, name, c, ps, "ping", frame.CloseNormal, "bye")
				if end.Ping != nil {
					t.Errorf("%s: the %s server's ping got no pong from surge: %v", name, peer.name, end.Ping)
				}
			})

			for _, code := range wireCloseCodes {
				t.Run(fmt.Sprintf("client-close-%d", code), func(t *testing.T) {
					name := fmt.Sprintf("surge client → %s server: surge closes with %d", peer.name, code)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					id := fmt.Sprintf("cc-%d", code)
					c := dial(t, ctx, name, "/echo?id="+id, nil)
					reason := fmt.Sprintf("surge says %d", code)
					if why, refuses := peer.cannotReceive[int(code)]; refuses {
						if err := c.Close(session.CloseReason{Code: code, Reason: reason}); err != nil {
							t.Fatalf("%s: close: %v", name, err)
						}
						waitDone(t, name, c, 10*time.Second)
						if r := c.CloseReason(); r.Code != code {
							t.Errorf("%s: surge client ended with %v (err %v), want %d", name, r, c.Err(), code)
						}
						if end := ps.waitEnd(t, name, id, 10*time.Second); end.Code == int(code) {
							t.Errorf("%s: %s accepted close %d, documented as refused (%s)", name, peer.name, code, why)
						}
						return
					}
					peerCloseCheck(t, name, c, ps, id, code, reason)
				})
			}

			for _, code := range wireCloseCodes {
				t.Run(fmt.Sprintf("server-close-%d", code), func(t *testing.T) {
					name := fmt.Sprintf("surge client → %s server: %s closes with %d", peer.name, peer.name, code)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					id := fmt.Sprintf("sc-%d", code)
					reason := fmt.Sprintf("%s says %d", peer.name, code)
					q := url.Values{"id": {id}, "code": {strconv.Itoa(int(code))}, "reason": {reason}}
					c := dial(t, ctx, name, "/close?"+q.Encode(), nil)
					waitDone(t, name, c, 10*time.Second)
					if r := c.CloseReason(); r != (session.CloseReason{Code: code, Reason: reason}) || c.Err() != nil {
						t.Errorf("%s: surge client ended with %v (err %v), want %d %q and no error", name, r, c.Err(), code, reason)
					}
					// A library that refuses to receive code also refuses
					// surge's echo of it, so its handshake cannot succeed.
					if end := ps.waitEnd(t, name, id, 10*time.Second); end.Err != nil && !refuses(peer, code) {
						t.Errorf("%s: %s close: %v", name, peer.name, end.Err)
					}
				})
			}
		})
	}
}

// peerCloseCheck closes c with code and reason and checks that both ends saw
// a clean closing handshake with them.
func peerCloseCheck(t *testing.T, name string, c *session.Session, ps *peerServer, id string, code frame.CloseCode, reason string) peerEnd {
	t.Helper()
	if err := c.Close(session.CloseReason{Code: code, Reason: reason}); err != nil {
		t.Fatalf("%s: close: %v", name, err)
	}
	waitDone(t, name, c, 10*time.Second)
	if r := c.CloseReason(); r != (session.CloseReason{Code: code, Reason: reason}) || c.Err() != nil {
		t.Errorf("%s: surge client ended with %v (err %v), want %d %q and no error", name, r, c.Err(), code, reason)
	}
	end := ps.waitEnd(t, name, id, 10*time.Second)
	if end.Code != int(code) || end.Reason != reason || end.Err != nil {
		t.Errorf("%s: peer server saw close %d %q (err %v), want %d %q", name, end.Code, end.Reason, end.Err, code, reason)
	}
	return end
}

// refuses reports whether peer fails the connection on receiving code.
func refuses(peer goPeer, code frame.CloseCode) bool {
	_, ok := peer.cannotReceive[int(code)]
	return ok
}
