package handshake

import (
	"io"
	"net/http"
	"strconv"

	"github.com/gobwas/httphead"
)

// appendSwitching appends the server's opening handshake (RFC 6455 §4.2.2
// item 5). Header names use the RFC's spelling.
func appendSwitching(out []byte, key *[KeyLen]byte, protocol string, exts []httphead.Option) []byte {
	var accept [AcceptLen]byte
	AcceptKey(&accept, key[:])
	out = append(out, "HTTP/1.1 101 Switching Protocols\r\n"+
		"Upgrade: websocket\r\n"+
		"Connection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "...)
	out = append(out, accept[:]...)
	out = append(out, "\r\n"...)
	if protocol != "" {
		out = append(out, "Sec-WebSocket-Protocol: "...)
		out = append(out, protocol...)
		out = append(out, "\r\n"...)
	}
	if len(exts) > 0 {
		out = append(out, "Sec-WebSocket-Extensions: "...)
		out = appendOptions(out, exts)
		out = append(out, "\r\n"...)
	}
	return append(out, "\r\n"...)
}

// AppendReject appends the complete error response of a refusal that a
// caller decides on its own, after a successful [Upgrade] (the server closed
// meanwhile, for instance).
func AppendReject(out []byte, e *RejectError) []byte { return appendReject(out, e) }

// appendReject appends a complete error response. "Connection: close" tells
// the client the connection ends here, and Content-Length lets it read the
// reason without waiting for the close.
func appendReject(out []byte, e *RejectError) []byte {
	text := http.StatusText(e.Status)
	if text == "" {
		text = "Error"
	}
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(e.Status), 10)
	out = append(out, ' ')
	out = append(out, text...)
	out = append(out, "\r\nConnection: close\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(e.Reason)), 10)
	out = append(out, "\r\n"...)
	for _, h := range rejectHeaders(e.Status) {
		out = append(out, h.name...)
		out = append(out, ": "...)
		out = append(out, h.value...)
		out = append(out, "\r\n"...)
	}
	out = append(out, "\r\n"...)
	return append(out, e.Reason...)
}

// WriteReject answers a refused upgrade through a net/http ResponseWriter
// with what [Upgrade] would append for it: the status, the reason as a
// plain-text body, "Connection: close" and the headers the status calls for.
func WriteReject(w http.ResponseWriter, e *RejectError) {
	h := w.Header()
	for _, kv := range rejectHeaders(e.Status) {
		h.Set(kv.name, kv.value)
	}
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(e.Reason)))
	w.WriteHeader(e.Status)
	_, _ = io.WriteString(w, e.Reason)
}

type headerField struct{ name, value string }

var (
	// RFC 6455 §4.2.2 item 4 names the versions we speak; RFC 9110
	// §15.5.22 requires Upgrade in a 426.
	headersUpgradeRequired = []headerField{{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}}
	// RFC 9110 §15.5.6 requires Allow in a 405.
	headersMethodNotAllowed = []headerField{{"Allow", "GET"}}
)

// rejectHeaders returns the headers a rejection with status must carry.
func rejectHeaders(status int) []headerField {
	switch status {
	case http.StatusUpgradeRequired:
		return headersUpgradeRequired
	case http.StatusMethodNotAllowed:
		return headersMethodNotAllowed
	}
	return nil
}

// appendOptions writes extension options in the Sec-WebSocket-Extensions
// grammar of RFC 6455 §9.1. It stands in for httphead.WriteOptions, whose
// io.Writer argument would move the output buffer to the heap.
func appendOptions(out []byte, opts []httphead.Option) []byte {
	for i := range opts {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, opts[i].Name...)
		opts[i].Parameters.ForEach(func(k, v []byte) bool {
			out = append(out, "; "...)
			out = append(out, k...)
			if len(v) > 0 {
				out = append(out, '=')
				out = appendTokenOrQuoted(out, v)
			}
			return true
		})
	}
	return out
}

// appendTokenOrQuoted writes v as is when it is a token, else as a
// quoted-string (RFC 9110 §5.6.4). v must pass validFieldValue.
func appendTokenOrQuoted(out, v []byte) []byte {
	if isToken(v) {
		return append(out, v...)
	}
	out = append(out, '"')
	for _, c := range v {
		if c == '"' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return append(out, '"')
}

// writableOption reports whether appendOptions can write opt as a valid
// header value.
func writableOption(opt *httphead.Option) bool {
	if !isToken(opt.Name) {
		return false
	}
	ok := true
	opt.Parameters.ForEach(func(k, v []byte) bool {
		ok = isToken(k) && validFieldValue(v)
		return ok
	})
	return ok
}
