package deflate

import "github.com/klauspost/compress/flate"

// Defaults used where a Config field is zero.
const (
	// DefaultLevel is the flate level used when Config.Level is 0: the
	// fastest, which keeps compression cheap next to the engine's other work.
	DefaultLevel = flate.BestSpeed
	// DefaultThreshold is the smallest payload compressed when
	// Config.Threshold is 0: below it the DEFLATE framing costs more than it
	// saves, so the message is sent as it is (RSV1 clear).
	DefaultThreshold = 128
	// ExpansionAllowance is what an inflated message may always reach,
	// whatever its compressed size, so that small messages compressed against
	// a shared window (whose ratio can legitimately be huge) are never cut.
	ExpansionAllowance = 64 << 10
	// MinWindowBits and MaxWindowBits bound the *_max_window_bits values
	// (RFC 7692 §7.1.2).
	MinWindowBits = 8
	MaxWindowBits = 15
)

// Policy says how one negotiation parameter of RFC 7692 §7.1 is treated.
// Its zero value, PolicyDefault, means the default documented on the Config
// field.
type Policy uint8

const (
	// PolicyDefault is the documented default of the parameter.
	PolicyDefault Policy = iota
	// PolicyAccept honours the parameter when the peer asks for it and never
	// asks for it.
	PolicyAccept
	// PolicyPrefer honours the parameter when the peer asks for it and asks
	// for it too wherever the RFC lets this side do so.
	PolicyPrefer
	// PolicyRefuse never asks for the parameter; a server declines offers
	// that carry it (the next offer is tried, RFC 7692 §5) and a client fails
	// the handshake on a response that carries it.
	PolicyRefuse
)

// String returns the policy's name.
func (p Policy) String() string {
	switch p {
	case PolicyDefault:
		return "default"
	case PolicyAccept:
		return "accept"
	case PolicyPrefer:
		return "prefer"
	case PolicyRefuse:
		return "refuse"
	}
	return "invalid"
}

// Config configures a Factory. The zero value is usable: every zero field
// means its documented default. New copies the Config; changing it afterwards
// has no effect.
type Config struct {
	// Level is the flate compression level, 1 (fastest) to 9 (smallest).
	// 0 means DefaultLevel. A compressor limited to a window below 32 KiB
	// (server_max_window_bits or client_max_window_bits < 15 for the side
	// that compresses) uses klauspost/compress's custom-window encoder, whose
	// level is fixed.
	Level int
	// Threshold is the smallest payload that is compressed; shorter messages
	// are sent as they are. 0 means DefaultThreshold; a negative value
	// compresses every message, even empty ones.
	Threshold int
	// Compress, if set, is asked for each message at or above Threshold and
	// may return false to send it uncompressed (already compressed media, for
	// example). It is called under the session's send lock and must be fast
	// and safe for concurrent use.
	Compress func(payload []byte) bool
	// MaxExpansion, when positive, bounds an inflated message to
	// MaxExpansion times its compressed size (and at least
	// ExpansionAllowance), on top of the session's MaxMessageSize; a message
	// beyond either closes the session with 1009. 0 (the default) or
	// negative: MaxMessageSize alone bounds it, as in the peers (gorilla,
	// coder, gws, Node's ws). DEFLATE packs at most about 1,032 bytes into
	// one and legitimate data comes close (1 MiB of zeros, ~1,000×; ws's
	// level-6 output of a repetitive 16 MiB message, 256.5×), so a ratio low
	// enough to slow a decompression bomb also rejects real messages.
	MaxExpansion int

	// ServerNoContextTakeover is the policy for server_no_context_takeover
	// (RFC 7692 §7.1.1.1): with it the server compresses each message with a
	// fresh window, so neither end keeps state for that direction between
	// messages. Default: PolicyPrefer (a server always answers with it; a
	// client offers it).
	ServerNoContextTakeover Policy
	// ClientNoContextTakeover is the policy for client_no_context_takeover
	// (RFC 7692 §7.1.1.2), the same for the client-to-server direction.
	// Default: PolicyPrefer.
	ClientNoContextTakeover Policy
	// ServerMaxWindowBits is the policy for server_max_window_bits
	// (RFC 7692 §7.1.2.1). PolicyAccept lets a client limit the server's
	// window; PolicyPrefer also makes a server announce ServerWindowBits when
	// the offer did not ask, and a client offer ServerWindowBits. Default:
	// PolicyAccept.
	ServerMaxWindowBits Policy
	// ClientMaxWindowBits is the policy for client_max_window_bits
	// (RFC 7692 §7.1.2.2). A server answers an offer carrying it with
	// ClientWindowBits (capped by the offered value) when that is below 15;
	// a client offers it (with ClientWindowBits when below 15), since the
	// RFC lets a server limit a client's window only if the offer allows it.
	// Default: PolicyAccept.
	ClientMaxWindowBits Policy
	// ServerWindowBits is the largest LZ77 window, as a power of two (8-15),
	// the server compresses with: a server uses it as its own limit, a
	// client asks for it under PolicyPrefer. 0 means 15.
	ServerWindowBits int
	// ClientWindowBits is the largest window (8-15) the client compresses
	// with: a server asks for it (the memory a server keeps per session for
	// inflating with context takeover is 2^ClientWindowBits bytes), a client
	// uses it as its own limit. 0 means 15.
	ClientWindowBits int
}

// settings is a Config with its defaults applied.
type settings struct {
	level        int
	threshold    int
	compress     func([]byte) bool
	maxExpansion int
	serverNCT    Policy
	clientNCT    Policy
	serverMWB    Policy
	clientMWB    Policy
	serverBits   int
	clientBits   int
}

func (c *Config) settings() settings {
	s := settings{
		level:        c.Level,
		threshold:    c.Threshold,
		compress:     c.Compress,
		maxExpansion: c.MaxExpansion,
		serverNCT:    orPolicy(c.ServerNoContextTakeover, PolicyPrefer),
		clientNCT:    orPolicy(c.ClientNoContextTakeover, PolicyPrefer),
		serverMWB:    orPolicy(c.ServerMaxWindowBits, PolicyAccept),
		clientMWB:    orPolicy(c.ClientMaxWindowBits, PolicyAccept),
		serverBits:   windowBits(c.ServerWindowBits),
		clientBits:   windowBits(c.ClientWindowBits),
	}
	if s.level == 0 {
		s.level = DefaultLevel
	}
	if s.threshold == 0 {
		s.threshold = DefaultThreshold
	}
	return s
}

func orPolicy(p, def Policy) Policy {
	if p == PolicyDefault || p > PolicyRefuse {
		return def
	}
	return p
}

// windowBits clamps a configured window size into the RFC's range.
func windowBits(b int) int {
	switch {
	case b == 0 || b > MaxWindowBits:
		return MaxWindowBits
	case b < MinWindowBits:
		return MinWindowBits
	}
	return b
}
