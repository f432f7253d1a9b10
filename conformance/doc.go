// Package conformance is surge's in-repo RFC 6455 conformance suite, modelled
// on the case catalogue of the Autobahn TestSuite: framing (section 1),
// ping/pong (2), reserved bits (3), opcodes (4), fragmentation (5), UTF-8
// handling with fail-fast (6), close handling (7), limits and performance
// (9), miscellaneous (10) and permessage-deflate (RFC 7692:
// messages of growing size (12) and the parameter combinations of context
// takeover and window bits (13)), plus surge-specific cases (S.x)
// for the rules Autobahn does not reach, such as the mask bit direction
// (RFC 6455 §5.1), 64-bit length overflow (§5.2) and message size limits.
//
// The cases live in the package's tests. Every case runs against surge's echo
// server over raw TCP (inline, pool and channel dispatch) and, mirrored,
// against surge's client talking to a scripted raw server, each time with the
// bytes written whole and chopped at odd boundaries. This file's package holds
// only the result types and the markdown report writer; the test run fills a
// [Report] and, when SURGE_CONFORMANCE_REPORT names a file, writes it there
// (docs/conformance.md is generated that way).
package conformance
