// Package driver runs the side-by-side benchmark: for every scenario and
// every library it starts a fresh echo server (bench/cmd/echoserver) pinned
// to one core with GOMAXPROCS=1, drives it with cmd/wsbench pinned to
// another core, reads the server's runtime snapshots (package stats), and
// keeps everything in one Run that is saved as JSON and rendered as
// docs/benchmarks.md with SVG charts.
//
// The headline figure is messages per server core-second: echoed messages
// per second divided by the CPU the server process used (wsbench samples
// /proc/PID/stat). It stays comparable when the client, not the server, is
// the limit, which the report flags for every closed-loop run in which the
// server core was not saturated.
package driver
