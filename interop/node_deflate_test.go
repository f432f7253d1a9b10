//go:build unix

package interop

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// Compression interop (RFC 7692) with Node's ws, both directions. ws is the
// WebSocket library most JavaScript clients and load generators use, and its
// client offers permessage-deflate by default, so a surge server with
// deflate.New meets it compressed on every such connection. Each direction
// runs a small table that crosses context takeover kept and dropped on
// either side (RFC 7692 §7.1.1), and checks three things: both ends agreed
// on permessage-deflate with the expected parameters, messages really
// crossed compressed (counted on surge's side, since a peer may negotiate the
// extension and still send everything plain), and every echo is byte for
// byte the message sent.

// nodeJSONSize is the size of ws-client.js's compressible text (its jsonSize).
const nodeJSONSize = 6000

// deflateAccept honours whatever context takeover the peer asks for and asks
// for none itself, unlike deflate's default, which asks to drop the context
// both ways.
var deflateAccept = deflate.Config{
	ServerNoContextTakeover: deflate.PolicyAccept,
	ClientNoContextTakeover: deflate.PolicyAccept,
}

// countingDeflate is a deflate.Factory that counts the compressed messages
// its sessions receive and send and keeps the parameters they negotiated.
type countingDeflate struct {
	*deflate.Factory
	inflated atomic.Int64 // messages received with RSV1 (DecodeMessage)
	deflated atomic.Int64 // messages sent with RSV1

	mu     sync.Mutex
	params []deflate.Params
}

func newCountingDeflate(cfg deflate.Config) *countingDeflate {
	return &countingDeflate{Factory: deflate.New(cfg)}
}

func (f *countingDeflate) Accept(offer []extension.Param) ([]extension.Param, extension.Extension, bool, error) {
	resp, e, ok, err := f.Factory.Accept(offer)
	if ok && err == nil {
		e = f.wrap(e)
	}
	return resp, e, ok, err
}

func (f *countingDeflate) Confirm(resp []extension.Param) (extension.Extension, error) {
	e, err := f.Factory.Confirm(resp)
	if err != nil {
		return nil, err
	}
	return f.wrap(e), nil
}

func (f *countingDeflate) wrap(e extension.Extension) extension.Extension {
	if d, ok := e.(*deflate.Extension); ok {
		f.mu.Lock()
		f.params = append(f.params, d.Params())
		f.mu.Unlock()
	}
	return countingExtension{Extension: e, f: f}
}

// negotiated returns the parameters of every session negotiated so far.
func (f *countingDeflate) negotiated() []deflate.Params {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]deflate.Params(nil), f.params...)
}

// countingExtension is one session's permessage-deflate, counted.
type countingExtension struct {
	extension.Extension
	f *countingDeflate
}

// DecodeMessage is called only for messages whose first frame has RSV1.
func (e countingExtension) DecodeMessage(dst []byte, rsv byte, p []byte, limit int64) ([]byte, error) {
	e.f.inflated.Add(1)
	return e.Extension.DecodeMessage(dst, rsv, p, limit)
}

func (e countingExtension) EncodeMessage(dst, p []byte) ([]byte, byte, error) {
	out, rsv, err := e.Extension.EncodeMessage(dst, p)
	if rsv != 0 {
		e.f.deflated.Add(1)
	}
	return out, rsv, err
}

// checkDeflateAgreed checks that ws (its report of ws.extensions and of the
// Sec-WebSocket-Extensions answer) and surge (the parameters f negotiated
// for its one session) agree on permessage-deflate with the context takeover
// parameters wanted.
func checkDeflateAgreed(t *testing.T, name string, ws nodeEvent, f *countingDeflate, serverNCT, clientNCT bool) {
	t.Helper()
	if ws.Data != deflate.ExtensionName || !strings.HasPrefix(ws.Header, deflate.ExtensionName) {
		t.Errorf("%s: ws negotiated extensions %q (answer %q), want %s", name, ws.Data, ws.Header, deflate.ExtensionName)
	}
	for _, p := range []struct {
		name string
		want bool
	}{
		{deflate.ParamServerNoContextTakeover, serverNCT},
		{deflate.ParamClientNoContextTakeover, clientNCT},
	} {
		if strings.Contains(ws.Header, p.name) != p.want {
			t.Errorf("%s: ws saw the answer %q, want %s present=%v", name, ws.Header, p.name, p.want)
		}
	}
	ps := f.negotiated()
	if len(ps) != 1 {
		t.Errorf("%s: surge negotiated permessage-deflate for %d sessions (%v), want 1", name, len(ps), ps)
		return
	}
	if ps[0].ServerNoContextTakeover != serverNCT || ps[0].ClientNoContextTakeover != clientNCT {
		t.Errorf("%s: surge negotiated %v, want server_no_context_takeover=%v client_no_context_takeover=%v", name, ps[0], serverNCT, clientNCT)
	}
}

// TestNodeClientToSurgeServerDeflate runs ws-client.js's echo steps (text,
// binary, fragmented, UTF-8 split across fragments, 16 MiB) and a
// compressible 6000-byte text, whole and fragmented, against a surge server
// with permessage-deflate.
func TestNodeClientToSurgeServerDeflate(t *testing.T) {
	needNode(t)
	checks := append(nodeEchoChecks(nodeBig),
		nodeEchoCheck{step: "json-text", len: nodeJSONSize, sha: sha256Hex(jsonText(nodeJSONSize))},
		nodeEchoCheck{step: "json-fragmented", len: nodeJSONSize, sha: sha256Hex(jsonText(nodeJSONSize))},
	)
	// ws compresses every message while it keeps its context, and only those
	// of 1024 bytes or more (the 16 MiB one and both JSON texts) once
	// client_no_context_takeover is agreed. surge compresses at least those
	// three echoes (deflate.DefaultThreshold is 128 bytes).
	const wsBigOnly, surgeAtLeast = 3, 3
	cases := []struct {
		name                 string
		surge                deflate.Config
		ws                   []string // perMessageDeflate options ws offers
		serverNCT, clientNCT bool     // what both must agree on
		wsCompressed         int      // messages ws sends compressed
	}{
		// surge's default asks to drop the context both ways.
		{name: "surge-default", surge: deflate.Config{}, serverNCT: true, clientNCT: true, wsCompressed: wsBigOnly},
		// Context kept both ways.
		{name: "takeover", surge: deflateAccept, wsCompressed: len(checks)},
		{name: "ws-asks-server-no-takeover", surge: deflateAccept, ws: []string{"serverNoContextTakeover"}, serverNCT: true, wsCompressed: len(checks)},
		{name: "ws-asks-client-no-takeover", surge: deflateAccept, ws: []string{"clientNoContextTakeover"}, clientNCT: true, wsCompressed: wsBigOnly},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "ws client → surge server, deflate " + tc.name
			f := newCountingDeflate(tc.surge)
			srv := startSurge(t, engine.Config{Extensions: []extension.Factory{f}})
			args := append([]string{srv.url + "/echo?id=deflate", "deflate-echo", strconv.Itoa(nodeBig)}, tc.ws...)
			evs := runNodeClient(t, name, 90*time.Second, args...)
			checkNodeEcho(t, name, evs, srv, "deflate", checks, deflate.ExtensionName)
			open := byCase(t, name, evs, "open")
			checkDeflateAgreed(t, name, open, f, tc.serverNCT, tc.clientNCT)
			t.Logf("%s: answer %q; surge inflated %d and compressed %d of %d messages", name, open.Header, f.inflated.Load(), f.deflated.Load(), len(checks))
			if n := f.inflated.Load(); n != int64(tc.wsCompressed) {
				t.Errorf("%s: surge inflated %d messages from ws, want %d", name, n, tc.wsCompressed)
			}
			if n := f.deflated.Load(); n < surgeAtLeast {
				t.Errorf("%s: surge sent %d echoes compressed, want at least %d", name, n, surgeAtLeast)
			}
		})
	}
}

// TestSurgeClientToNodeServerDeflate runs a surge client offering
// permessage-deflate against ws servers that compress every message: texts
// and binaries from empty to 256 KiB and the 16 MiB pattern go through ws's
// /echo and /fragmented (where each compressed echo comes in three
// fragments, RSV1 on the first only).
func TestSurgeClientToNodeServerDeflate(t *testing.T) {
	needNode(t)
	type message struct {
		step string
		op   frame.Opcode
		p    []byte
	}
	var msgs []message
	for _, n := range deflateSizes {
		msgs = append(msgs,
			message{fmt.Sprintf("text-%d", n), frame.OpText, jsonText(n)},
			message{fmt.Sprintf("binary-%d", n), frame.OpBinary, pattern(n)})
	}
	msgs = append(msgs, message{"big", frame.OpBinary, pattern(nodeBig)})
	// surge compresses at least every message of deflate.DefaultThreshold
	// bytes or more: all of them shrink.
	surgeAtLeast := 0
	for _, m := range msgs {
		if len(m.p) >= deflate.DefaultThreshold {
			surgeAtLeast++
		}
	}
	cases := []struct {
		name                 string
		surge                deflate.Config
		ws                   []string // ws-server.js deflate options
		serverNCT, clientNCT bool     // what both must agree on
	}{
		// Context kept both ways; surge compresses every message that
		// shrinks (the empty one and the 100-byte text too), so ws inflates
		// small messages against its window.
		{name: "takeover", surge: withThreshold(deflateAccept, -1)},
		// surge's default offers to drop the context both ways.
		{name: "surge-default", surge: deflate.Config{}, serverNCT: true, clientNCT: true},
		{name: "ws-asks-server-no-takeover", surge: deflateAccept, ws: []string{"serverNoContextTakeover"}, serverNCT: true},
		{name: "ws-asks-client-no-takeover", surge: deflateAccept, ws: []string{"clientNoContextTakeover"}, clientNCT: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := startNodeServer(t, append([]string{"deflate"}, tc.ws...)...)
			for _, route := range []string{"echo", "fragmented"} {
				t.Run(route, func(t *testing.T) {
					name := fmt.Sprintf("surge client → ws server, deflate %s: /%s", tc.name, route)
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					f := newCountingDeflate(tc.surge)
					c := nodeDial(t, ctx, name, ns.url+"/"+route+"?id="+route, nil, f)
					if exts := c.Request().Extensions; len(exts) != 1 || exts[0].Name() != deflate.ExtensionName {
						t.Fatalf("%s: surge client negotiated %v, want %s", name, exts, deflate.ExtensionName)
					}
					checkDeflateAgreed(t, name, ns.waitEvent(t, name, route, "open", 10*time.Second), f, tc.serverNCT, tc.clientNCT)
					for _, m := range msgs {
						if err := c.Send(ctx, session.Frame{Op: m.op, Fin: true, Payload: m.p}); err != nil {
							t.Fatalf("%s/%s: send: %v", name, m.step, err)
						}
						checkEcho(t, ctx, name+"/"+m.step, c, m.op, m.p)
					}
					closeAndCheck(t, name, c, ns, route, frame.CloseNormal, "bye")
					t.Logf("%s: surge inflated %d and compressed %d of %d messages", name, f.inflated.Load(), f.deflated.Load(), len(msgs))
					// ws compresses every message it sends (threshold 0).
					if n := f.inflated.Load(); n != int64(len(msgs)) {
						t.Errorf("%s: surge inflated %d echoes from ws, want all %d", name, n, len(msgs))
					}
					if n := f.deflated.Load(); n < int64(surgeAtLeast) {
						t.Errorf("%s: surge sent %d messages compressed, want at least %d", name, n, surgeAtLeast)
					}
				})
			}
		})
	}
}

// withThreshold returns cfg with its Threshold set to n.
func withThreshold(cfg deflate.Config, n int) deflate.Config {
	cfg.Threshold = n
	return cfg
}
