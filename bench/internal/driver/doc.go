// Package driver runs the side-by-side benchmark: for every scenario, every
// library and every load generator it starts a fresh echo server
// (bench/cmd/echoserver) pinned to one core with GOMAXPROCS=1, drives it
// from another core with cmd/wsbench (built on surge) or bench/cmd/rawload
// (no surge code), reads the server's runtime snapshots (package stats),
// and keeps everything in one Run that is saved as JSON and rendered as
// docs/benchmarks.md with SVG charts. A lead over the peers counts only
// where both generators measure it (LeadRatio). Each closed-loop scenario
// runs in rounds (Options.Rounds, libraries interleaved within a round) and
// the report shows every library's median round with the spread.
//
// The headline figure is messages per server core-second: echoed messages
// per second divided by the CPU the server process used (the generator samples
// /proc/PID/stat). When the client, not the server, is the limit, the
// server sleeps and wakes more often per message and the figure drops: the
// report flags every closed-loop run in which the server core was not
// saturated, gives each round's lead ratio (paired within the round), and
// sets every server against the others at one offered load in the
// fixed-rate scenarios, one per shape (sameLoad).
package driver
