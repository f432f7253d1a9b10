package conformance_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/session"
)

// suiteCloseTimeout is surge's CloseTimeout in every suite: long enough
// that a peer waiting for it is told apart from one closing at once
// (eofAfterHandshake), short enough to keep the run fast.
const suiteCloseTimeout = 3 * time.Second

// echoHandler echoes every message of an event-style session.
type echoHandler struct{ session.NopHandler }

// OnMessage sends the frame back; Send takes ownership of it.
func (echoHandler) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// echoLoop echoes every message of a channel-style session.
func echoLoop(s *session.Session) {
	for f := range s.Incoming() {
		_ = s.Send(context.Background(), f)
	}
}

// echoServers starts surge echo servers of one dispatch mode on demand, one
// per message size limit.
type echoServers struct {
	mode string
	mu   sync.Mutex
	srvs map[serverKey]*engine.Server
}

// serverKey tells apart the servers a suite needs.
type serverKey struct {
	limit   int64
	deflate bool
	// takeover configures deflate with pmdConfig (section 13) instead of
	// the no-context-takeover default of section 12.
	takeover bool
}

func (e *echoServers) get(t *testing.T, k serverKey) (*engine.Server, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.srvs[k]; s != nil {
		return s, nil
	}
	cfg := engine.Config{
		Reactor: engine.ReactorConfig{Loops: 2},
		Session: session.Config{CloseTimeout: suiteCloseTimeout, MaxMessageSize: k.limit},
	}
	if k.takeover {
		cfg.Extensions = []extension.Factory{deflate.New(pmdConfig)}
	} else if k.deflate {
		// Threshold -1: compress every message, so every echo is inflated.
		cfg.Extensions = []extension.Factory{deflate.New(deflate.Config{Threshold: -1})}
	}
	if e.mode == "pool" {
		cfg.Session.Dispatch = session.DispatchPool
	}
	srv := engine.New(cfg)
	if e.mode == "channel" {
		srv.HandleSession("/", echoLoop)
	} else {
		srv.HandleEvents("/", echoHandler{})
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	if e.srvs == nil {
		e.srvs = map[serverKey]*engine.Server{}
	}
	e.srvs[k] = srv
	return srv, nil
}

func (e *echoServers) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.srvs {
		_ = s.Close()
	}
}

// acceptKey computes Sec-WebSocket-Accept for key (RFC 6455 §4.2.2).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// clientKey is the nonce of every raw client handshake (RFC 6455 §1.3).
const clientKey = "dGhlIHNhbXBsZSBub25jZQ=="

// rawUpgrade opens a TCP connection to addr and performs the opening
// handshake by hand.
// pp, when set, is a section 13 case: its offer is sent and surge's answer
// must match.
func rawUpgrade(addr string, pmd bool, pp *pmdParams) (net.Conn, *bufio.Reader, error) {
	nc, err := net.DialTimeout("tcp", addr, readTimeout)
	if err != nil {
		return nil, nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(readTimeout))
	req := "GET /echo HTTP/1.1\r\nHost: conformance.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + clientKey + "\r\nSec-WebSocket-Version: 13\r\n"
	if pp != nil {
		req += "Sec-WebSocket-Extensions: " + pp.offer + "\r\n"
	} else if pmd {
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n"
	}
	req += "\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		nc.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, nil, fmt.Errorf("handshake status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(clientKey) {
		nc.Close()
		return nil, nil, fmt.Errorf("Sec-WebSocket-Accept %q", got)
	}
	if pp != nil {
		if err := checkPMDResponse(resp.Header.Get("Sec-WebSocket-Extensions"), pp.want); err != nil {
			nc.Close()
			return nil, nil, err
		}
	} else if ext := resp.Header.Get("Sec-WebSocket-Extensions"); pmd != strings.HasPrefix(ext, "permessage-deflate") ||
		pmd && (!strings.Contains(ext, "server_no_context_takeover") || !strings.Contains(ext, "client_no_context_takeover")) {
		nc.Close()
		return nil, nil, fmt.Errorf("Sec-WebSocket-Extensions %q, want %q", ext, pmdResponse)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, br, nil
}

// TestServer runs every case against surge's echo server in the three
// dispatch modes, the peer being a raw client.
func TestServer(t *testing.T) {
	cases := allCases()
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			e := &echoServers{mode: mode}
			t.Cleanup(e.close)
			runSuite(t, "server/"+mode, "server", cases, func(t *testing.T, tc *tcase, chop int) (*peer, func() error, error) {
				srv, err := e.get(t, serverKey{tc.limit, tc.deflate, tc.pmd != nil})
				if err != nil {
					return nil, nil, err
				}
				nc, br, err := rawUpgrade(srv.Addr().String(), tc.deflate, tc.pmd)
				if err != nil {
					return nil, nil, err
				}
				p := newPeer(nc, br, true, chop, tc.fullChop)
				p.deflate = tc.deflate
				if tc.pmd != nil {
					p.pmd = newPMDState(tc.pmd, true)
				}
				return p, func() error { return nil }, nil
			})
		})
	}
}
