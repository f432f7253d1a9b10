package handshake

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
)

// ClientRequest describes the client's opening handshake (RFC 6455 §4.1).
// The zero value is not usable: Host is required.
type ClientRequest struct {
	// Host is the Host header value, "host" or "host:port" (§4.1 item 4).
	Host string
	// Path is the request-target in origin form, query included ("/chat?x=1").
	// Empty means "/".
	Path string
	// Protocols are the subprotocols offered, most preferred first (§4.1 item 10).
	Protocols []string
	// Extensions is the raw Sec-WebSocket-Extensions offer, "" for none (§9.1).
	Extensions string
	// Header holds extra headers (Origin, Authorization, Cookie...). It must
	// not hold Host, Upgrade, Connection or a Sec-WebSocket-* header, which
	// the handshake writes itself.
	Header http.Header
}

// AppendRequest appends r's upgrade request to dst, with a fresh
// Sec-WebSocket-Key: 16 bytes from crypto/rand, base64-encoded (§4.1 item 7).
// It returns the key, which [ParseResponse] needs. Extra headers are written
// sorted by name so the request is reproducible.
//
// It returns dst unchanged and an error wrapping [ErrBadClientRequest] when a
// field would make an invalid request or inject a header line.
func AppendRequest(dst []byte, r *ClientRequest) (out []byte, key [KeyLen]byte, err error) {
	var nonce [16]byte
	// crypto/rand.Read never fails since Go 1.24; it panics or blocks instead.
	_, _ = rand.Read(nonce[:])
	base64.StdEncoding.Encode(key[:], nonce[:])
	out, err = appendRequest(dst, r, &key)
	return out, key, err
}

// appendRequest is AppendRequest with the key given, for reproducible tests.
func appendRequest(dst []byte, r *ClientRequest, key *[KeyLen]byte) ([]byte, error) {
	if err := r.validate(); err != nil {
		return dst, err
	}
	path := r.Path
	if path == "" {
		path = "/"
	}
	out := append(dst, "GET "...)
	out = append(out, path...)
	out = append(out, " HTTP/1.1\r\nHost: "...)
	out = append(out, r.Host...)
	out = append(out, "\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "...)
	out = append(out, key[:]...)
	out = append(out, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if len(r.Protocols) > 0 {
		out = append(out, "Sec-WebSocket-Protocol: "...)
		for i, p := range r.Protocols {
			if i > 0 {
				out = append(out, ", "...)
			}
			out = append(out, p...)
		}
		out = append(out, "\r\n"...)
	}
	if r.Extensions != "" {
		out = append(out, "Sec-WebSocket-Extensions: "...)
		out = append(out, r.Extensions...)
		out = append(out, "\r\n"...)
	}
	if len(r.Header) > 0 {
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			for _, v := range r.Header[k] {
				out = append(out, k...)
				out = append(out, ": "...)
				out = append(out, v...)
				out = append(out, "\r\n"...)
			}
		}
	}
	return append(out, "\r\n"...), nil
}

// reservedHeaders are written by AppendRequest itself; a second copy from
// ClientRequest.Header would make the request invalid (§4.1, §11.3).
var reservedHeaders = [...]string{
	"host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
	"sec-websocket-protocol", "sec-websocket-extensions",
}

func (r *ClientRequest) validate() error {
	switch {
	case r.Host == "" || !validTarget(r.Host):
		return badField("Host")
	case r.Path != "" && (r.Path[0] != '/' || !validTarget(r.Path)):
		return badField("Path")
	case !validFieldValue(r.Extensions):
		return badField("Extensions")
	}
	for _, p := range r.Protocols {
		if !isToken(p) {
			return badField("Protocols")
		}
	}
	for k, vs := range r.Header {
		if !isToken(k) {
			return badField("Header")
		}
		for _, name := range reservedHeaders {
			if equalFold([]byte(k), name) {
				return badField("Header " + k)
			}
		}
		for _, v := range vs {
			if !validFieldValue(v) {
				return badField("Header " + k)
			}
		}
	}
	return nil
}

func badField(name string) error {
	return &fieldError{name}
}

// fieldError names the invalid ClientRequest field.
type fieldError struct{ field string }

func (e *fieldError) Error() string { return ErrBadClientRequest.Error() + ": bad " + e.field }
func (e *fieldError) Unwrap() error { return ErrBadClientRequest }
