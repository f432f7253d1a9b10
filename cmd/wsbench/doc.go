// Command wsbench load-tests WebSocket servers: echo servers with every
// payload verified (RFC 6455 §5.6 data frames, text or binary), and any
// other server through scenario files (run).
//
// Subcommands:
//
//	wsbench demo            load-test an in-process surge echo server
//	wsbench echo URL        closed- or open-loop echo load, every payload verified
//	wsbench idle URL        open and hold many connections, then prove each alive
//	wsbench run FILE        a scenario file: per-connection scripts (send, expect,
//	                        think, loop, close), stages, fan-out, thresholds
//	wsbench agent           serve runs for a controller (--agents) on another machine
//	wsbench help [command]  flags of a command
//
// Thresholds (--threshold 'p99<5ms') make the exit status say whether the
// run met its targets. The echo modes take the same flags (--conns, --size,
// --duration, --rate, --depth, --json, --html, ...); every mode prints a
// summary table, a JSON document (--json, schema in docs/wsbench.md) or a
// self-contained HTML report (--html FILE). Ctrl-C stops a run cleanly and
// still reports what was measured.
//
// The client side runs on surge's public API only: one engine.Dialer, one
// event-style session per connection with session.DispatchInline; in the
// echo modes no goroutine per connection and no allocation per message
// (a scenario connection is a goroutine walking its script). Each payload carries
// a sequence number and a send timestamp in its first 16 bytes and a pattern
// derived from (connection, sequence) after them, checked byte for byte.
package main
