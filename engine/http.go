package engine

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/netip"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/session"
)

// ServeHTTP upgrades a WebSocket request received by a net/http server and
// serves it with the route that matches its path, so a Server can be mounted
// in a mux or called from a handler of your own (after authentication, for
// instance). The request is checked and answered exactly as on the event
// loops: a request that is not a valid upgrade gets 400, 403 (refused
// origin), 404 (no route), 405, 426 (with Sec-WebSocket-Version: 13) or 505.
//
// The connection is hijacked; a TCP or unix connection on Linux or BSD moves
// into an event loop, so no goroutine stays behind and ServeHTTP returns at
// once. Other connections (TLS, for instance) are served by the portable
// driver on the calling goroutine, and ServeHTTP returns when the session
// ends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var exts []extension.Extension
	upgrade := s.upgradePolicy(&exts)
	res, out, err := handshake.UpgradeHTTP(r, &upgrade, nil)
	mk := s.match(res.Request.Path)
	if err == nil && mk == nil {
		err = handshake.ErrNotFound
	}
	if rej, ok := errors.AsType[*handshake.RejectError](err); ok {
		s.portableCtr.Rejected[counters.StatusBucket(rej.Status)].Add(1)
		handshake.WriteReject(w, rej)
		return
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, errNotHijackable.Error(), http.StatusInternalServerError)
		return
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := nc.Write(out); err != nil {
		_ = nc.Close()
		return
	}
	var remote netip.AddrPort
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	req := session.Request{
		Path: res.Request.Path, RawQuery: res.Request.RawQuery, Remote: remote,
		Header: res.Request.Header, Protocol: res.Protocol, Extensions: exts,
	}
	s.portableCtr.Upgraded.Add(1)
	pre := buffered(brw)
	head := requestHead(r)
	if s.adopt(nc, mk, req, head, pre) {
		return
	}
	s.portableConns.Add(1)
	defer s.portableConns.Add(-1)
	s.runPortable(nc, mk, req, head, pre)
}

// requestHead rebuilds the head of a request net/http has parsed, for
// Request().Header while the handler opens (net/http keeps Host apart).
func requestHead(r *http.Request) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.RequestURI + " HTTP/1.1\r\nHost: " + r.Host + "\r\n")
	_ = r.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// buffered returns what the hijacked reader already read past the request.
func buffered(brw *bufio.ReadWriter) []byte {
	if brw == nil || brw.Reader.Buffered() == 0 {
		return nil
	}
	b, _ := brw.Reader.Peek(brw.Reader.Buffered())
	return append([]byte(nil), b...)
}
