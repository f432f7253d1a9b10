// Package deflate implements the permessage-deflate WebSocket extension
// (RFC 7692) for surge sessions. It compresses with
// github.com/klauspost/compress/flate and inflates with internal/inflate,
// klauspost's inflater with a fix (a reused one accepted some corrupt
// streams).
//
// A [*Factory] made by [New] is an [extension.Factory]: put it in
// engine.Config.Extensions (server) or engine.DialOptions.Extensions
// (client). It negotiates the four parameters of RFC 7692 §7.1
// (server_no_context_takeover, client_no_context_takeover,
// server_max_window_bits, client_max_window_bits) under the [Policy] set for
// each in [Config], and gives every session an [*Extension] that compresses
// whole outgoing messages (RFC 7692 §7.2.1) and inflates received messages
// whose first frame carries RSV1 (§7.2.2, RFC 6455 §5.2), fragments already
// joined by the session.
//
// Memory is the design constraint. When a direction runs without context
// takeover, its coder is borrowed from a pool for one message and given back,
// so a session holds no coder state at all; when both directions run without
// it (the default policy) every session shares one immutable Extension. With
// context takeover the inflating side keeps only the LZ77 window the peer may
// refer to (2^client_max_window_bits bytes on a server), and the compressing
// side keeps its compressor only while the session is busy: Idle gives it back
// and the next message starts a fresh window, which RFC 7692 §7.2.1 allows a
// sender to do at any time. docs/deflate.md has the measured numbers.
//
// Inflated messages are bounded by the session's message limit, and
// optionally by an expansion ratio ([Config.MaxExpansion]), so a
// decompression bomb fails with frame.ErrMessageTooBig (close 1009) after a
// bounded amount of memory and work.
package deflate
