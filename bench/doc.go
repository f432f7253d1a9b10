// Package bench holds surge's side-by-side benchmarks against peer WebSocket
// libraries. It is its own module so that the peers never enter the main
// module's dependency graph.
//
// What lives here:
//
//   - cmd/echoserver: one echo server per library (gorilla/websocket,
//     coder/websocket, gobwas/ws, lxzan/gws, lesismal/nbio, and surge in each
//     dispatch policy), each written as its authors recommend for speed.
//   - cmd/run: builds the servers and cmd/wsbench, runs every scenario
//     against every server in one invocation (server pinned to core 0 with
//     GOMAXPROCS=1, wsbench pinned to core 1), keeps the raw JSON in results/
//     and writes docs/benchmarks.md with charts.
//   - mask_test.go: masking (RFC 6455 §5.3) micro-benchmarks of surge's mask
//     package beside gobwas's ws.Cipher, a word-at-a-time loop in the style
//     gorilla and gws use, a byte loop, and copy() as the yardstick.
//
// The package itself exports nothing; it exists to hold those tests.
package bench
