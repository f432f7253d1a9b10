package handshake

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

var rfcKey = [KeyLen]byte([]byte("dGhlIHNhbXBsZSBub25jZQ=="))

func TestAppendRequest(t *testing.T) {
	tests := []struct {
		name string
		req  ClientRequest
		want string
	}{
		{
			name: "minimal",
			req: ClientRequest{
				Host: "server.example.com",
			},
			want: "GET / HTTP/1.1\r\n" +
				"Host: server.example.com\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
				"Sec-WebSocket-Version: 13\r\n\r\n",
		},
		{
			name: "everything",
			req: ClientRequest{
				Host:       "[::1]:9001",
				Path:       "/chat?room=1",
				Protocols:  []string{"chat", "superchat"},
				Extensions: "permessage-deflate; client_max_window_bits",
				Header: http.Header{
					"Origin": {"http://example.com"},
					"Cookie": {"a=1", "b=2"},
				},
			},
			want: "GET /chat?room=1 HTTP/1.1\r\n" +
				"Host: [::1]:9001\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
				"Sec-WebSocket-Version: 13\r\n" +
				"Sec-WebSocket-Protocol: chat, superchat\r\n" +
				"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
				"Cookie: a=1\r\n" +
				"Cookie: b=2\r\n" +
				"Origin: http://example.com\r\n\r\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := rfcKey
			out, err := appendRequest([]byte("x"), &tc.req, &key)
			if err != nil {
				t.Fatalf(
					"appendRequest: %v",
					err,
				)
			}
			if got := string(out); got != "x"+tc.want {
				t.Errorf(
					"request:\n%q\nwant:\n%q",
					got,
					"x"+tc.want,
				)
			}
			// Our own server must accept what our client writes.
			if _, _, err := Upgrade(out[1:], nil, nil); err != nil {
				t.Errorf(
					"Upgrade of our own request: %v",
					err,
				)
			}
		})
	}
}

func TestAppendRequestRejects(t *testing.T) {
	tests := []struct {
		name string
		req  ClientRequest
	}{
		{name: "empty host", req: ClientRequest{}},
		{name: "host with CRLF", req: ClientRequest{Host: "h\r\nX: 1"}},
		{name: "host with space", req: ClientRequest{Host: "h x"}},
		{name: "relative path", req: ClientRequest{Host: "h", Path: "chat"}},
		{name: "path with space", req: ClientRequest{Host: "h", Path: "/a b"}},
		{name: "path with fragment", req: ClientRequest{Host: "h", Path: "/a#b"}},
		{name: "protocol that is not a token", req: ClientRequest{Host: "h", Protocols: []string{"a b"}}},
		{name: "empty protocol", req: ClientRequest{Host: "h", Protocols: []string{""}}},
		{name: "extensions with LF", req: ClientRequest{Host: "h", Extensions: "x\ny"}},
		{name: "header name that is not a token", req: ClientRequest{Host: "h", Header: http.Header{"A B": {"1"}}}},
		{name: "header value with CR", req: ClientRequest{Host: "h", Header: http.Header{"A": {"1\r"}}}},
		{name: "reserved header", req: ClientRequest{Host: "h", Header: http.Header{"Sec-Websocket-Key": {"k"}}}},
		{name: "reserved header in odd case", req: ClientRequest{Host: "h", Header: http.Header{"upgrade": {"h2c"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := AppendRequest([]byte("x"), &tc.req)
			if !errors.Is(err, ErrBadClientRequest) {
				t.Errorf(
					"error = %v, want ErrBadClientRequest",
					err,
				)
			}
			if string(out) != "x" {
				t.Errorf(
					"dst changed on error: %q",
					out,
				)
			}
		})
	}
}

func TestAppendRequestKeys(t *testing.T) {
	seen := map[[KeyLen]byte]bool{}
	for i := 0; i < 64; i++ {
		_, key, err := AppendRequest(nil, &ClientRequest{Host: "h"})
		if err != nil {
			t.Fatalf(
				"AppendRequest: %v",
				err,
			)
		}
		if !validKey(key[:]) {
			t.Fatalf(
				"key %q is not base64 of 16 bytes",
				key,
			)
		}
		if seen[key] {
			t.Fatalf(
				"key %q repeated",
				key,
			)
		}
		seen[key] = true
	}
}

// response builds a response head from lines.
func response(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n\r\n")
}

// switching is a valid 101 for rfcKey. Tests must not append to a
// shortened copy of it, which would overwrite its last line.
var switching = []string{
	"HTTP/1.1 101 Switching Protocols",
	"Upgrade: websocket",
	"Connection: Upgrade",
	"Sec-WebSocket-Accept: " + rfcAccept,
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		resp    []byte
		offered []string
		want    ClientResult
		wantErr error
	}{
		{
			name: "rfc6455 example",
			resp: response(switching...),
			want: ClientResult{},
		},
		{
			name:    "subprotocol and extensions",
			resp:    response(append(switching, "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: a", "Sec-WebSocket-Extensions: b; x=1")...),
			offered: []string{"superchat", "chat"},
			want: ClientResult{
				Protocol:   "chat",
				Extensions: "a, b; x=1",
			},
		},
		{
			name: "header names and tokens in any case",
			resp: response("HTTP/1.1 101 Web Socket Protocol Handshake",
				"upgrade: WebSocket",
				"CONNECTION: keep-alive, upgrade",
				"sec-websocket-accept: "+rfcAccept),
		},
		{
			name:    "incomplete",
			resp:    []byte("HTTP/1.1 101 Switching Protocols\r\n"),
			wantErr: ErrIncomplete,
		},
		{
			// httphead reads any byte as a digit: "10;" is 111.
			name:    "status with a non-digit",
			resp:    response("HTTP/1.1 10; "),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "two-digit status",
			resp:    response("HTTP/1.1 99 Odd"),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "version with a non-digit",
			resp:    response("HTTP/1.; 101 Switching Protocols"),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "garbage status line",
			resp:    response("HTTP/1.1 abc Switching Protocols"),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "HTTP/1.0",
			resp:    response(append([]string{"HTTP/1.0 101 Switching Protocols"}, switching[1:]...)...),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "folded header",
			resp:    response(append(switching, " folded")...),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "header without colon",
			resp:    response(append(switching, "Oops")...),
			wantErr: ErrMalformedResponse,
		},
		{
			name:    "forbidden",
			resp:    response("HTTP/1.1 403 Forbidden", "Content-Length: 0"),
			wantErr: &StatusError{Code: 403, Status: "Forbidden"},
		},
		{
			name:    "missing Upgrade",
			resp:    response(switching[0], switching[2], switching[3]),
			wantErr: ErrResponseUpgrade,
		},
		{
			name:    "missing Connection",
			resp:    response(switching[0], switching[1], switching[3]),
			wantErr: ErrResponseConnection,
		},
		{
			name:    "missing accept",
			resp:    response(switching[:3]...),
			wantErr: ErrMissingAccept,
		},
		{
			name:    "wrong accept",
			resp:    response(switching[0], switching[1], switching[2], "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk="),
			wantErr: ErrBadAccept,
		},
		{
			name:    "repeated accept",
			resp:    response(append(switching, "Sec-WebSocket-Accept: "+rfcAccept)...),
			wantErr: ErrBadAccept,
		},
		{
			name:    "subprotocol that was not offered",
			resp:    response(append(switching, "Sec-WebSocket-Protocol: mqtt")...),
			offered: []string{"chat"},
			wantErr: ErrProtocolNotOffered,
		},
		{
			name:    "subprotocol when none was offered",
			resp:    response(append(switching, "Sec-WebSocket-Protocol: chat")...),
			wantErr: ErrProtocolNotOffered,
		},
		{
			name:    "two subprotocols",
			resp:    response(append(switching, "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat")...),
			offered: []string{"chat"},
			wantErr: ErrProtocolNotOffered,
		},
		{
			name:    "subprotocol list",
			resp:    response(append(switching, "Sec-WebSocket-Protocol: chat, superchat")...),
			offered: []string{"chat", "superchat"},
			wantErr: ErrProtocolNotOffered,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseResponse(tc.resp, rfcKey, tc.offered)
			if tc.wantErr != nil {
				var se *StatusError
				if want, ok := tc.wantErr.(*StatusError); ok {
					if !errors.As(err, &se) || *se != *want {
						t.Errorf(
							"error = %v, want %v",
							err,
							want,
						)
					}
					return
				}
				if !errors.Is(err, tc.wantErr) {
					t.Errorf(
						"error = %v, want %v",
						err,
						tc.wantErr,
					)
				}
				return
			}
			if err != nil {
				t.Fatalf(
					"ParseResponse: %v",
					err,
				)
			}
			if got.Protocol != tc.want.Protocol || got.Extensions != tc.want.Extensions || got.HeadLen != len(tc.resp) {
				t.Errorf(
					"result = %+v, want %+v",
					got,
					tc.want,
				)
			}
			if got.Header.Get("Sec-WebSocket-Accept") != rfcAccept {
				t.Errorf(
					"Header = %v",
					got.Header,
				)
			}
		})
	}
}

func TestHandshakeRoundTrip(t *testing.T) {
	req := ClientRequest{
		Host:      "localhost",
		Path:      "/ws?id=7",
		Protocols: []string{"v2", "v1"},
		Header:    http.Header{"Origin": {"http://localhost"}},
	}
	wire, key, err := AppendRequest(nil, &req)
	if err != nil {
		t.Fatalf(
			"AppendRequest: %v",
			err,
		)
	}
	cfg := Config{Protocols: []string{"v1"}}
	srv, resp, err := Upgrade(wire, &cfg, nil)
	if err != nil {
		t.Fatalf(
			"Upgrade: %v",
			err,
		)
	}
	if srv.Request.Key != key || srv.Request.Path != "/ws" || srv.Request.RawQuery != "id=7" || srv.Protocol != "v1" {
		t.Errorf(
			"server saw %+v",
			srv,
		)
	}
	frame := []byte{0x81, 0x02, 'h', 'i'}
	cli, err := ParseResponse(append(resp, frame...), key, req.Protocols)
	if err != nil {
		t.Fatalf(
			"ParseResponse: %v",
			err,
		)
	}
	if cli.Protocol != "v1" || cli.HeadLen != len(resp) {
		t.Errorf(
			"client saw %+v",
			cli,
		)
	}
}
