package conformance_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/frame"
)

// pmdParams is one parameter combination of Autobahn section 13
// (permessage-deflate, RFC 7692 §7.1). Autobahn pairs a client offer
// (requestNoContextTakeover, requestMaxWindowBits) with a server accept
// asking the same of the client, so both directions end up with the same
// context takeover and window: (no, 0), (yes, 0), (no, 8), (no, 15),
// (yes, 8), (yes, 15), and three offers of which the server takes the first.
// Window 8 is replaced by 9: zlib, and so most peers, cannot compress with
// a 256-byte window.
type pmdParams struct {
	name string // the combination, for descriptions
	// offer is the peer's Sec-WebSocket-Extensions as a client (server
	// suites); want is the answer surge must give, compared parameter by
	// parameter.
	offer, want string
	// resp is the peer's answer, as a server, to surge's client offer
	// ("permessage-deflate; client_max_window_bits" under the suite's
	// Config). A server must not answer server_max_window_bits to an offer
	// without it (RFC 7692 §7.1.2.1), so in the client suite only the
	// client's window is limited; the server direction keeps 15 bits.
	resp string
	// The agreement of the server suites: no context takeover and window
	// bits of each direction.
	sNCT, cNCT   bool
	sBits, cBits int
}

// pmdCombos are Autobahn 13.1-13.7.
var pmdCombos = []pmdParams{
	{name: "default parameters (context takeover both ways)",
		offer: "permessage-deflate; client_max_window_bits", want: "permessage-deflate",
		resp: "permessage-deflate", sBits: 15, cBits: 15},
	{name: "server_no_context_takeover and client_no_context_takeover",
		offer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits",
		want:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		resp:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		sNCT:  true, cNCT: true, sBits: 15, cBits: 15},
	{name: "context takeover, window bits 9",
		offer: "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		want:  "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		resp:  "permessage-deflate; client_max_window_bits=9", sBits: 9, cBits: 9},
	{name: "context takeover, window bits 15",
		offer: "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
		want:  "permessage-deflate; server_max_window_bits=15",
		resp:  "permessage-deflate; client_max_window_bits=15", sBits: 15, cBits: 15},
	{name: "no context takeover, window bits 9",
		offer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		want:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		resp:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9",
		sNCT:  true, cNCT: true, sBits: 9, cBits: 9},
	{name: "no context takeover, window bits 15",
		offer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15",
		want:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15",
		resp:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=15",
		sNCT:  true, cNCT: true, sBits: 15, cBits: 15},
	{name: "three offers (no context takeover + bits 9; no context takeover; default), the first accepted",
		offer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9, " +
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits, permessage-deflate; client_max_window_bits",
		want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		resp: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9",
		sNCT: true, cNCT: true, sBits: 9, cBits: 9},
}

// pmdConfig is surge's permessage-deflate Config for section 13, on both
// the server and the client: context takeover accepted either way, every
// other field at its default (threshold 128 bytes, windows up to 15 bits).
var pmdConfig = deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}

// pmdCases are a representative part of Autobahn section 13: for each
// parameter combination, 100 JSON-like text messages (Autobahn: 1000) of a
// size in a burst, some auto-fragmented like Autobahn's 13.x.11-18, all
// echoed in order.
func pmdCases() []tcase {
	type size struct{ n, frag int }
	sizes := []size{{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {16384, 0}, {65536, 0}, {131072, 0}, {65536, 256}, {131072, 4096}}
	count := 100
	keep := func(int) bool { return true }
	if raceEnabled {
		count = 6
		keep = func(i int) bool { return slices.Contains([]int{1, 3, 5, 7, 9}, i) }
	}
	var out []tcase
	for j := range pmdCombos {
		pp := &pmdCombos[j]
		for i, sz := range sizes {
			if !keep(i + 1) {
				continue
			}
			var msgs [][]byte
			var want []step
			for k := range count {
				m := jsonText(k, sz.n)
				msgs = append(msgs, m)
				want = append(want, expectEcho(frame.OpText, m))
			}
			fr := ""
			if sz.frag > 0 {
				fr = fmt.Sprintf(" (compressed payload in %d-byte frames)", sz.frag)
			}
			out = append(out, tcase{id: fmt.Sprintf("13.%d.%d", j+1, i+1), deflate: true, pmd: pp, chops: bigChops,
				desc: fmt.Sprintf("permessage-deflate with %s: send %d compressed text messages of %d bytes%s in a burst; "+
					"expect them echoed in order, byte for byte, RSV1 set on those of %d bytes and more.", pp.name, count, sz.n, fr, deflate.DefaultThreshold),
				steps: seq(sendCompressed(frame.OpText, sz.frag, msgs...), want, normalClose())})
		}
	}
	return out
}

// jsonText returns n bytes of JSON-like records, different for each seq,
// repetitive within and across messages so that context takeover pays.
func jsonText(seq, n int) []byte {
	var b []byte
	for r := 0; len(b) < n; r++ {
		b = fmt.Appendf(b, `{"seq":%d,"id":%d,"name":"item-%d","tags":["alpha","beta","gamma"],"price":%d.%02d,"ok":true},`,
			seq, seq*1000+r, r%37, r%97, (seq+r)%100)
	}
	return b[:n]
}

// pmdState is the peer's permessage-deflate coder for a section 13 case,
// built on the standard library, independently of package deflate.
type pmdState struct {
	// Sending: no context takeover, and the window the receiver allows.
	sendNCT  bool
	sendBits int
	w        *flate.Writer
	buf      bytes.Buffer
	// Receiving: no context takeover, the window surge may use, and the
	// last 2^recvBits bytes inflated, the most surge may refer back to: a
	// reference further back into earlier messages fails the inflate.
	recvNCT  bool
	recvBits int
	dict     []byte
}

func newPMDState(pp *pmdParams, client bool) *pmdState {
	if client {
		return &pmdState{sendNCT: pp.cNCT, sendBits: pp.cBits, recvNCT: pp.sNCT, recvBits: pp.sBits}
	}
	// The client suite: the server's window is never limited (see resp).
	return &pmdState{sendNCT: pp.sNCT, sendBits: 15, recvNCT: pp.cNCT, recvBits: pp.cBits}
}

// compress deflates one message (RFC 7692 §7.2.1). With context takeover
// the compressor is kept and each message ends with a sync flush; without,
// each message starts afresh. Go's compressor always uses a 32 KiB window,
// which a receiver that asked for fewer window bits cannot take: then the
// peer compresses with flate.HuffmanOnly, which emits no back-references at
// all, so the stream is valid for any window while still compressed.
func (s *pmdState) compress(p []byte) []byte {
	s.buf.Reset()
	if s.w == nil || s.sendNCT {
		level := flate.BestSpeed
		if s.sendBits < 15 {
			level = flate.HuffmanOnly
		}
		s.w, _ = flate.NewWriter(&s.buf, level)
	}
	_, _ = s.w.Write(p)
	_ = s.w.Flush()
	z, ok := bytes.CutSuffix(s.buf.Bytes(), pmdTail)
	if !ok {
		panic("flate: Flush did not end with a sync marker")
	}
	return bytes.Clone(z)
}

// inflate reverses compress on surge's messages: each message is inflated
// with a fresh reader whose dictionary is the end of what surge sent before
// (context takeover) or nothing. (A reference too far back within the same
// message is not caught: the standard library's reader has no window
// option.)
func (s *pmdState) inflate(p []byte) ([]byte, error) {
	var dict []byte
	if !s.recvNCT {
		dict = s.dict
	}
	r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(p), bytes.NewReader(pmdTail)), dict)
	out, err := io.ReadAll(io.LimitReader(r, maxRead+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if len(out) > maxRead {
		return nil, errors.New("inflated message over 64 MiB")
	}
	if !s.recvNCT {
		s.dict = append(s.dict, out...)
		if w := 1 << s.recvBits; len(s.dict) > w {
			s.dict = bytes.Clone(s.dict[len(s.dict)-w:])
		}
	}
	return out, nil
}

// sendCompressed writes msgs compressed by the peer's coder, in order, in
// one burst; frag > 0 splits each compressed payload into frames of that
// size, RSV1 on the first only (RFC 7692 §6.1).
func sendCompressed(op frame.Opcode, frag int, msgs ...[]byte) step {
	return func(p *peer) error {
		var b []byte
		for _, m := range msgs {
			z := p.pmd.compress(m)
			if frag <= 0 || len(z) <= frag {
				b = append(b, p.encode(wframe{fin: true, op: op, rsv: frame.Rsv1, payload: z})...)
				continue
			}
			for i := 0; i < len(z); i += frag {
				end := min(i+frag, len(z))
				f := wframe{fin: end == len(z), op: frame.OpContinuation, payload: z[i:end]}
				if i == 0 {
					f.op, f.rsv = op, frame.Rsv1
				}
				b = append(b, p.encode(f)...)
			}
		}
		p.send(b)
		return nil
	}
}

// expectEcho expects the echo of a message, compressed (RSV1) exactly when
// it is at least surge's default threshold long.
func expectEcho(op frame.Opcode, payload []byte) step {
	return func(p *peer) error {
		if err := expectMsg(op, payload)(p); err != nil {
			return err
		}
		if got, want := p.lastRsv&frame.Rsv1 != 0, len(payload) >= deflate.DefaultThreshold; got != want {
			return fmt.Errorf("surge sent the echo of a %d-byte message with RSV1 %v, want %v", len(payload), got, want)
		}
		return nil
	}
}

// checkPMDResponse compares a Sec-WebSocket-Extensions answer with want,
// parameter by parameter.
func checkPMDResponse(got, want string) error {
	g, w := normExt(got), normExt(want)
	if g != w {
		return fmt.Errorf("Sec-WebSocket-Extensions %q, want %q", got, want)
	}
	return nil
}

// normExt puts each extension's parameters in a fixed order, unquoted.
func normExt(h string) string {
	var exts []string
	for _, e := range strings.Split(h, ",") {
		var ps []string
		for _, q := range strings.Split(e, ";") {
			q = strings.TrimSpace(q)
			if name, v, ok := strings.Cut(q, "="); ok {
				q = strings.TrimSpace(name) + "=" + strings.Trim(strings.TrimSpace(v), `"`)
			}
			ps = append(ps, q)
		}
		if len(ps) > 1 {
			slices.Sort(ps[1:])
		}
		exts = append(exts, strings.Join(ps, "; "))
	}
	return strings.Join(exts, ", ")
}
