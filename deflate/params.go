package deflate

import (
	"fmt"
	"strconv"

	"github.com/surgews/surge/extension"
)

// Parameter names of RFC 7692 §7.1.
const (
	ParamServerNoContextTakeover = "server_no_context_takeover"
	ParamClientNoContextTakeover = "client_no_context_takeover"
	ParamServerMaxWindowBits     = "server_max_window_bits"
	ParamClientMaxWindowBits     = "client_max_window_bits"
)

// Params are the parameters negotiated for one session (RFC 7692 §7.1).
// Window sizes are powers of two, 8-15; 15 means no limit was agreed.
type Params struct {
	// ServerNoContextTakeover: the server compresses every message with a
	// fresh LZ77 window.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client compresses every message with a
	// fresh LZ77 window.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits is the largest window the server compresses with.
	ServerMaxWindowBits int
	// ClientMaxWindowBits is the largest window the client compresses with.
	ClientMaxWindowBits int
}

// String renders p as the response parameters of a Sec-WebSocket-Extensions
// header, for logs.
func (p Params) String() string {
	b := []byte(ExtensionName)
	for _, q := range p.response(p.ServerMaxWindowBits < MaxWindowBits, p.ClientMaxWindowBits < MaxWindowBits) {
		b = append(b, "; "...)
		b = append(b, q.Name...)
		if q.Value != "" {
			b = append(b, '=')
			b = append(b, q.Value...)
		}
	}
	return string(b)
}

// response lists p as response parameters, the window sizes only when asked
// to: a server must answer server_max_window_bits when it was offered, and
// must not send client_max_window_bits when it was not (RFC 7692 §7.1.2).
func (p Params) response(serverBits, clientBits bool) []extension.Param {
	var out []extension.Param
	if p.ServerNoContextTakeover {
		out = append(out, extension.Param{Name: ParamServerNoContextTakeover})
	}
	if p.ClientNoContextTakeover {
		out = append(out, extension.Param{Name: ParamClientNoContextTakeover})
	}
	if serverBits {
		out = append(out, extension.Param{Name: ParamServerMaxWindowBits, Value: strconv.Itoa(p.ServerMaxWindowBits)})
	}
	if clientBits {
		out = append(out, extension.Param{Name: ParamClientMaxWindowBits, Value: strconv.Itoa(p.ClientMaxWindowBits)})
	}
	return out
}

// parsed is one offer or response, checked for RFC 7692 §7.1's syntax:
// known names only, each at most once, valid values.
type parsed struct {
	serverNCT, clientNCT bool
	hasServerBits        bool
	serverBits           int // 0 when absent
	hasClientBits        bool
	clientBits           int // 0 when absent or given without a value
}

// parseParams checks ps. bareClientBits allows client_max_window_bits
// without a value, which only an offer may carry (RFC 7692 §7.1.2.2).
func parseParams(ps []extension.Param, bareClientBits bool) (parsed, error) {
	var r parsed
	for _, p := range ps {
		v := unquote(p.Value)
		switch p.Name {
		case ParamServerNoContextTakeover, ParamClientNoContextTakeover:
			flag := &r.serverNCT
			if p.Name == ParamClientNoContextTakeover {
				flag = &r.clientNCT
			}
			if *flag {
				return r, fmt.Errorf("%w: %s", ErrDuplicateParam, p.Name)
			}
			if p.Value != "" {
				return r, fmt.Errorf("%w: %s=%q takes no value", ErrInvalidParam, p.Name, p.Value)
			}
			*flag = true
		case ParamServerMaxWindowBits:
			if r.hasServerBits {
				return r, fmt.Errorf("%w: %s", ErrDuplicateParam, p.Name)
			}
			b, ok := parseBits(v)
			if !ok {
				return r, fmt.Errorf("%w: %s=%q", ErrInvalidParam, p.Name, p.Value)
			}
			r.hasServerBits, r.serverBits = true, b
		case ParamClientMaxWindowBits:
			if r.hasClientBits {
				return r, fmt.Errorf("%w: %s", ErrDuplicateParam, p.Name)
			}
			r.hasClientBits = true
			if v == "" && bareClientBits {
				continue
			}
			b, ok := parseBits(v)
			if !ok {
				return r, fmt.Errorf("%w: %s=%q", ErrInvalidParam, p.Name, p.Value)
			}
			r.clientBits = b
		default:
			return r, fmt.Errorf("%w: %q", ErrUnknownParam, p.Name)
		}
	}
	return r, nil
}

// parseBits parses a window size: "8" to "15", decimal, no leading zeros
// (RFC 7692 §7.1.2.1).
func parseBits(v string) (int, bool) {
	switch len(v) {
	case 1:
		if v[0] == '8' || v[0] == '9' {
			return int(v[0] - '0'), true
		}
	case 2:
		if v[0] == '1' && v[1] >= '0' && v[1] <= '5' {
			return 10 + int(v[1]-'0'), true
		}
	}
	return 0, false
}

// unquote strips the quotes of a quoted-string value (RFC 7692 §7.1 allows
// either form), in case the header parser kept them.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
