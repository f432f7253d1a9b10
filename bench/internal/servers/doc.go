// Package servers holds one WebSocket echo server per library, each written
// the way its authors recommend for performance, all behind one Start
// function so cmd/echoserver and the tests run them the same way.
//
// Every server echoes each text or binary message (RFC 6455 §5.6) with the
// same opcode, answers pings and closes as its library does, and records
// sessions and messages in a *stats.Counters.
package servers
