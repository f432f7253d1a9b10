package handshake

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/httphead"
)

// head joins header lines into a request head.
func head(lines ...string) string {
	return strings.Join(lines, "\r\n") + "\r\n\r\n"
}

// valid is a minimal valid request; tests change one line at a time.
var valid = []string{
	"GET /chat HTTP/1.1",
	"Host: server.example.com",
	"Upgrade: websocket",
	"Connection: Upgrade",
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
	"Sec-WebSocket-Version: 13",
}

// with returns valid with the line starting with prefix replaced by repl
// (dropped if repl is ""), or repl appended if no line matches.
func with(prefix, repl string) []string {
	out := slices.Clone(valid)
	for i, l := range out {
		if strings.HasPrefix(l, prefix) {
			if repl == "" {
				return slices.Delete(out, i, i+1)
			}
			out[i] = repl
			return out
		}
	}
	return append(out, repl)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf(
			"read fixture: %v",
			err,
		)
	}
	return b
}

const rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

// acceptCase is a request Upgrade must accept, with the answer it must give.
type acceptCase struct {
	name     string
	req      string
	cfg      Config
	wantResp string
	check    func(t *testing.T, res *Result)
}

// acceptCases are shared by TestUpgradeAccepts and TestUpgradeHTTPParity.
func acceptCases(t testing.TB) []acceptCase {
	permessageDeflate := func(offers []httphead.Option) ([]httphead.Option, error) {
		for _, o := range offers {
			if string(o.Name) == "permessage-deflate" {
				var p httphead.Parameters
				p.Set([]byte("server_no_context_takeover"), nil)
				p.Set([]byte("server_max_window_bits"), []byte("10"))
				return []httphead.Option{{Name: o.Name, Parameters: p}}, nil
			}
		}
		return nil, nil
	}
	return []acceptCase{
		{
			name: "rfc6455 section 1.2 example with subprotocol",
			req:  string(fixture(t, "rfc6455.http")),
			cfg: Config{
				Protocols: []string{"chat"},
			},
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + rfcAccept + "\r\n" +
				"Sec-WebSocket-Protocol: chat\r\n\r\n",
			check: func(t *testing.T, res *Result) {
				r := &res.Request
				if r.Path != "/chat" || r.RawQuery != "" || r.Host != "server.example.com" ||
					r.Origin != "http://example.com" || string(r.Key[:]) != "dGhlIHNhbXBsZSBub25jZQ==" {
					t.Errorf(
						"request = %+v",
						r,
					)
				}
				if !slices.Equal(r.Protocols, []string{"chat", "superchat"}) {
					t.Errorf(
						"Protocols = %q",
						r.Protocols,
					)
				}
			},
		},
		{
			name: "chrome request without subprotocol",
			req:  string(fixture(t, "chrome.http")),
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + rfcAccept + "\r\n\r\n",
			check: func(t *testing.T, res *Result) {
				r := &res.Request
				if r.Path != "/chat" || r.RawQuery != "room=lobby" || r.Host != "example.com:8080" ||
					r.Origin != "https://example.com" || r.Protocols != nil || r.Header != nil || r.Extensions != nil {
					t.Errorf(
						"request = %+v",
						r,
					)
				}
			},
		},
		{
			name: "firefox request with keep-alive Connection list and deflate offer",
			req:  string(fixture(t, "firefox.http")),
			cfg: Config{
				Protocols: []string{"v1.chat", "v2.chat"},
				Negotiate: permessageDeflate,
			},
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n" +
				"Sec-WebSocket-Protocol: v1.chat\r\n" +
				"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=10\r\n\r\n",
			check: func(t *testing.T, res *Result) {
				if res.Protocol != "v1.chat" {
					t.Errorf(
						"Protocol = %q, want the server's first choice v1.chat",
						res.Protocol,
					)
				}
				if len(res.Request.Extensions) != 1 || string(res.Request.Extensions[0].Name) != "permessage-deflate" {
					t.Errorf(
						"offers = %v",
						res.Request.Extensions,
					)
				}
				if len(res.Extensions) != 1 {
					t.Errorf(
						"accepted = %v",
						res.Extensions,
					)
				}
			},
		},
		{
			name: "header names and tokens in any case",
			req: head(
				"GET / HTTP/1.1",
				"hOST: h",
				"UPGRADE: WebSocket",
				"connection: UPGRADE",
				"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
				"SEC-WEBSOCKET-VERSION: 13",
			),
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + rfcAccept + "\r\n\r\n",
		},
		{
			name: "no common subprotocol selects none",
			req:  head(with("Sec-WebSocket-Protocol", "Sec-WebSocket-Protocol: mqtt")...),
			cfg: Config{
				Protocols: []string{"chat"},
			},
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + rfcAccept + "\r\n\r\n",
			check: func(t *testing.T, res *Result) {
				if res.Protocol != "" || !slices.Equal(res.Request.Protocols, []string{"mqtt"}) {
					t.Errorf(
						"Protocol = %q, offered %q",
						res.Protocol,
						res.Request.Protocols,
					)
				}
			},
		},
		{
			name: "subprotocols on repeated header lines",
			req: head(append(slices.Clone(valid),
				"Sec-WebSocket-Protocol: a, b",
				"Sec-WebSocket-Protocol: c")...),
			cfg: Config{
				Protocols: []string{"c"},
			},
			check: func(t *testing.T, res *Result) {
				if res.Protocol != "c" || !slices.Equal(res.Request.Protocols, []string{"a", "b", "c"}) {
					t.Errorf(
						"Protocol = %q, offered %q",
						res.Protocol,
						res.Request.Protocols,
					)
				}
			},
		},
		{
			name: "extension offer ignored without Negotiate",
			req:  head(with("Sec-WebSocket-Extensions", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")...),
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + rfcAccept + "\r\n\r\n",
			check: func(t *testing.T, res *Result) {
				if res.Request.Extensions != nil || res.Extensions != nil {
					t.Errorf(
						"extensions parsed without Negotiate: %v %v",
						res.Request.Extensions,
						res.Extensions,
					)
				}
			},
		},
		{
			name: "extension parameter value that needs quoting",
			req: head(append(slices.Clone(valid),
				"Sec-WebSocket-Extensions: x-test; a=1",
				"Sec-WebSocket-Extensions: x-other")...),
			cfg: Config{
				Negotiate: func(offers []httphead.Option) ([]httphead.Option, error) {
					var p httphead.Parameters
					p.Set([]byte("v"), []byte(`a "b"`))
					return []httphead.Option{offers[0], {Name: offers[1].Name, Parameters: p}}, nil
				},
			},
			wantResp: "HTTP/1.1 101 Switching Protocols\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Accept: " + rfcAccept + "\r\n" +
				"Sec-WebSocket-Extensions: x-test; a=1, x-other; v=\"a \\\"b\\\"\"\r\n\r\n",
		},
		{
			name: "absolute-form target",
			req:  head(with("GET", "GET wss://proxied.example:8443/a/b?x=1&y=%20 HTTP/1.1")...),
			check: func(t *testing.T, res *Result) {
				if res.Request.Path != "/a/b" || res.Request.RawQuery != "x=1&y=%20" || res.Request.Host != "proxied.example:8443" {
					t.Errorf(
						"Path %q RawQuery %q",
						res.Request.Path,
						res.Request.RawQuery,
					)
				}
			},
		},
		{
			name: "absolute-form target without path",
			req:  head(with("GET", "GET http://server.example.com HTTP/1.1")...),
			check: func(t *testing.T, res *Result) {
				if res.Request.Path != "/" || res.Request.RawQuery != "" {
					t.Errorf(
						"Path %q RawQuery %q",
						res.Request.Path,
						res.Request.RawQuery,
					)
				}
			},
		},
		{
			name: "kept headers",
			req: head(append(slices.Clone(valid),
				"Cookie: a=1",
				"X-Trace:  t1 ",
				"cookie: b=2")...),
			cfg: Config{
				KeepHeaders: []string{"COOKIE", "x-trace", "X-Absent"},
			},
			check: func(t *testing.T, res *Result) {
				want := http.Header{"Cookie": {"a=1", "b=2"}, "X-Trace": {"t1"}}
				if len(res.Request.Header) != len(want) ||
					!slices.Equal(res.Request.Header["Cookie"], want["Cookie"]) ||
					!slices.Equal(res.Request.Header["X-Trace"], want["X-Trace"]) {
					t.Errorf(
						"Header = %v, want %v",
						res.Request.Header,
						want,
					)
				}
			},
		},
		{
			name: "route and origin hooks that accept",
			req:  string(fixture(t, "chrome.http")),
			cfg: Config{
				Route: func(path string) bool { return path == "/chat" },
				CheckOrigin: func(r Request) bool {
					return r.Origin == "https://example.com" && r.Host == "example.com:8080"
				},
			},
		},
		{
			name: "later HTTP/1.x minor version",
			req:  head(with("GET", "GET /chat HTTP/1.2")...),
		},
	}
}

func TestUpgradeAccepts(t *testing.T) {
	tests := acceptCases(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.req)
			res, out, err := Upgrade(b, &tc.cfg, []byte("prefix:"))
			if err != nil {
				t.Fatalf(
					"Upgrade: %v\nresponse:\n%s",
					err,
					out,
				)
			}
			if !bytes.HasPrefix(out, []byte("prefix:")) {
				t.Fatalf(
					"out lost its prefix: %q",
					out,
				)
			}
			out = out[len("prefix:"):]
			if tc.wantResp != "" && string(out) != tc.wantResp {
				t.Errorf(
					"response:\n%q\nwant:\n%q",
					out,
					tc.wantResp,
				)
			}
			checkSwitching(t, out, res.Request.Key)
			if res.HeadLen != len(b) {
				t.Errorf(
					"HeadLen = %d, want %d",
					res.HeadLen,
					len(b),
				)
			}
			// The result must not alias b: wreck b and look again.
			before := res.Request.Path + "|" + res.Request.Host + "|" + res.Request.Origin + "|" + strings.Join(res.Request.Protocols, ",")
			for i := range b {
				b[i] = 'X'
			}
			after := res.Request.Path + "|" + res.Request.Host + "|" + res.Request.Origin + "|" + strings.Join(res.Request.Protocols, ",")
			if before != after {
				t.Errorf(
					"Request aliases the input: %q became %q",
					before,
					after,
				)
			}
			if tc.check != nil {
				tc.check(t, &res)
			}
		})
	}
}

// checkSwitching verifies a 101 response with the client's own parser.
func checkSwitching(t *testing.T, out []byte, key [KeyLen]byte) {
	t.Helper()
	if _, err := ParseResponse(out, key, []string{"chat", "v1.chat", "v2.chat", "c", "mqtt"}); err != nil {
		t.Errorf(
			"ParseResponse of our 101: %v\n%s",
			err,
			out,
		)
	}
}

// rejectCase is a request Upgrade must refuse, with the refusal.
type rejectCase struct {
	name     string
	req      string
	cfg      Config
	want     *RejectError
	wantResp string // exact response when set
	wantHdr  string // a header line the response must contain
}

// errHook is the error of the Negotiate hooks that refuse.
var errHook = errors.New("hook says no")

// rejectCases are shared by TestUpgradeRejects and TestUpgradeHTTPParity.
func rejectCases() []rejectCase {
	return []rejectCase{
		{
			name: "head larger than MaxHeaderBytes",
			req:  head(valid...),
			cfg: Config{
				MaxHeaderBytes: 64,
			},
			want: ErrHeaderTooLarge,
			wantResp: "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
				"Connection: close\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 22\r\n\r\n" +
				"request head too large",
		},
		{
			name: "incomplete head that reached MaxHeaderBytes",
			req:  strings.Repeat("a", 64),
			cfg: Config{
				MaxHeaderBytes: 64,
			},
			want: ErrHeaderTooLarge,
		},
		{
			name: "empty request line",
			req:  "\r\n\r\n",
			want: ErrMalformedRequest,
		},
		{
			name: "request line without version",
			req:  head(with("GET", "GET /chat")...),
			want: ErrMalformedRequest,
		},
		{
			// httphead reads any byte as a digit: "1.;" is 1.11.
			name: "version with a non-digit",
			req:  head(with("GET", "GET /chat HTTP/1.;")...),
			want: ErrMalformedRequest,
		},
		{
			name: "version with two-digit minor",
			req:  head(with("GET", "GET /chat HTTP/1.11")...),
			want: ErrMalformedRequest,
		},
		{
			name: "request line with extra space",
			req:  head(with("GET", "GET  /chat HTTP/1.1")...),
			want: ErrMalformedRequest,
		},
		{
			name: "control character in target",
			req:  head(with("GET", "GET /ch\x01at HTTP/1.1")...),
			want: ErrMalformedRequest,
		},
		{
			name: "fragment in target",
			req:  head(with("GET", "GET /chat#frag HTTP/1.1")...),
			want: ErrMalformedRequest,
		},
		{
			name: "obsolete line folding",
			req:  head(append(slices.Clone(valid), "X-A: a", " folded")...),
			want: ErrMalformedRequest,
		},
		{
			name: "header line without colon",
			req:  head(append(slices.Clone(valid), "X-A a")...),
			want: ErrMalformedRequest,
		},
		{
			name: "space before colon",
			req:  head(with("Host", "Host : h")...),
			want: ErrMalformedRequest,
		},
		{
			name: "empty header name",
			req:  head(append(slices.Clone(valid), ": v")...),
			want: ErrMalformedRequest,
		},
		{
			name: "bare CR inside a value",
			req:  head(append(slices.Clone(valid), "X-A: a\rb")...),
			want: ErrMalformedRequest,
		},
		{
			name: "bare LF inside a value",
			req:  head(append(slices.Clone(valid), "X-A: a\nX-B: b")...),
			want: ErrMalformedRequest,
		},
		{
			name: "repeated Origin",
			req:  head(append(slices.Clone(valid), "Origin: http://a", "Origin: http://b")...),
			want: ErrMalformedRequest,
		},
		{
			name: "HTTP/1.0",
			req:  head(with("GET", "GET /chat HTTP/1.0")...),
			want: ErrBadHTTPVersion,
		},
		{
			name: "HTTP/2.0 text",
			req:  head(with("GET", "GET /chat HTTP/2.0")...),
			want: ErrBadHTTPVersion,
		},
		{
			name: "POST",
			req:  head(with("GET", "POST /chat HTTP/1.1")...),
			want: ErrBadMethod,
			wantResp: "HTTP/1.1 405 Method Not Allowed\r\n" +
				"Connection: close\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 30\r\n" +
				"Allow: GET\r\n\r\n" +
				"WebSocket upgrade requires GET",
		},
		{
			name: "lower-case method",
			req:  head(with("GET", "get /chat HTTP/1.1")...),
			want: ErrBadMethod,
		},
		{
			name: "asterisk target",
			req:  head(with("GET", "GET * HTTP/1.1")...),
			want: ErrBadURI,
		},
		{
			name: "absolute-form target with empty authority",
			req:  head(with("GET", "GET ws:///chat HTTP/1.1")...),
			want: ErrBadHost,
		},
		{
			name: "relative target",
			req:  head(with("GET", "GET chat HTTP/1.1")...),
			want: ErrBadURI,
		},
		{
			name: "missing Host",
			req:  head(with("Host", "")...),
			want: ErrBadHost,
		},
		{
			name: "empty Host",
			req:  head(with("Host", "Host:")...),
			want: ErrBadHost,
		},
		{
			name: "repeated Host",
			req:  head(append(slices.Clone(valid), "Host: other")...),
			want: ErrBadHost,
		},
		{
			name: "missing Upgrade",
			req:  head(with("Upgrade", "")...),
			want: ErrBadUpgrade,
		},
		{
			name: "Upgrade to another protocol",
			req:  head(with("Upgrade", "Upgrade: h2c")...),
			want: ErrBadUpgrade,
		},
		{
			name: "missing Connection",
			req:  head(with("Connection", "")...),
			want: ErrBadConnection,
		},
		{
			name: "Connection without upgrade token",
			req:  head(with("Connection", "Connection: keep-alive")...),
			want: ErrBadConnection,
		},
		{
			name: "Connection with upgrade as substring only",
			req:  head(with("Connection", "Connection: upgraded")...),
			want: ErrBadConnection,
		},
		{
			name: "missing key",
			req:  head(with("Sec-WebSocket-Key", "")...),
			want: ErrBadKey,
		},
		{
			name: "short key",
			req:  head(with("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==")...),
			want: ErrBadKey,
		},
		{
			name: "key of 24 chars that is not base64",
			req:  head(with("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ!==")...),
			want: ErrBadKey,
		},
		{
			name: "key of 24 base64 chars that decode to 18 bytes",
			req:  head(with("Sec-WebSocket-Key", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAAA")...),
			want: ErrBadKey,
		},
		{
			name: "repeated key",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==")...),
			want: ErrBadKey,
		},
		{
			name: "missing version",
			req:  head(with("Sec-WebSocket-Version", "")...),
			want: ErrMissingVersion,
		},
		{
			name: "repeated version",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Version: 13")...),
			want: ErrMissingVersion,
		},
		{
			name: "version 8",
			req:  head(with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")...),
			want: ErrUnsupportedVersion,
			wantResp: "HTTP/1.1 426 Upgrade Required\r\n" +
				"Connection: close\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 33\r\n" +
				"Upgrade: websocket\r\n" +
				"Sec-WebSocket-Version: 13\r\n\r\n" +
				"unsupported Sec-WebSocket-Version",
		},
		{
			name: "malformed subprotocol list",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Protocol: chat/1")...),
			want: ErrBadProtocols,
		},
		{
			name: "empty subprotocol list",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Protocol:")...),
			want: ErrBadProtocols,
		},
		{
			name: "malformed extension list",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: =x")...),
			want: ErrBadExtensions,
		},
		{
			name: "too many subprotocol header lines",
			req:  head(append(slices.Clone(valid), slices.Repeat([]string{"Sec-WebSocket-Protocol: a"}, MaxRepeatedHeaders+1)...)...),
			want: ErrTooManyHeaders,
		},
		{
			name: "too many extension header lines",
			req:  head(append(slices.Clone(valid), slices.Repeat([]string{"Sec-WebSocket-Extensions: a"}, MaxRepeatedHeaders+1)...)...),
			want: ErrTooManyHeaders,
		},
		{
			name: "route refuses the path",
			req:  head(valid...),
			cfg: Config{
				Route: func(path string) bool { return path == "/other" },
			},
			want: ErrNotFound,
			wantResp: "HTTP/1.1 404 Not Found\r\n" +
				"Connection: close\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 34\r\n\r\n" +
				"no WebSocket endpoint at this path",
		},
		{
			name: "origin refused",
			req:  head(append(slices.Clone(valid), "Origin: https://evil.example")...),
			cfg: Config{
				CheckOrigin: func(r Request) bool { return r.Origin == "https://good.example" },
			},
			want: ErrForbiddenOrigin,
			wantResp: "HTTP/1.1 403 Forbidden\r\n" +
				"Connection: close\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 18\r\n\r\n" +
				"origin not allowed",
		},
		{
			name: "negotiate fails with a plain error",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: x-a")...),
			cfg: Config{
				Negotiate: func([]httphead.Option) ([]httphead.Option, error) { return nil, errHook },
			},
			want: ErrExtensionRefused,
		},
		{
			name: "negotiate fails with its own status",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: x-a")...),
			cfg: Config{
				Negotiate: func([]httphead.Option) ([]httphead.Option, error) {
					return nil, &RejectError{Status: http.StatusConflict, Reason: "busy"}
				},
			},
			want: &RejectError{Status: http.StatusConflict, Reason: "busy"},
			wantResp: "HTTP/1.1 409 Conflict\r\n" +
				"Connection: close\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 4\r\n\r\n" +
				"busy",
		},
		{
			name: "negotiate fails with an out of range status",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: x-a")...),
			cfg: Config{
				Negotiate: func([]httphead.Option) ([]httphead.Option, error) {
					return nil, &RejectError{Status: 200, Reason: "odd"}
				},
			},
			want: &RejectError{Status: http.StatusBadRequest, Reason: "odd"},
		},
		{
			name: "negotiate accepts an extension that was not offered",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: x-a")...),
			cfg: Config{
				Negotiate: func([]httphead.Option) ([]httphead.Option, error) {
					return []httphead.Option{{Name: []byte("x-b")}}, nil
				},
			},
			want: ErrBadNegotiation,
		},
		{
			name: "negotiate returns a parameter with CRLF",
			req:  head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: x-a")...),
			cfg: Config{
				Negotiate: func(offers []httphead.Option) ([]httphead.Option, error) {
					var p httphead.Parameters
					p.Set([]byte("k"), []byte("v\r\nX-Injected: 1"))
					return []httphead.Option{{Name: offers[0].Name, Parameters: p}}, nil
				},
			},
			want: ErrBadNegotiation,
		},
	}
}

func TestUpgradeRejects(t *testing.T) {
	tests := rejectCases()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, out, err := Upgrade([]byte(tc.req), &tc.cfg, nil)
			var rej *RejectError
			if !errors.As(err, &rej) {
				t.Fatalf(
					"error %v is not a *RejectError",
					err,
				)
			}
			if !errors.Is(err, tc.want) || rej.Status != tc.want.Status {
				t.Fatalf(
					"error = %v, want %v",
					err,
					tc.want,
				)
			}
			if tc.wantResp != "" && string(out) != tc.wantResp {
				t.Errorf(
					"response:\n%q\nwant:\n%q",
					out,
					tc.wantResp,
				)
			}
			checkErrorResponse(t, out, rej)
			if res.Request.Path != "" || res.Request.Host != "" || res.HeadLen != 0 || res.Protocol != "" {
				t.Errorf(
					"result not zero on rejection: %+v",
					res,
				)
			}
		})
	}
	t.Run("negotiate error is wrapped", func(t *testing.T) {
		cfg := Config{
			Negotiate: func([]httphead.Option) ([]httphead.Option, error) { return nil, errHook },
		}
		_, _, err := Upgrade([]byte(head(append(slices.Clone(valid), "Sec-WebSocket-Extensions: x-a")...)), &cfg, nil)
		if !errors.Is(err, errHook) {
			t.Errorf(
				"error %v does not wrap the hook's error",
				err,
			)
		}
	})
}

// checkErrorResponse checks the shape every rejection must have.
func checkErrorResponse(t *testing.T, out []byte, rej *RejectError) {
	t.Helper()
	end := HeaderEnd(out)
	if end < 0 {
		t.Fatalf(
			"response has no complete head: %q",
			out,
		)
	}
	hd, body := string(out[:end]), string(out[end:])
	if !strings.HasPrefix(hd, "HTTP/1.1 "+strconv.Itoa(rej.Status)+" ") {
		t.Errorf(
			"status line of %q, want %d",
			hd,
			rej.Status,
		)
	}
	for _, line := range []string{
		"\r\nConnection: close\r\n",
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n",
	} {
		if !strings.Contains(hd, line) {
			t.Errorf(
				"response lacks %q:\n%s",
				line,
				hd,
			)
		}
	}
	if body != rej.Reason {
		t.Errorf(
			"body %q, want %q",
			body,
			rej.Reason,
		)
	}
}

func TestUpgradeIncomplete(t *testing.T) {
	full := []byte(head(valid...))
	for n := 0; n < len(full); n++ {
		res, out, err := Upgrade(full[:n], nil, []byte("keep"))
		if err != ErrIncomplete || string(out) != "keep" || res.HeadLen != 0 {
			t.Fatalf(
				"Upgrade(%d of %d bytes) = %v, %q",
				n,
				len(full),
				err,
				out,
			)
		}
	}
}

func TestUpgradeTrailingFrames(t *testing.T) {
	hd := head(valid...)
	frame := "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
	res, _, err := Upgrade([]byte(hd+frame), nil, nil)
	if err != nil {
		t.Fatalf(
			"Upgrade: %v",
			err,
		)
	}
	if res.HeadLen != len(hd) {
		t.Errorf(
			"HeadLen = %d, want %d",
			res.HeadLen,
			len(hd),
		)
	}
}

func TestUpgradeDoesNotModifyInputs(t *testing.T) {
	in := fixture(t, "firefox.http")
	orig := slices.Clone(in)
	protocols := []string{"v1.chat"}
	keep := []string{"user-agent"}
	cfg := Config{Protocols: protocols, KeepHeaders: keep}
	if _, _, err := Upgrade(in, &cfg, nil); err != nil {
		t.Fatalf(
			"Upgrade: %v",
			err,
		)
	}
	if !bytes.Equal(in, orig) || keep[0] != "user-agent" || protocols[0] != "v1.chat" {
		t.Errorf("Upgrade modified its input or config")
	}
}
