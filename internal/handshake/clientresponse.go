package handshake

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gobwas/httphead"
)

// ClientResult is what [ParseResponse] reports of an accepted handshake.
type ClientResult struct {
	// Protocol is the subprotocol the server selected, one of the offered
	// ones, or "" (§4.2.2 item 5.4).
	Protocol string
	// Extensions is the raw Sec-WebSocket-Extensions value (several header
	// lines joined by ", "), "" for none. The caller checks it against its
	// offer (§4.1, client check 5).
	Extensions string
	// Header holds every response header under canonical keys.
	Header http.Header
	// HeadLen is the length of the response head in b; bytes after it are
	// the first WebSocket frames from the server.
	HeadLen int
}

// ParseResponse checks the server's answer to a request made by
// [AppendRequest] with key, offering the subprotocols in offered (RFC 6455
// §4.1, the client's checks 1 to 6). b must start with the response; bytes
// after the head are left alone.
//
// It returns [ErrIncomplete] if b holds no complete head yet,
// [ErrMalformedResponse] for bad HTTP, a *[StatusError] for any status but
// 101, [ErrResponseUpgrade], [ErrResponseConnection], [ErrMissingAccept],
// [ErrBadAccept] or [ErrProtocolNotOffered]. The result does not alias b.
func ParseResponse(b []byte, key [KeyLen]byte, offered []string) (ClientResult, error) {
	var res ClientResult
	line, rest, st := nextLine(b)
	switch st {
	case lineShort:
		return res, ErrIncomplete
	case lineBad:
		return res, ErrMalformedResponse
	}
	sl, ok := httphead.ParseResponseLine(line)
	if !ok || sl.Version.Major != 1 || sl.Version.Minor < 1 || !httpVersion(line[:min(8, len(line))]) || !statusDigits(line) {
		return res, ErrMalformedResponse
	}

	var (
		upgrade, connection bool
		accept, protocol    []byte
		nAccept, nProtocol  int
		exts                []string
	)
	h := make(http.Header)
	for {
		line, rest, st = nextLine(rest)
		if st == lineShort {
			return res, ErrIncomplete
		}
		if st == lineBad {
			return res, ErrMalformedResponse
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return res, ErrMalformedResponse
		}
		k, v, ok := httphead.ParseHeaderLine(line)
		if !ok || len(k) == 0 || line[len(k)] != ':' {
			return res, ErrMalformedResponse
		}
		name := http.CanonicalHeaderKey(string(k))
		value := string(v)
		h[name] = append(h[name], value)
		switch {
		case equalFold(k, "upgrade"):
			found, ok := hasToken(v, "websocket")
			upgrade = upgrade || found && ok
		case equalFold(k, "connection"):
			found, ok := hasToken(v, "upgrade")
			connection = connection || found && ok
		case equalFold(k, "sec-websocket-accept"):
			accept = v
			nAccept++
		case equalFold(k, "sec-websocket-protocol"):
			protocol = v
			nProtocol++
		case equalFold(k, "sec-websocket-extensions"):
			exts = append(exts, value)
		}
	}

	if sl.Status != http.StatusSwitchingProtocols {
		return res, &StatusError{Code: sl.Status, Status: string(sl.Reason)}
	}
	switch {
	case !upgrade:
		return res, ErrResponseUpgrade
	case !connection:
		return res, ErrResponseConnection
	case nAccept == 0:
		return res, ErrMissingAccept
	}
	var want [AcceptLen]byte
	AcceptKey(&want, key[:])
	if nAccept != 1 || !bytes.Equal(accept, want[:]) {
		return res, ErrBadAccept
	}
	if nProtocol > 0 {
		i := indexOf(offered, protocol)
		if nProtocol != 1 || i < 0 {
			return res, ErrProtocolNotOffered
		}
		res.Protocol = offered[i]
	}
	res.Extensions = strings.Join(exts, ", ")
	res.Header = h
	res.HeadLen = len(b) - len(rest)
	return res, nil
}

// indexOf returns the index of the offered protocol equal to p, or -1.
// Subprotocol names compare exactly (RFC 6455 §11.3.4 registers tokens).
func indexOf(offered []string, p []byte) int {
	for i, o := range offered {
		if o == string(p) {
			return i
		}
	}
	return -1
}

// httpVersion reports whether v is an HTTP-version as RFC 9112 §2.3 spells
// it, "HTTP/" DIGIT "." DIGIT. httphead's number parser takes any byte for
// a digit ("HTTP/1.;" reads as 1.11), so the bytes are checked here.
func httpVersion(v []byte) bool {
	return len(v) == 8 && string(v[:5]) == "HTTP/" && isDigit(v[5]) && v[6] == '.' && isDigit(v[7])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// statusDigits reports whether the status line has the shape RFC 9112 §4
// gives it: the version, one space, exactly three digits, then a space or
// the end ("10;" would read as 111 through httphead).
func statusDigits(line []byte) bool {
	if len(line) < 12 || line[8] != ' ' || len(line) > 12 && line[12] != ' ' {
		return false
	}
	return isDigit(line[9]) && isDigit(line[10]) && isDigit(line[11]) && line[9] != '0'
}
