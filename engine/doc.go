// Package engine moves bytes for surge's WebSocket sessions: an epoll
// (Linux) / kqueue (macOS, BSD) reactor that serves very many sessions with no
// goroutine and no buffer per idle connection, a portable driver over any
// net.Conn (TLS, unix sockets, pipes, other systems), the HTTP upgrade
// (RFC 6455 §4) answered inside the event loop, net/http integration, and the
// client [Dial].
//
// A [Server] is configured with a [Config]: the settings of its sessions
// (a session.Config, Ktor's install(WebSockets) { ... }), of its event loops
// ([ReactorConfig]) and of its handshakes. Routes name their execution model:
// [Server.HandleEvents] serves event-style sessions with a session.Handler
// whose methods run on the event loop or a worker pool, with no goroutine per
// session; [Server.HandleSession] runs a function on a goroutine of its own
// per session, reading Incoming (Ktor's webSocket(path) { ... } block). The
// server then listens with [Server.ListenAndServe], [Server.Start] or
// [Server.Serve], serves single connections with [Server.ServeConn], or
// serves inside a net/http server as an http.Handler. [Server.Shutdown]
// closes every session with 1001 after what it has queued and waits for the
// closing handshakes.
//
// [Dial] opens client sessions; a [Dialer] holds the event loops they run on
// (a shared default one unless [DialOptions] names another).
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
