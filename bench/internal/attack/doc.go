// Package attack runs surge's attack suite (the repository's reliability/
// tests, issue 16) against any WebSocket echo server running in another
// process, so that surge's figures can be set beside a peer library's,
// measured by the same code in the same run.
//
// Only what can be seen from outside the server is measured: what the
// attack clients receive (echoes, close codes, status lines, whether TCP
// ended with FIN or RST), a well-behaved canary client's echo round trips
// beside the attack, and the server process's resident memory, open file
// descriptors and CPU time from /proc (Linux; PID 0 skips them).
//
// The attack clients speak RFC 6455 by hand over net.Conn, so that they can
// do what no library client does: stop reading, send a message and a close
// in one write, send close frames no peer should send, send a handshake
// head larger than any server accepts.
package attack
