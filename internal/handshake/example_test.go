package handshake_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/surgews/surge/internal/handshake"
)

const chromeRequest = "GET /chat?room=lobby HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"Connection: Upgrade\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: https://example.com\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n\r\n"

func ExampleUpgrade() {
	cfg := &handshake.Config{
		Protocols:   []string{"superchat"},
		CheckOrigin: func(r handshake.Request) bool { return r.Origin == "https://example.com" },
	}
	// The loop's buffer: the request may arrive in pieces.
	buf := []byte(chromeRequest)
	_, _, err := handshake.Upgrade(buf[:40], cfg, nil)
	fmt.Println(err == handshake.ErrIncomplete)

	res, out, err := handshake.Upgrade(buf, cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Request.Path, res.Request.RawQuery, res.Protocol)
	fmt.Print(strings.ReplaceAll(string(out), "\r\n", "\n"))
	// Output:
	// true
	// /chat room=lobby superchat
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	// Sec-WebSocket-Protocol: superchat
}

func ExampleUpgrade_rejected() {
	req := strings.Replace(chromeRequest, "Version: 13", "Version: 8", 1)
	_, out, err := handshake.Upgrade([]byte(req), nil, nil)
	var rej *handshake.RejectError
	fmt.Println(errors.As(err, &rej), rej.Status, errors.Is(err, handshake.ErrUnsupportedVersion))
	fmt.Println(strings.ReplaceAll(string(out), "\r\n", "|"))
	// Output:
	// true 426 true
	// HTTP/1.1 426 Upgrade Required|Connection: close|Content-Type: text/plain; charset=utf-8|Content-Length: 33|Upgrade: websocket|Sec-WebSocket-Version: 13||unsupported Sec-WebSocket-Version
}

func ExampleHeaderEnd() {
	b := []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n\x81\x00")
	fmt.Println(handshake.HeaderEnd(b), handshake.HeaderEnd(b[:20]))
	// Output:
	// 27 -1
}

func ExampleAcceptKey() {
	var accept [handshake.AcceptLen]byte
	handshake.AcceptKey(&accept, []byte("dGhlIHNhbXBsZSBub25jZQ=="))
	fmt.Println(string(accept[:]))
	// Output:
	// s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleAppendRequest() {
	req, key, err := handshake.AppendRequest(nil, &handshake.ClientRequest{
		Host:      "example.com",
		Path:      "/chat",
		Protocols: []string{"chat"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The key is random; everything else is fixed.
	fmt.Print(strings.ReplaceAll(strings.Replace(string(req), string(key[:]), "<key>", 1), "\r\n", "\n"))
	// Output:
	// GET /chat HTTP/1.1
	// Host: example.com
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Key: <key>
	// Sec-WebSocket-Version: 13
	// Sec-WebSocket-Protocol: chat
}

func ExampleParseResponse() {
	offered := []string{"chat"}
	req, key, _ := handshake.AppendRequest(nil, &handshake.ClientRequest{Host: "example.com", Protocols: offered})
	_, resp, _ := handshake.Upgrade(req, &handshake.Config{Protocols: offered}, nil)

	// The server's first frame may arrive with the response.
	resp = append(resp, 0x81, 0x02, 'h', 'i')
	res, err := handshake.ParseResponse(resp, key, offered)
	fmt.Println(err, res.Protocol, len(resp)-res.HeadLen)

	_, err = handshake.ParseResponse([]byte("HTTP/1.1 403 Forbidden\r\n\r\n"), key, offered)
	fmt.Println(err)
	// Output:
	// <nil> chat 4
	// handshake: server answered 403 Forbidden
}
