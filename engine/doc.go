// Package engine moves bytes for surge's WebSocket sessions: an epoll
// (Linux) / kqueue (macOS, BSD) reactor that serves very many sessions with no
// goroutine and no buffer per idle connection, a portable driver over any
// net.Conn (TLS, unix sockets, pipes, other systems), the HTTP upgrade
// (RFC 6455 §4) answered inside the event loop, net/http integration, and the
// client [Dial].
//
// A [Server] is configured like Ktor's install(WebSockets) { ... } plus engine
// settings ([Config]); routes are added with [Server.Handle] (event style, a
// [session.Handler]) and [Server.HandleFunc] (channel style, a function run on
// a goroutine per session that reads Incoming), then it listens with
// [Server.ListenAndServe], [Server.Start] or [Server.Serve], or serves inside
// an existing net/http server as an http.Handler. [Server.Shutdown] closes
// every session with 1001 after what it has queued and waits for the closing
// handshakes.
//
// Each event loop owns a poller, a shared read buffer, a timing wheel for
// handshake, ping, pong and close deadlines, and the connections it accepted.
// Readable sockets are read once per event (fairness) and the bytes are
// parsed in place by the session; complete messages are dispatched inline,
// to a worker pool, or to the session's own goroutine. Writes go straight to
// the socket from the sending goroutine while the session has no backlog; the
// loop finishes short writes when the socket becomes writable. See
// docs/architecture.md and docs/engine.md for the design and its measured
// costs.
package engine
