package engine

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gobwas/httphead"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/session"
)

// ServeHTTP upgrades a WebSocket request received by a net/http server and
// serves it with the route that matches its path; a request that is not a
// valid upgrade gets an HTTP error (see Upgrade).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = s.Upgrade(w, r)
}

// Upgrade upgrades r to a WebSocket session served by the route matching
// r.URL.Path. It hijacks the connection and, for a TCP or unix connection on
// Linux or BSD, moves its fd into an event loop so that no goroutine stays
// behind; other connections (TLS, for instance) are served by the portable
// driver on the calling goroutine, and Upgrade returns when the session ends.
// A request that is not a valid upgrade is answered with 400, 403 (refused
// origin), 404 (no route), 405 or 426 (with Sec-WebSocket-Version: 13), and
// the error is returned.
func (s *Server) Upgrade(w http.ResponseWriter, r *http.Request) error {
	rt, resp, err := s.checkHTTP(r)
	if err != nil {
		var re *handshake.RejectError
		if errors.As(err, &re) {
			if re.Status == http.StatusUpgradeRequired {
				w.Header().Set("Sec-WebSocket-Version", "13")
			}
			http.Error(w, re.Reason, re.Status)
		} else {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
		return err
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		err := errors.New("engine: response writer cannot be hijacked")
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return err
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return err
	}
	if _, err := nc.Write(resp.head); err != nil {
		_ = nc.Close()
		return err
	}
	pre := buffered(brw)
	var remote netip.AddrPort
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		remote = ap
	}
	req := &session.Request{
		Path: r.URL.Path, RawQuery: r.URL.RawQuery, Remote: remote,
		Protocol: resp.protocol, Extensions: resp.exts, Header: keepHeaders(r.Header, s.cfg.KeepHeaders),
	}
	if s.adoptSession(nc, rt, req, pre) {
		return nil
	}
	s.conns.Add(1)
	defer s.conns.Add(-1)
	s.runPortable(nc, rt, session.RoleServer, req, pre)
	return nil
}

// httpAnswer is an accepted net/http upgrade.
type httpAnswer struct {
	head     []byte
	protocol string
	exts     []session.Extension
}

// checkHTTP validates an upgrade request (RFC 6455 §4.2.1) and builds the 101
// answer.
func (s *Server) checkHTTP(r *http.Request) (*route, *httpAnswer, error) {
	if r.Method != http.MethodGet {
		return nil, nil, handshake.ErrBadMethod
	}
	if !r.ProtoAtLeast(1, 1) {
		return nil, nil, handshake.ErrBadHTTPVersion
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		return nil, nil, handshake.ErrBadUpgrade
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return nil, nil, handshake.ErrBadConnection
	}
	switch v := r.Header.Get("Sec-WebSocket-Version"); v {
	case "13":
	case "":
		return nil, nil, handshake.ErrMissingVersion
	default:
		return nil, nil, handshake.ErrUnsupportedVersion
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return nil, nil, handshake.ErrBadKey
	}
	rt := s.match(r.URL.Path)
	if rt == nil {
		return nil, nil, handshake.ErrNotFound
	}
	if s.cfg.CheckOrigin != nil && !s.cfg.CheckOrigin(r.Header.Get("Origin"), r.Host) {
		return nil, nil, handshake.ErrForbiddenOrigin
	}
	a := &httpAnswer{}
	for _, p := range s.cfg.Subprotocols {
		if headerHasValue(r.Header, "Sec-WebSocket-Protocol", p) {
			a.protocol = p
			break
		}
	}
	var accepted []httphead.Option
	if len(s.cfg.Extensions) > 0 {
		if raw := strings.Join(r.Header.Values("Sec-WebSocket-Extensions"), ", "); raw != "" {
			offers, ok := httphead.ParseOptions([]byte(raw), nil)
			if !ok {
				return nil, nil, handshake.ErrBadExtensions
			}
			var err error
			accepted, a.exts, err = negotiate(s.cfg.Extensions, offers)
			if err != nil {
				return nil, nil, handshake.ErrExtensionRefused
			}
		}
	}
	var acc [handshake.AcceptLen]byte
	handshake.AcceptKey(&acc, []byte(key))
	b := append([]byte(nil), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = append(b, acc[:]...)
	b = append(b, "\r\n"...)
	if a.protocol != "" {
		b = append(b, "Sec-WebSocket-Protocol: "...)
		b = append(b, a.protocol...)
		b = append(b, "\r\n"...)
	}
	if len(accepted) > 0 {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		var eb bytes.Buffer
		_, _ = httphead.WriteOptions(&eb, accepted)
		b = append(b, eb.Bytes()...)
		b = append(b, "\r\n"...)
	}
	a.head = append(b, "\r\n"...)
	return rt, a, nil
}

// headerHasToken reports whether a comma-separated header holds token, in any
// case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// headerHasValue is headerHasToken with exact (case-sensitive) matching.
func headerHasValue(h http.Header, name, value string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.TrimSpace(t) == value {
				return true
			}
		}
	}
	return false
}

func keepHeaders(h http.Header, names []string) http.Header {
	var out http.Header
	for _, n := range names {
		if v := h.Values(n); len(v) > 0 {
			if out == nil {
				out = http.Header{}
			}
			out[http.CanonicalHeaderKey(n)] = v
		}
	}
	return out
}

// buffered returns what the hijacked reader already read past the request.
func buffered(brw *bufio.ReadWriter) []byte {
	if brw == nil || brw.Reader.Buffered() == 0 {
		return nil
	}
	b, _ := brw.Reader.Peek(brw.Reader.Buffered())
	return append([]byte(nil), b...)
}
