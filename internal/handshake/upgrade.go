package handshake

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/gobwas/httphead"
)

// Upgrade validates the WebSocket upgrade request at the start of b and
// appends the answer to out (RFC 6455 §4.2).
//
// b may hold more than the head; [Result.HeadLen] tells where it ends. If b
// holds no complete head yet, Upgrade returns [ErrIncomplete] and out
// unchanged, unless b already reaches [Config.MaxHeaderBytes] (431) or the
// lines it has are already malformed (400). So an event loop may call
// Upgrade after every read instead of [HeaderEnd] first: one scan finds the
// end and validates. A nil cfg is the zero [Config].
//
// On success it appends "101 Switching Protocols" with Sec-WebSocket-Accept,
// the selected subprotocol and the accepted extensions (§4.2.2 item 5). On
// failure it appends a complete HTTP error response (status line,
// "Connection: close", Content-Type, Content-Length, the reason as body) and
// returns a *[RejectError]; the caller writes out and closes the connection.
// Checks run in this order, the first failure wins: head size (431), request
// and header syntax (400), HTTP version (505), method (405, with
// "Allow: GET"), request-target (400), Host, Upgrade, Connection,
// Sec-WebSocket-Key (400), Sec-WebSocket-Version (400 if missing, 426 with
// "Sec-WebSocket-Version: 13" if not 13), protocol and extension list syntax
// (400), [Config.Route] (404), [Config.CheckOrigin] (403),
// [Config.RouteProtocols] (400), [Config.Negotiate].
//
// Upgrade does not retain b, out or cfg. The common request (no subprotocol
// offered, Negotiate nil, no KeepHeaders) costs one allocation: the string
// block behind Path, RawQuery, Host and Origin. An offered subprotocol list
// adds one, parsed extension offers two or more, kept headers one per value
// plus the map. Rejections before the Route check allocate nothing.
func Upgrade(b []byte, cfg *Config, out []byte) (res Result, _ []byte, err error) {
	var zero Config
	if cfg == nil {
		cfg = &zero
	}
	limit := cfg.maxHeaderBytes()
	window := b
	if len(window) > limit {
		window = window[:limit]
	}
	var p request
	end, rej := p.parse(window)
	switch {
	case rej != nil:
		return res, appendReject(out, rej), rej
	case end < 0 && len(b) < limit:
		return res, out, ErrIncomplete
	case end < 0:
		return res, appendReject(out, ErrHeaderTooLarge), ErrHeaderTooLarge
	}
	var keep func() http.Header
	if len(cfg.KeepHeaders) > 0 {
		keep = func() http.Header { return keepHeaders(b[:end], cfg.KeepHeaders) }
	}
	res, out, err = p.accept(cfg, out, keep)
	if err == nil {
		res.HeadLen = end
	}
	return res, out, err
}

// UpgradeHTTP is [Upgrade] for a request that a net/http server has already
// parsed: the same checks in the same order, the same subprotocol selection
// and extension negotiation, and the same 101 answer appended to out, so the
// event loops and the net/http integration cannot drift apart. On failure it
// returns a *[RejectError] and appends nothing; answer it with [WriteReject].
// [Result.HeadLen] is 0: net/http has consumed the head.
func UpgradeHTTP(r *http.Request, cfg *Config, out []byte) (Result, []byte, error) {
	var zero Config
	if cfg == nil {
		cfg = &zero
	}
	var p request
	if rej := p.fromHTTP(r); rej != nil {
		return Result{}, out, rej
	}
	var keep func() http.Header
	if len(cfg.KeepHeaders) > 0 {
		keep = func() http.Header { return keepHTTPHeaders(r.Header, cfg.KeepHeaders) }
	}
	n := len(out)
	res, out, err := p.accept(cfg, out, keep)
	if err != nil {
		out = out[:n] // the caller answers through its ResponseWriter
	}
	return res, out, err
}

// accept runs the checks that follow parsing, builds the Result and appends
// the answer: 101 Switching Protocols, or the rejection. keep, when set,
// returns the kept request headers.
func (p *request) accept(cfg *Config, out []byte, keep func() http.Header) (res Result, _ []byte, err error) {
	if rej := p.check(); rej != nil {
		return res, appendReject(out, rej), rej
	}
	r := &res.Request
	p.build(r)
	if cfg.Route != nil && !cfg.Route(r.Path) {
		*r = Request{}
		return res, appendReject(out, ErrNotFound), ErrNotFound
	}
	if keep != nil {
		r.Header = keep()
	}
	if cfg.Negotiate != nil && p.nExt > 0 {
		r.Extensions = p.parseOffers()
	}
	if cfg.CheckOrigin != nil && !cfg.CheckOrigin(*r) {
		*r = Request{}
		return res, appendReject(out, ErrForbiddenOrigin), ErrForbiddenOrigin
	}
	protocols := cfg.Protocols
	if cfg.RouteProtocols != nil {
		if own := cfg.RouteProtocols(r.Path); own != nil {
			protocols = own
			if res.Protocol = selectProtocol(own, r.Protocols); res.Protocol == "" {
				*r = Request{}
				return res, appendReject(out, ErrNoProtocol), ErrNoProtocol
			}
		}
	}
	if res.Protocol == "" {
		res.Protocol = selectProtocol(protocols, r.Protocols)
	}
	if cfg.Negotiate != nil && len(r.Extensions) > 0 {
		accepted, nerr := cfg.Negotiate(r.Extensions)
		if rej := checkNegotiated(r.Extensions, accepted, nerr); rej != nil {
			res = Result{}
			return res, appendReject(out, rej), rej
		}
		res.Extensions = accepted
	}
	return res, appendSwitching(out, &r.Key, res.Protocol, res.Extensions), nil
}

// fromHTTP fills p from a request net/http parsed, as parse fills it from
// the head's bytes: the same fields, counted the same way, so check rules on
// both alike. net/http has already rejected what is not HTTP/1.x syntax.
func (p *request) fromHTTP(r *http.Request) *RejectError {
	if !validTarget(r.RequestURI) {
		return ErrMalformedRequest
	}
	p.method, p.target = []byte(r.Method), []byte(r.RequestURI)
	p.major, p.minor = r.ProtoMajor, r.ProtoMinor
	if r.Host != "" {
		// net/http moves Host out of the header map, keeping one value.
		p.host, p.nHost = []byte(r.Host), 1
	}
	h := r.Header
	if v := h.Values("Origin"); len(v) > 0 {
		if len(v) > 1 {
			return ErrMalformedRequest
		}
		p.origin, p.nOrigin = []byte(v[0]), 1
	}
	for _, v := range h.Values("Upgrade") {
		if found, ok := hasToken([]byte(v), "websocket"); found && ok {
			p.upgrade = true
			break
		}
	}
	for _, v := range h.Values("Connection") {
		if found, ok := hasToken([]byte(v), "upgrade"); found && ok {
			p.connection = true
			break
		}
	}
	if v := h.Values("Sec-Websocket-Key"); len(v) > 0 {
		p.key, p.nKey = []byte(v[len(v)-1]), len(v)
	}
	if v := h.Values("Sec-Websocket-Version"); len(v) > 0 {
		p.version, p.nVersion = []byte(v[len(v)-1]), len(v)
	}
	for _, v := range h.Values("Sec-Websocket-Protocol") {
		if rej := p.addProtocols([]byte(v)); rej != nil {
			return rej
		}
	}
	for _, v := range h.Values("Sec-Websocket-Extensions") {
		if rej := p.addExtensions([]byte(v)); rej != nil {
			return rej
		}
	}
	return nil
}

// request is the parser's view of a request head; every slice aliases b.
type request struct {
	method, target []byte
	pathAndQuery   []byte // target without scheme and authority
	major, minor   int

	host, origin, key, version []byte
	nHost, nOrigin, nKey       int
	nVersion                   int
	upgrade, connection        bool

	proto     [MaxRepeatedHeaders][]byte
	ext       [MaxRepeatedHeaders][]byte
	nProto    int
	nExt      int
	protoLen  int // bytes of all offered tokens plus separators
	protoToks int // number of offered tokens
}

// parse splits the head at the start of b into the request line and
// header lines, recording the fields the handshake needs, and returns the
// head's length, or -1 if b ends before the empty line. It reports syntax
// errors only, as soon as it meets them; semantic checks are in check so
// their order is fixed. Finding the end while parsing saves the separate
// HeaderEnd scan.
func (p *request) parse(b []byte) (int, *RejectError) {
	line, rest, st := nextLine(b)
	switch st {
	case lineShort:
		return -1, nil
	case lineBad:
		return 0, ErrMalformedRequest
	}
	rl, ok := httphead.ParseRequestLine(line)
	if !ok || !validTarget(rl.URI) || len(line) < 8 || !httpVersion(line[len(line)-8:]) {
		return 0, ErrMalformedRequest
	}
	p.method, p.target = rl.Method, rl.URI
	p.major, p.minor = rl.Version.Major, rl.Version.Minor
	for {
		line, rest, st = nextLine(rest)
		switch {
		case st == lineShort:
			return -1, nil
		case st == lineBad:
			return 0, ErrMalformedRequest
		case len(line) == 0:
			return len(b) - len(rest), nil
		}
		if rej := p.field(line); rej != nil {
			return 0, rej
		}
	}
}

// field records one header line.
func (p *request) field(line []byte) *RejectError {
	// Obsolete line folding (RFC 9112 §5.2) is rejected, as a server may do.
	if line[0] == ' ' || line[0] == '\t' {
		return ErrMalformedRequest
	}
	k, v, ok := httphead.ParseHeaderLine(line)
	// k starts the line, so the colon must follow it at once: whitespace
	// between name and colon is forbidden (RFC 9112 §5.1) though
	// ParseHeaderLine trims it.
	if !ok || len(k) == 0 || line[len(k)] != ':' {
		return ErrMalformedRequest
	}
	switch len(k) {
	case len("host"):
		if equalLower(k, "host") {
			p.host = v
			p.nHost++
		}
	case len("origin"):
		if equalLower(k, "origin") {
			p.origin = v
			p.nOrigin++
			if p.nOrigin > 1 {
				return ErrMalformedRequest
			}
		}
	case len("upgrade"):
		if equalLower(k, "upgrade") && !p.upgrade {
			found, ok := hasToken(v, "websocket")
			p.upgrade = found && ok
		}
	case len("connection"):
		if equalLower(k, "connection") && !p.connection {
			found, ok := hasToken(v, "upgrade")
			p.connection = found && ok
		}
	case len("sec-websocket-key"):
		if equalLower(k, "sec-websocket-key") {
			p.key = v
			p.nKey++
		}
	case len("sec-websocket-version"):
		if equalLower(k, "sec-websocket-version") {
			p.version = v
			p.nVersion++
		}
	case len("sec-websocket-protocol"):
		if equalLower(k, "sec-websocket-protocol") {
			return p.addProtocols(v)
		}
	case len("sec-websocket-extensions"):
		if equalLower(k, "sec-websocket-extensions") {
			return p.addExtensions(v)
		}
	}
	return nil
}

func (p *request) addProtocols(v []byte) *RejectError {
	if p.nProto == len(p.proto) {
		return ErrTooManyHeaders
	}
	ok := httphead.ScanTokens(v, func(t []byte) bool {
		p.protoToks++
		p.protoLen += len(t) + 1
		return true
	})
	if !ok {
		return ErrBadProtocols
	}
	p.proto[p.nProto] = v
	p.nProto++
	return nil
}

func (p *request) addExtensions(v []byte) *RejectError {
	if p.nExt == len(p.ext) {
		return ErrTooManyHeaders
	}
	ok := httphead.ScanOptions(v, func(int, []byte, []byte, []byte) httphead.Control {
		return httphead.ControlContinue
	})
	if !ok {
		return ErrBadExtensions
	}
	p.ext[p.nExt] = v
	p.nExt++
	return nil
}

// check applies RFC 6455 §4.2.1 to the parsed fields, in a fixed order.
func (p *request) check() *RejectError {
	switch {
	case p.major != 1 || p.minor < 1:
		return ErrBadHTTPVersion
	case string(p.method) != http.MethodGet:
		return ErrBadMethod
	case !p.splitTarget():
		return ErrBadURI
	case p.nHost != 1 || len(p.host) == 0:
		return ErrBadHost
	case !p.upgrade:
		return ErrBadUpgrade
	case !p.connection:
		return ErrBadConnection
	case p.nKey != 1 || !validKey(p.key):
		return ErrBadKey
	case p.nVersion != 1 || len(p.version) == 0:
		return ErrMissingVersion
	case string(p.version) != "13":
		return ErrUnsupportedVersion
	}
	return nil
}

// splitTarget finds the path in the target and, for the absolute form
// (RFC 9112 §3.2.2), the authority, which then replaces the Host header.
// It reports false for a target that is neither form.
func (p *request) splitTarget() bool {
	t := p.target
	if len(t) > 0 && t[0] == '/' {
		p.pathAndQuery = t
		return true
	}
	for _, scheme := range [...]string{"http://", "https://", "ws://", "wss://"} {
		if len(t) > len(scheme) && equalFold(t[:len(scheme)], scheme) {
			rest := t[len(scheme):]
			i := bytes.IndexAny(rest, "/?")
			if i < 0 {
				i = len(rest)
			}
			p.host, p.pathAndQuery = rest[:i], rest[i:]
			return true
		}
	}
	return false
}

// build fills r's strings from one allocation.
func (p *request) build(r *Request) {
	pathAndQuery := p.pathAndQuery
	var sb strings.Builder
	sb.Grow(len(pathAndQuery) + len(p.host) + len(p.origin) + p.protoLen)
	sb.Write(pathAndQuery)
	sb.Write(p.host)
	sb.Write(p.origin)
	for i := 0; i < p.nProto; i++ {
		httphead.ScanTokens(p.proto[i], func(t []byte) bool {
			sb.Write(t)
			sb.WriteByte(',')
			return true
		})
	}
	s := sb.String()

	n := len(pathAndQuery)
	target := s[:n]
	if q := strings.IndexByte(target, '?'); q >= 0 {
		r.Path, r.RawQuery = target[:q], target[q+1:]
	} else {
		r.Path = target
	}
	if len(r.Path) == 0 {
		// An absolute-form target without a path means "/" (RFC 9112 §3.2.2).
		r.Path = "/"
	}
	r.Host = s[n : n+len(p.host)]
	n += len(p.host)
	r.Origin = s[n : n+len(p.origin)]
	n += len(p.origin)
	if p.protoToks > 0 {
		r.Protocols = make([]string, 0, p.protoToks)
		for rest := s[n:]; len(rest) > 0; {
			i := strings.IndexByte(rest, ',')
			r.Protocols = append(r.Protocols, rest[:i])
			rest = rest[i+1:]
		}
	}
	copy(r.Key[:], p.key)
}

// parseOffers copies the extension headers into one owned buffer and parses
// them, so the options outlive the caller's buffer.
func (p *request) parseOffers() []httphead.Option {
	n := 0
	for i := 0; i < p.nExt; i++ {
		n += len(p.ext[i]) + 2
	}
	raw := make([]byte, 0, n)
	for i := 0; i < p.nExt; i++ {
		if i > 0 {
			raw = append(raw, ", "...)
		}
		raw = append(raw, p.ext[i]...)
	}
	// Syntax was checked per header line, and joining well-formed lists
	// with a comma gives a well-formed list.
	offers, _ := httphead.ParseOptions(raw, nil)
	return offers
}

// keepHeaders copies the headers named in names out of a validated head.
func keepHeaders(head []byte, names []string) http.Header {
	var h http.Header
	_, rest, _ := nextLine(head)
	for {
		var line []byte
		line, rest, _ = nextLine(rest)
		if len(line) == 0 {
			return h
		}
		k, v, _ := httphead.ParseHeaderLine(line)
		for _, name := range names {
			if equalFold(k, name) {
				if h == nil {
					h = make(http.Header, len(names))
				}
				key := http.CanonicalHeaderKey(name)
				h[key] = append(h[key], string(v))
				break
			}
		}
	}
}

// keepHTTPHeaders copies the headers named in names out of a parsed request.
func keepHTTPHeaders(from http.Header, names []string) http.Header {
	var h http.Header
	for _, name := range names {
		if v := from.Values(name); len(v) > 0 {
			if h == nil {
				h = make(http.Header, len(names))
			}
			h[http.CanonicalHeaderKey(name)] = append([]string(nil), v...)
		}
	}
	return h
}

// selectProtocol returns the first of the server's protocols that was offered.
func selectProtocol(server, offered []string) string {
	for _, s := range server {
		for _, o := range offered {
			if s == o {
				return s
			}
		}
	}
	return ""
}

// checkNegotiated turns the result of Config.Negotiate into a rejection, or
// nil when the accepted extensions may be sent.
func checkNegotiated(offers, accepted []httphead.Option, err error) *RejectError {
	if err != nil {
		var rej *RejectError
		if errors.As(err, &rej) {
			if rej.Status < 400 || rej.Status > 599 {
				return &RejectError{Status: http.StatusBadRequest, Reason: rej.Reason, Err: err}
			}
			return rej
		}
		return &RejectError{Status: ErrExtensionRefused.Status, Reason: ErrExtensionRefused.Reason, Err: err}
	}
	for i := range accepted {
		if !writableOption(&accepted[i]) || !offered(offers, accepted[i].Name) {
			return ErrBadNegotiation
		}
	}
	return nil
}

func offered(offers []httphead.Option, name []byte) bool {
	for i := range offers {
		if bytes.Equal(offers[i].Name, name) {
			return true
		}
	}
	return false
}
