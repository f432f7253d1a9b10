//go:build unix

package interop

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// nodeDir holds the Node scripts and their node_modules.
const nodeDir = "node"

// nodeBig is the size of the large message exchanged with ws (issue 8).
const nodeBig = 16 << 20

// nodeEvent is one JSON line printed by ws-client.js (Case) or ws-server.js
// (Event); python/ws_client.py and ws_server.py print the same fields.
type nodeEvent struct {
	Case    string `json:"case"`
	Event   string `json:"event"`
	ID      string `json:"id"`
	Path    string `json:"path"`
	Binary  bool   `json:"binary"`
	Len     int    `json:"len"`
	Hex     string `json:"hex"`
	Text    string `json:"text"`
	Sha256  string `json:"sha256"`
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Data    string `json:"data"`
	Header  string `json:"header"`
	Count   int    `json:"count"`
	Last    string `json:"last"`
	Open    bool   `json:"open"`
	ErrCode string `json:"errCode"`
	Message string `json:"message"`
	Error   string `json:"error"`
}

// needNode skips the test when node or the ws package is not installed.
// CI installs both (.ci/run: npm ci in interop/node), so there they run.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js to run the ws interop tests")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "ws", "package.json")); err != nil {
		t.Skip("interop/node/node_modules/ws is missing: run `npm ci` in interop/node to run the ws interop tests")
	}
}

// runNodeClient runs ws-client.js with args to completion (within limit) and
// returns its events; a transport error it reports, a non-zero exit, or a
// line that is not JSON fails the test, naming the case.
func runNodeClient(t *testing.T, name string, limit time.Duration, args ...string) []nodeEvent {
	t.Helper()
	return runClientScript(t, name, "ws client", limit, nodeDir, "node", append([]string{"ws-client.js"}, args...)...)
}

// runClientScript runs the client script command with args in dir to
// completion (within limit) and returns its events, like runNodeClient; peer
// names the client in failure messages.
func runClientScript(t *testing.T, name, peer string, limit time.Duration, dir, command string, args ...string) []nodeEvent {
	t.Helper()
	p := startProc(t, limit, dir, command, args...)
	var evs []nodeEvent
	deadline := time.Now().Add(limit)
	for {
		l, ok := p.nextLine(time.Until(deadline))
		if !ok {
			break
		}
		var ev nodeEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("%s: %s printed a line that is not JSON: %q", name, peer, l)
		}
		if ev.Case == "error" {
			t.Fatalf("%s: %s failed: %s\nstderr: %s", name, peer, ev.Error, p.stderr())
		}
		evs = append(evs, ev)
	}
	exited, err := p.wait(time.Until(deadline) + time.Second)
	if !exited {
		t.Fatalf("%s: %s still running after %v; events so far: %+v\nstderr: %s", name, peer, limit, evs, p.stderr())
	}
	if err != nil {
		t.Fatalf("%s: %s: %v; events: %+v\nstderr: %s", name, peer, err, evs, p.stderr())
	}
	return evs
}

// byCase returns the event of ws-client.js named c, failing the test when it
// is missing.
func byCase(t *testing.T, name string, evs []nodeEvent, c string) nodeEvent {
	t.Helper()
	return clientStep(t, name, "ws client", evs, c)
}

// clientStep returns the event named c of a client script (peer, for the
// failure message), failing the test when it is missing.
func clientStep(t *testing.T, name, peer string, evs []nodeEvent, c string) nodeEvent {
	t.Helper()
	for _, ev := range evs {
		if ev.Case == c {
			return ev
		}
	}
	t.Fatalf("%s: %s reported no %q step; events: %+v", name, peer, c, evs)
	return nodeEvent{}
}

// nodeEchoCheck is one step of ws-client.js's echo scenarios and the echo ws
// must have received for it.
type nodeEchoCheck struct {
	step   string
	binary bool
	text   string // for text steps of up to 1024 bytes
	hex    string // for small binary steps
	len    int
	sha    string // for steps above 1024 bytes, which ws-client.js hashes
}

// nodeEchoChecks are the steps of ws-client.js's echo scenario run with a big
// message of big bytes.
func nodeEchoChecks(big int) []nodeEchoCheck {
	return []nodeEchoCheck{
		{step: "text", text: "hello surge"},
		{step: "binary", binary: true, hex: "00010280feff"},
		{step: "fragmented-text", text: "frag-mented"},
		{step: "fragmented-binary", binary: true, hex: "010203040506"},
		{step: "split-utf8", text: "café"},
		{step: "big", binary: true, len: big, sha: sha256Hex(pattern(big))},
	}
}

// checkNodeEcho checks a run of one of ws-client.js's echo scenarios against
// srv's /echo?id=id: every step's echo as checks says, ext as the extension
// both ends negotiated ("" for none), the closing handshake 1000 "done" seen
// by both, and one surge message per step (fragments join into one). It
// returns how the surge session ended, for further checks.
func checkNodeEcho(t *testing.T, name string, evs []nodeEvent, srv *surgeServer, id string, checks []nodeEchoCheck, ext string) surgeEnd {
	t.Helper()
	return checkClientEcho(t, name, "ws", evs, srv, id, checks, ext)
}

// checkClientEcho is checkNodeEcho for the client peer (a library name, for
// failure messages) whose events evs are.
func checkClientEcho(t *testing.T, name, peer string, evs []nodeEvent, srv *surgeServer, id string, checks []nodeEchoCheck, ext string) surgeEnd {
	t.Helper()
	client := peer + " client"
	if ev := clientStep(t, name, client, evs, "open"); ev.Data != ext {
		t.Errorf("%s: %s negotiated extensions %q (answer %q), want %q", name, peer, ev.Data, ev.Header, ext)
	}
	for _, c := range checks {
		ev := clientStep(t, name, client, evs, c.step)
		switch {
		case ev.Binary != c.binary:
			t.Errorf("%s/%s: echo binary=%v, want %v", name, c.step, ev.Binary, c.binary)
		case c.sha != "" && (ev.Len != c.len || ev.Sha256 != c.sha):
			t.Errorf("%s/%s: echo of %d bytes has sha256 %s, want %d bytes with %s", name, c.step, ev.Len, ev.Sha256, c.len, c.sha)
		case c.hex != "" && ev.Hex != c.hex:
			t.Errorf("%s/%s: echo %s, want %s", name, c.step, ev.Hex, c.hex)
		case c.sha == "" && c.hex == "" && ev.Text != c.text:
			t.Errorf("%s/%s: echo %q, want %q", name, c.step, ev.Text, c.text)
		}
	}
	if ev := clientStep(t, name, client, evs, "close"); ev.Code != int(frame.CloseNormal) || ev.Reason != "done" {
		t.Errorf("%s: %s saw close %d %q, want 1000 \"done\" echoed", name, peer, ev.Code, ev.Reason)
	}
	end := srv.waitEnd(t, name, id, 10*time.Second)
	if end.Reason != (session.CloseReason{Code: frame.CloseNormal, Reason: "done"}) || end.Err != nil {
		t.Errorf("%s: surge session ended with %v (err %v), want 1000 \"done\" and no error", name, end.Reason, end.Err)
	}
	if end.Msgs != len(checks) {
		t.Errorf("%s: surge received %d messages, want %d (fragments must join into one)", name, end.Msgs, len(checks))
	}
	var want []string
	if ext != "" {
		want = []string{ext}
	}
	if !slices.Equal(end.Exts, want) {
		t.Errorf("%s: surge session negotiated extensions %q, want %q", name, end.Exts, want)
	}
	return end
}

// TestNodeClientToSurgeServer runs Node's ws as a client against a surge
// server: echo of text, binary, fragmented and 16 MiB messages, pings both
// ways, a close started by either side with every wire close code, and
// invalid UTF-8 answered with 1007.
func TestNodeClientToSurgeServer(t *testing.T) {
	needNode(t)
	srv := startSurge(t, engine.Config{Session: session.Config{MaxMessageSize: bigLimit}})

	t.Run("echo", func(t *testing.T) {
		const name = "ws client → surge server: echo"
		evs := runNodeClient(t, name, 90*time.Second, srv.url+"/echo?id=echo", "echo", strconv.Itoa(nodeBig))
		// ws offers permessage-deflate; a server without Extensions declines.
		checkNodeEcho(t, name, evs, srv, "echo", nodeEchoChecks(nodeBig), "")
	})

	t.Run("ping", func(t *testing.T) {
		const name = "ws client → surge server: ping"
		// /pinging pings every 50 ms and drops a peer that misses a pong for
		// 1 s, so an open connection after 1.5 s means ws's pongs arrived.
		evs := runNodeClient(t, name, 30*time.Second, srv.url+"/pinging?id=ping", "ping", "1500")
		if ev := byCase(t, name, evs, "pong"); ev.Data != "node-ping" {
			t.Errorf("%s: surge answered ws's ping %q with pong %q", name, "node-ping", ev.Data)
		}
		ev := byCase(t, name, evs, "server-pings")
		if ev.Count < 5 || !ev.Open {
			t.Errorf("%s: ws saw %d surge pings in 1.5 s and open=%v, want at least 5 and an open connection", name, ev.Count, ev.Open)
		}
		end := srv.waitEnd(t, name, "ping", 10*time.Second)
		if end.Reason.Code != frame.CloseNormal || end.Err != nil {
			t.Errorf("%s: surge session ended with %v (err %v), want 1000 and no error", name, end.Reason, end.Err)
		}
	})

	for _, code := range wireCloseCodes {
		t.Run(fmt.Sprintf("client-close-%d", code), func(t *testing.T) {
			name := fmt.Sprintf("ws client → surge server: ws closes with %d", code)
			id := fmt.Sprintf("cc-%d", code)
			reason := fmt.Sprintf("ws says %d", code)
			evs := runNodeClient(t, name, 20*time.Second, srv.url+"/echo?id="+id, "close", strconv.Itoa(int(code)), reason)
			if ev := byCase(t, name, evs, "close"); ev.Code != int(code) || ev.Reason != reason {
				t.Errorf("%s: ws saw close %d %q, want surge's echo %d %q", name, ev.Code, ev.Reason, code, reason)
			}
			end := srv.waitEnd(t, name, id, 10*time.Second)
			if end.Reason != (session.CloseReason{Code: code, Reason: reason}) || end.Err != nil {
				t.Errorf("%s: surge session ended with %v (err %v), want %d %q and no error", name, end.Reason, end.Err, code, reason)
			}
		})
	}

	t.Run("client-close-nostatus", func(t *testing.T) {
		const name = "ws client → surge server: ws closes without a status"
		evs := runNodeClient(t, name, 20*time.Second, srv.url+"/echo?id=cc-none", "close", "none")
		if ev := byCase(t, name, evs, "close"); ev.Code != int(frame.CloseNoStatus) {
			t.Errorf("%s: ws saw close %d %q, want 1005 (an empty close echoed)", name, ev.Code, ev.Reason)
		}
		end := srv.waitEnd(t, name, "cc-none", 10*time.Second)
		if end.Reason.Code != frame.CloseNoStatus || end.Err != nil {
			t.Errorf("%s: surge session ended with %v (err %v), want 1005 and no error", name, end.Reason, end.Err)
		}
	})

	for _, code := range wireCloseCodes {
		t.Run(fmt.Sprintf("server-close-%d", code), func(t *testing.T) {
			name := fmt.Sprintf("ws client → surge server: surge closes with %d", code)
			id := fmt.Sprintf("sc-%d", code)
			reason := fmt.Sprintf("surge says %d", code)
			q := url.Values{"id": {id}, "code": {strconv.Itoa(int(code))}, "reason": {reason}}
			evs := runNodeClient(t, name, 20*time.Second, srv.url+"/serverclose?"+q.Encode(), "wait")
			if ev := byCase(t, name, evs, "close"); ev.Code != int(code) || ev.Reason != reason {
				t.Errorf("%s: ws saw close %d %q, want %d %q", name, ev.Code, ev.Reason, code, reason)
			}
			end := srv.waitEnd(t, name, id, 10*time.Second)
			if end.Reason != (session.CloseReason{Code: code, Reason: reason}) || end.Err != nil {
				t.Errorf("%s: surge session ended with %v (err %v), want %d %q and no error", name, end.Reason, end.Err, code, reason)
			}
		})
	}

	for _, scenario := range []string{"badutf8", "badutf8-frag"} {
		t.Run(scenario, func(t *testing.T) {
			name := "ws client → surge server: invalid UTF-8 (" + scenario + ")"
			id := scenario
			evs := runNodeClient(t, name, 20*time.Second, srv.url+"/echo?id="+id, scenario)
			if ev := byCase(t, name, evs, "close"); ev.Code != int(frame.CloseInvalidPayload) {
				t.Errorf("%s: ws saw close %d %q, want 1007", name, ev.Code, ev.Reason)
			}
			end := srv.waitEnd(t, name, id, 10*time.Second)
			if end.Reason.Code != frame.CloseInvalidPayload || errCloseCode(end.Err) != frame.CloseInvalidPayload {
				t.Errorf("%s: surge session ended with %v (err %v), want 1007 and a 1007 protocol error", name, end.Reason, end.Err)
			}
			if end.Msgs != 0 {
				t.Errorf("%s: surge delivered %d messages, want none (invalid text must not reach the handler)", name, end.Msgs)
			}
		})
	}
}

// nodeServer is a running ws-server.js (or python/ws_server.py) and the
// events it has printed.
type nodeServer struct {
	p    *proc
	url  string
	peer string // the library, for failure messages: "ws", "python websockets"

	mu      sync.Mutex
	events  []nodeEvent
	changed chan struct{} // closed and replaced on each new event
}

// startNodeServer starts ws-server.js with args and waits for the port it
// listens on.
func startNodeServer(t *testing.T, args ...string) *nodeServer {
	t.Helper()
	p := startProc(t, 5*time.Minute, nodeDir, "node", append([]string{"ws-server.js"}, args...)...)
	return watchServer(t, "ws", p)
}

// watchServer waits for the port a server script p prints on its first line
// and collects the events it prints after it; peer names the library in
// failure messages.
func watchServer(t *testing.T, peer string, p *proc) *nodeServer {
	t.Helper()
	l, ok := p.nextLine(20 * time.Second)
	port, err := strconv.Atoi(strings.TrimSpace(l))
	if !ok || err != nil {
		t.Fatalf("%s server: no port on its first line (got %q)\nstderr: %s", peer, l, p.stderr())
	}
	s := &nodeServer{p: p, url: fmt.Sprintf("ws://127.0.0.1:%d", port), peer: peer, changed: make(chan struct{})}
	go func() {
		for l := range p.lines {
			var ev nodeEvent
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				ev = nodeEvent{Event: "garbage", Message: l}
			}
			s.mu.Lock()
			s.events = append(s.events, ev)
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	return s
}

// waitEvent returns the first event of kind for connection id, failing the
// test after d.
func (s *nodeServer) waitEvent(t *testing.T, name, id, kind string, d time.Duration) nodeEvent {
	t.Helper()
	deadline := time.After(d)
	for {
		s.mu.Lock()
		for _, ev := range s.events {
			if ev.ID == id && ev.Event == kind {
				s.mu.Unlock()
				return ev
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: %s server reported no %q event for %q within %v; events: %+v\nstderr: %s", name, s.peer, kind, id, d, s.eventsOf(id), s.p.stderr())
			return nodeEvent{}
		}
	}
}

// eventsOf returns the events of connection id so far.
func (s *nodeServer) eventsOf(id string) []nodeEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []nodeEvent
	for _, ev := range s.events {
		if ev.ID == id {
			out = append(out, ev)
		}
	}
	return out
}

// nodeDial dials the ws server as a surge client with the big-message limit,
// offering exts.
func nodeDial(t *testing.T, ctx context.Context, name, u string, cfg *session.Config, exts ...extension.Factory) *session.Session {
	t.Helper()
	if cfg == nil {
		cfg = &session.Config{}
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = bigLimit
	}
	c, err := engine.Dial(ctx, u, &engine.DialOptions{Session: *cfg, Extensions: exts, HandshakeTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("%s: surge client: dial %s: %v", name, u, err)
	}
	t.Cleanup(c.Terminate)
	return c
}

// TestSurgeClientToNodeServer runs surge's client against a Node ws server:
// echo of text, binary, fragmented (both directions) and 16 MiB messages,
// pings both ways, a close started by either side with every wire close code,
// and invalid UTF-8 answered with 1007.
func TestSurgeClientToNodeServer(t *testing.T) {
	needNode(t)
	ns := startNodeServer(t)

	t.Run("echo", func(t *testing.T) {
		const name = "surge client → ws server: echo"
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := nodeDial(t, ctx, name, ns.url+"/echo?id=echo", nil)
		big := pattern(nodeBig)
		steps := []struct {
			step string
			send []session.Frame // one message, possibly in fragments
			op   frame.Opcode
			want []byte
		}{
			{step: "text", send: []session.Frame{session.CopyText("hello ws")}, op: frame.OpText, want: []byte("hello ws")},
			{step: "binary", send: []session.Frame{session.BorrowBinary([]byte{0, 1, 0xfe, 0xff})}, op: frame.OpBinary, want: []byte{0, 1, 0xfe, 0xff}},
			{step: "fragmented-text", send: fragments(frame.OpText, []byte("caf"), []byte{0xc3}, []byte{0xa9, '!'}), op: frame.OpText, want: []byte("café!")},
			{step: "fragmented-binary", send: fragments(frame.OpBinary, []byte{1}, []byte{2, 3}, []byte{4}), op: frame.OpBinary, want: []byte{1, 2, 3, 4}},
			{step: "big", send: []session.Frame{session.BorrowBinary(big)}, op: frame.OpBinary, want: big},
		}
		for _, st := range steps {
			for _, f := range st.send {
				if err := c.Send(ctx, f); err != nil {
					t.Fatalf("%s/%s: send: %v", name, st.step, err)
				}
			}
			checkEcho(t, ctx, name+"/"+st.step, c, st.op, st.want)
		}
		closeAndCheck(t, name, c, ns, "echo", frame.CloseNormal, "bye")
	})

	t.Run("fragmented", func(t *testing.T) {
		const name = "surge client → ws server: ws sends fragments"
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := nodeDial(t, ctx, name, ns.url+"/fragmented?id=frag", nil)
		// ws splits at thirds of the bytes: 10 bytes of "é" split at 3 and 6,
		// inside the second character, so the text is valid only as a whole.
		text := []byte("ééééé")
		big := pattern(nodeBig)
		for _, st := range []struct {
			step string
			f    session.Frame
			op   frame.Opcode
			want []byte
		}{
			{step: "text", f: session.BorrowText(text), op: frame.OpText, want: text},
			{step: "big", f: session.BorrowBinary(big), op: frame.OpBinary, want: big},
		} {
			if err := c.Send(ctx, st.f); err != nil {
				t.Fatalf("%s/%s: send: %v", name, st.step, err)
			}
			checkEcho(t, ctx, name+"/"+st.step, c, st.op, st.want)
		}
		closeAndCheck(t, name, c, ns, "frag", frame.CloseNormal, "bye")
	})

	surgeClientPing(t, ns, "ws", "ws-ping")
	surgeClientCloses(t, ns, "ws")

	t.Run("badutf8", func(t *testing.T) {
		const name = "surge client → ws server: invalid UTF-8 from ws"
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := nodeDial(t, ctx, name, ns.url+"/badutf8?id=bad", nil)
		waitDone(t, name, c, 10*time.Second)
		for f := range c.Incoming() {
			t.Errorf("%s: surge delivered a %v message of %q, want none", name, f.Op, f.Payload)
			f.Release()
		}
		if r := c.CloseReason(); r.Code != frame.CloseInvalidPayload || errCloseCode(c.Err()) != frame.CloseInvalidPayload {
			t.Errorf("%s: surge client ended with %v (err %v), want 1007 and a 1007 protocol error", name, r, c.Err())
		}
		if ev := ns.waitEvent(t, name, "bad", "close", 10*time.Second); ev.Code != int(frame.CloseInvalidPayload) {
			t.Errorf("%s: ws saw close %d %q, want 1007", name, ev.Code, ev.Reason)
		}
	})
}

// surgeClientPing is the ping case of a surge client against a peer's server
// (route /ping, which pings with pong payload peerPing and reports the pings
// it gets): the peer's ping is answered with its payload, and a client that
// pings every 50 ms and waits 1 s for pongs is still open after 1.5 s, so the
// peer answered, its explicit "surge-ping" included. who names the peer in
// messages.
func surgeClientPing(t *testing.T, srv *nodeServer, who, peerPing string) {
	t.Run("ping", func(t *testing.T) {
		name := "surge client → " + srv.peer + " server: ping"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := nodeDial(t, ctx, name, srv.url+"/ping?id=ping", &session.Config{PingInterval: 50 * time.Millisecond, Timeout: time.Second})
		if err := c.Send(ctx, session.Frame{Fin: true, Op: frame.OpPing, Payload: []byte("surge-ping")}); err != nil {
			t.Fatalf("%s: send ping: %v", name, err)
		}
		if ev := srv.waitEvent(t, name, "ping", "pong", 10*time.Second); ev.Data != peerPing {
			t.Errorf("%s: surge answered %s's ping %q with pong %q", name, who, peerPing, ev.Data)
		}
		select {
		case <-c.Done():
			t.Fatalf("%s: surge client ended while pinging: %v (err %v)", name, c.CloseReason(), c.Err())
		case <-time.After(1500 * time.Millisecond):
		}
		pings, explicit := 0, false
		for _, ev := range srv.eventsOf("ping") {
			if ev.Event == "ping" {
				pings++
				explicit = explicit || ev.Data == "surge-ping"
			}
		}
		if pings < 5 || !explicit {
			t.Errorf("%s: %s saw %d surge pings (explicit \"surge-ping\" seen: %v), want at least 5 including it", name, who, pings, explicit)
		}
		closeAndCheck(t, name, c, srv, "ping", frame.CloseNormal, "bye")
	})
}

// surgeClientCloses runs, for every close code valid on the wire, a closing
// handshake started by a surge client (route /echo) and one started by the
// peer's server (route /close/CODE?reason=): both ends must see the code and
// reason, and the peer report no error. who names the peer in messages.
func surgeClientCloses(t *testing.T, srv *nodeServer, who string) {
	for _, code := range wireCloseCodes {
		t.Run(fmt.Sprintf("client-close-%d", code), func(t *testing.T) {
			name := fmt.Sprintf("surge client → %s server: surge closes with %d", srv.peer, code)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			id := fmt.Sprintf("cc-%d", code)
			c := nodeDial(t, ctx, name, srv.url+"/echo?id="+id, nil)
			closeAndCheck(t, name, c, srv, id, code, fmt.Sprintf("surge says %d", code))
		})
	}
	for _, code := range wireCloseCodes {
		t.Run(fmt.Sprintf("server-close-%d", code), func(t *testing.T) {
			name := fmt.Sprintf("surge client → %s server: %s closes with %d", srv.peer, who, code)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			id := fmt.Sprintf("sc-%d", code)
			reason := fmt.Sprintf("%s says %d", who, code)
			q := url.Values{"id": {id}, "reason": {reason}}
			c := nodeDial(t, ctx, name, fmt.Sprintf("%s/close/%d?%s", srv.url, code, q.Encode()), nil)
			waitDone(t, name, c, 10*time.Second)
			if r := c.CloseReason(); r != (session.CloseReason{Code: code, Reason: reason}) || c.Err() != nil {
				t.Errorf("%s: surge client ended with %v (err %v), want %d %q and no error", name, r, c.Err(), code, reason)
			}
			if ev := srv.waitEvent(t, name, id, "close", 10*time.Second); ev.Code != int(code) || ev.Reason != reason {
				t.Errorf("%s: %s saw close %d %q, want surge's echo %d %q", name, who, ev.Code, ev.Reason, code, reason)
			}
			if evs := srv.eventsOf(id); hasEvent(evs, "error") {
				t.Errorf("%s: %s reported an error: %+v", name, who, evs)
			}
		})
	}
}

// fragments returns a message of op split into one frame per part: the first
// carries op, the rest are continuations, the last has Fin (RFC 6455 §5.4).
func fragments(op frame.Opcode, parts ...[]byte) []session.Frame {
	fs := make([]session.Frame, len(parts))
	for i, p := range parts {
		fs[i] = session.Frame{Op: frame.OpContinuation, Fin: i == len(parts)-1, Payload: p}
	}
	fs[0].Op = op
	return fs
}

// checkEcho reads the next message of c and compares it with want.
func checkEcho(t *testing.T, ctx context.Context, name string, c *session.Session, op frame.Opcode, want []byte) {
	t.Helper()
	f, err := readMsg(ctx, c)
	if err != nil {
		t.Fatalf("%s: no echo: %v", name, err)
	}
	defer f.Release()
	if f.Op != op || !f.Fin || string(f.Payload) != string(want) {
		t.Fatalf("%s: echo is %v fin=%v %s, want %v %s", name, f.Op, f.Fin, brief(f.Payload), op, brief(want))
	}
}

// brief shows a payload in a failure message: whole when short, else its
// length and hash.
func brief(p []byte) string {
	if len(p) <= 64 {
		return hex.EncodeToString(p)
	}
	return fmt.Sprintf("%d bytes sha256 %s", len(p), sha256Hex(p))
}

// closeAndCheck closes c with code and reason and checks both ends saw a
// clean closing handshake with them.
func closeAndCheck(t *testing.T, name string, c *session.Session, ns *nodeServer, id string, code frame.CloseCode, reason string) {
	t.Helper()
	if err := c.Close(session.CloseReason{Code: code, Reason: reason}); err != nil {
		t.Fatalf("%s: close: %v", name, err)
	}
	waitDone(t, name, c, 10*time.Second)
	if r := c.CloseReason(); r != (session.CloseReason{Code: code, Reason: reason}) || c.Err() != nil {
		t.Errorf("%s: surge client ended with %v (err %v), want %d %q and no error", name, r, c.Err(), code, reason)
	}
	if ev := ns.waitEvent(t, name, id, "close", 10*time.Second); ev.Code != int(code) || ev.Reason != reason {
		t.Errorf("%s: %s saw close %d %q, want %d %q", name, ns.peer, ev.Code, ev.Reason, code, reason)
	}
	if ev := ns.eventsOf(id); hasEvent(ev, "error") {
		t.Errorf("%s: %s reported an error: %+v", name, ns.peer, ev)
	}
}

func hasEvent(evs []nodeEvent, kind string) bool {
	for _, ev := range evs {
		if ev.Event == kind {
			return true
		}
	}
	return false
}
