// Package bench holds surge's side-by-side benchmarks against peer WebSocket
// libraries. It is its own module so that the peers never enter the main
// module's dependency graph.
//
// What lives here:
//
//   - cmd/echoserver: one echo server per library (gorilla/websocket,
//     coder/websocket, gobwas/ws, lxzan/gws, lesismal/nbio, and surge in each
//     dispatch policy), each written as its authors recommend for speed.
//   - cmd/rawload: an echo load generator with no surge code (hand-written
//     handshake, raw epoll, byte-exact checks; closed loop at any depth or
//     open loop at a fixed rate), the second generator next to wsbench.
//   - cmd/floorecho: the floor server, a reference and not a library: one
//     read, an unmask and one write per message and no validation (epoll
//     with read/write or recvfrom/sendto, or io_uring with single-shot or
//     multishot recvs), to measure what the kernel's system calls alone
//     cost; floor.sh runs it beside any echo server under rawload.
//   - floorc/floorc.c: the same floor in C (epoll, recv/send), to measure
//     it without a language runtime; floor.sh, and cmd/run where cc is on
//     PATH, build it with cc.
//   - cmd/run: builds the servers, the floor servers, cmd/wsbench and
//     cmd/rawload, runs every scenario against every server (the floors in
//     the closed-loop shapes) with both generators in one invocation
//     (server pinned to core 0 with GOMAXPROCS=1, the generator pinned to
//     core 1), keeps the raw JSON in results/ and writes docs/benchmarks.md
//     with charts; -smoke runs the whole pipeline in seconds (TestSmokeRun).
//   - cmd/attack (run by attack.sh): surge's attack suite (issue 16,
//     reliability/) from outside, against a fresh echoserver per attack and
//     library, so that docs/reliability.md sets gorilla's figures beside
//     surge's from the same tool and run (package internal/attack).
//   - mask_test.go: masking (RFC 6455 §5.3) micro-benchmarks of surge's mask
//     package beside gobwas's ws.Cipher, a word-at-a-time loop in the style
//     gorilla and gws use, a byte loop, and copy() as the yardstick.
//
// The package itself exports nothing; it exists to hold those tests.
package bench
