// Package interop holds surge's interoperability tests against independent
// WebSocket implementations: Node's ws package and Python's websockets (as
// clients and servers), a headless Chromium, and the Go libraries
// gorilla/websocket, coder/websocket and lxzan/gws (as clients and servers).
//
// It is a module of its own (github.com/surgews/surge/interop) so that the
// engine's go.mod never requires a peer library. The package has no API: its
// tests are the product. Each test starts and stops its own peers on
// loopback, bounds every wait, and names the peer and the case when it fails.
// Run them with
//
//	cd interop && (cd node && npm ci) && go test -race ./...
//
// Tests that need node (with node/node_modules/ws), a python3 that can import
// websockets (Debian's python3-websockets) or /usr/bin/chromium skip with a
// message saying what is missing; CI installs all three. See docs/interop.md
// for what is covered and the results.
//
// What the tests exercise on the wire: text and binary messages, fragmented
// messages (RFC 6455 §5.4) in both directions, text split inside a UTF-8
// sequence across fragments (§5.6), large messages, ping and pong (§5.5.2,
// §5.5.3), the closing handshake with every close code valid on the wire
// (§5.5.1, §7.4) started by either side, and invalid UTF-8 answered with 1007
// (§8.1). With ws, websockets, gorilla/websocket and coder/websocket they
// also negotiate permessage-deflate (RFC 7692) and exchange compressed
// messages both ways; with ws and websockets, whole and fragmented, with
// context takeover kept and dropped.
package interop
