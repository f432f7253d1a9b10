package conformance_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// scriptedAccept accepts one connection on ln and performs the server side
// of the opening handshake by hand. pmdResp is the permessage-deflate
// answer, "" for none.
func scriptedAccept(ln net.Listener, pmdResp string) (net.Conn, *bufio.Reader, error) {
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(readTimeout))
	nc, err := ln.Accept()
	if err != nil {
		return nil, nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(readTimeout))
	br := bufio.NewReaderSize(nc, 64<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") || key == "" ||
		req.Header.Get("Sec-WebSocket-Version") != "13" {
		nc.Close()
		return nil, nil, fmt.Errorf("bad client handshake: %v", req.Header)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(key) + "\r\n"
	if pmdResp != "" {
		offer := req.Header.Get("Sec-WebSocket-Extensions")
		if !strings.HasPrefix(offer, "permessage-deflate") {
			nc.Close()
			return nil, nil, fmt.Errorf("the client offered %q, want permessage-deflate", offer)
		}
		// A server may limit the client's window only if the offer allows
		// it (RFC 7692 §7.1.2.2).
		if strings.Contains(pmdResp, "client_max_window_bits") && !strings.Contains(offer, "client_max_window_bits") {
			nc.Close()
			return nil, nil, fmt.Errorf("the client offered %q, without client_max_window_bits", offer)
		}
		resp += "Sec-WebSocket-Extensions: " + pmdResp + "\r\n"
	}
	resp += "\r\n"
	if _, err := nc.Write([]byte(resp)); err != nil {
		nc.Close()
		return nil, nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, br, nil
}

// TestClient runs every case against surge's client (engine.Dial), the peer
// being a scripted raw server; the client session echoes what it receives.
func TestClient(t *testing.T) {
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	runSuite(t, "client", "client", allCases(), func(t *testing.T, tc *tcase, chop int) (*peer, func() error, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		defer ln.Close()
		type dialed struct {
			s   *session.Session
			err error
		}
		ch := make(chan dialed, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
			defer cancel()
			cfg := session.Config{CloseTimeout: suiteCloseTimeout, MaxMessageSize: tc.limit}
			opts := &engine.DialOptions{Dialer: d, Session: cfg}
			if tc.pmd != nil {
				opts.Extensions = []extension.Factory{deflate.New(pmdConfig)}
			} else if tc.deflate {
				opts.Extensions = []extension.Factory{deflate.New(deflate.Config{Threshold: -1})}
			}
			s, err := engine.Dial(ctx, "ws://"+ln.Addr().String()+"/echo", opts)
			ch <- dialed{s, err}
		}()
		pmdResp := ""
		switch {
		case tc.pmd != nil:
			pmdResp = tc.pmd.resp
		case tc.deflate:
			pmdResp = pmdResponse
		}
		nc, br, aerr := scriptedAccept(ln, pmdResp)
		r := <-ch
		if aerr != nil || r.err != nil {
			if nc != nil {
				nc.Close()
			}
			if r.s != nil {
				r.s.Terminate()
			}
			return nil, nil, errors.Join(aerr, r.err)
		}
		c := r.s
		go echoLoop(c)
		p := newPeer(nc, br, false, chop, tc.fullChop)
		p.deflate = tc.deflate
		if tc.pmd != nil {
			p.pmd = newPMDState(tc.pmd, false)
		}
		finish := func() error {
			if !waitDone(c.Done(), readTimeout) {
				c.Terminate()
				return errors.New("the client session did not end after the server closed TCP")
			}
			if !p.sentClose && !p.recvClose {
				return nil
			}
			got := c.CloseReason().Code
			if got != p.surgeCode && (got != p.firstClose || p.firstClose == 0) {
				return fmt.Errorf("client CloseReason %d, want the first close on the wire (%d) or the one it sent (%d)",
					got, p.firstClose, p.surgeCode)
			}
			if got == frame.CloseAbnormal {
				return fmt.Errorf("client CloseReason 1006 after a close handshake (err %v)", c.Err())
			}
			return nil
		}
		return p, finish, nil
	})
}
