// Command wsbench load-tests WebSocket servers: surge or any other server
// that echoes what it is sent (RFC 6455 §5.6 data frames, text or binary).
//
// Subcommands:
//
//	wsbench demo            load-test an in-process surge echo server
//	wsbench echo URL        closed- or open-loop echo load, every payload verified
//	wsbench idle URL        open and hold many connections, then prove each alive
//	wsbench help [command]  flags of a command
//
// Every mode takes the same flags (--conns, --size, --duration, --rate,
// --depth, --json, --html, ...), prints a summary table, a JSON document
// (--json, schema in docs/wsbench.md) or a self-contained HTML report
// (--html FILE). Ctrl-C stops a run cleanly and still reports what was
// measured.
//
// The client side runs on surge's public API only: one engine.Dialer, one
// event-style session per connection with session.DispatchInline, so no
// goroutine per connection and no allocation per message. Each payload carries
// a sequence number and a send timestamp in its first 16 bytes and a pattern
// derived from (connection, sequence) after them, checked byte for byte.
package main
