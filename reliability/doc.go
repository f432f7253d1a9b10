// Package reliability holds surge's attack suite: tests in which hostile or
// broken peers (connection floods at the open-files limit, peers that never
// read, oversized handshakes, invalid close frames, a message and a close in
// one write) meet a server, usually beside a well-behaved canary client
// whose latency, close codes and the server's resources they check. The
// package has no API; docs/reliability.md records what the tests measure.
package reliability
