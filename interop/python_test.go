//go:build unix

package interop

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// Interop with Python's websockets library (python/ws_client.py and
// python/ws_server.py), both directions. websockets is a strict RFC 6455 /
// RFC 7692 implementation written independently of surge and of Node's ws:
// it fails the connection on any framing, close-code or UTF-8 violation, and
// its client offers permessage-deflate by default while its server accepts
// it (with 12-bit windows), so a default Python peer meets a surge server
// with deflate.New compressed. The scripts print the JSON events of the Node
// scripts, so the same helpers read them.

const (
	// pyDir holds the Python scripts.
	pyDir = "python"
	// pyPeer names the library in failure messages.
	pyPeer = "python websockets"
	// pyBig is the size of the large message exchanged with websockets.
	pyBig = 16 << 20
	// pyJSONSize is the size of ws_client.py's compressible text (JSON_SIZE).
	pyJSONSize = 6000
	// pyEchoLimit bounds an echo run of ws_client.py: above the script's own
	// 60 s bound, so that a stuck run is reported with the step it was in.
	pyEchoLimit = 90 * time.Second
)

// pyCloseCodes are the codes of the closes a Python client starts or sees a
// surge server start, one process each: the normal pair, and the edges of
// the registered and private ranges. (Against the Python server, where a case
// costs no process, every wire close code is tried.)
var pyCloseCodes = []frame.CloseCode{1000, 1001, 3000, 4999}

// python is the interpreter that can import websockets, found once.
var python struct {
	once              sync.Once
	exe, version, why string // why: the skip message when none can
}

// needPython skips the test, saying what to install, unless a python3 can
// import websockets, and logs which one and the websockets version. CI
// installs python3-websockets (scripts/test), so there it runs.
func needPython(t *testing.T) {
	t.Helper()
	exe := pythonExe(t)
	t.Logf("python websockets %s (%s)", python.version, exe)
}

// pythonExe returns the python3 that needPython found, skipping the test when
// there is none.
func pythonExe(t *testing.T) string {
	t.Helper()
	python.once.Do(findPython)
	if python.why != "" {
		t.Skip(python.why)
	}
	return python.exe
}

// findPython looks for a python3 that can import websockets: the one named by
// $SURGE_INTEROP_PYTHON alone when it is set, else python3 on the PATH and
// then Debian's /usr/bin/python3, since a python3 from pyenv or a virtualenv
// comes first on many PATHs and does not see the dist-packages where apt
// installs python3-websockets.
func findPython() {
	candidates := []string{"python3", "/usr/bin/python3"}
	if env := os.Getenv("SURGE_INTEROP_PYTHON"); env != "" {
		candidates = []string{env}
	}
	var tried []string
	for _, c := range candidates {
		exe, err := exec.LookPath(c)
		if err != nil {
			if len(candidates) == 1 {
				python.why = fmt.Sprintf("SURGE_INTEROP_PYTHON=%s: %v; unset it or name a python3 that can import websockets to run the Python websockets interop tests", c, err)
				return
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, exe, "-c", "import websockets; print(websockets.__version__)").Output()
		cancel()
		if err == nil {
			python.exe, python.version = exe, strings.TrimSpace(string(out))
			return
		}
		tried = append(tried, exe)
	}
	if len(tried) == 0 {
		python.why = "python3 is not installed: install python3 and python3-websockets (apt-get install -y python3-websockets) to run the Python websockets interop tests"
		return
	}
	python.why = fmt.Sprintf("no python3 can import websockets (tried %s): install python3-websockets (apt-get install -y python3-websockets), or set SURGE_INTEROP_PYTHON to a python3 that has it, to run the Python websockets interop tests", strings.Join(tried, ", "))
}

// runPyClient runs ws_client.py with args to completion (within limit) and
// returns its events, like runNodeClient.
func runPyClient(t *testing.T, name string, limit time.Duration, args ...string) []nodeEvent {
	t.Helper()
	return runClientScript(t, name, pyPeer+" client", limit, pyDir, pythonExe(t), append([]string{"ws_client.py"}, args...)...)
}

// pyEchoChecks are the steps of ws_client.py's echo scenario run with a big
// message of big bytes. websockets encodes the items of a fragmented text
// one by one, so unlike ws it cannot split text inside a UTF-8 sequence; its
// fragments end between characters, "é" in the second one.
func pyEchoChecks(big int) []nodeEchoCheck {
	json := sha256Hex(jsonText(pyJSONSize))
	return []nodeEchoCheck{
		{step: "text", text: "hello surge"},
		{step: "binary", binary: true, hex: "00010280feff"},
		{step: "utf8-text", text: "café ✓ 𝄞"},
		{step: "fragmented-text", text: "frag-ménted"},
		{step: "fragmented-binary", binary: true, hex: "010203040506"},
		{step: "big", binary: true, len: big, sha: sha256Hex(pattern(big))},
		{step: "json-text", len: pyJSONSize, sha: json},
		{step: "json-fragmented", len: pyJSONSize, sha: json},
	}
}

// TestPythonClientToSurgeServer runs websockets as a client against a surge
// server without extensions (which declines websockets' default
// permessage-deflate offer): echo of text, binary, fragmented and 16 MiB
// messages, a ping each way, and closes started by either side.
func TestPythonClientToSurgeServer(t *testing.T) {
	needPython(t)
	srv := startSurge(t, engine.Config{Session: session.Config{MaxMessageSize: bigLimit}})
	client := pyPeer + " client"

	t.Run("echo", func(t *testing.T) {
		const name = pyPeer + " client → surge server: echo"
		evs := runPyClient(t, name, pyEchoLimit, srv.url+"/echo?id=echo", "echo", strconv.Itoa(pyBig))
		checkClientEcho(t, name, pyPeer, evs, srv, "echo", pyEchoChecks(pyBig), "")
		if ev := clientStep(t, name, client, evs, "open"); ev.Header != "" {
			t.Errorf("%s: surge answered %q to websockets' offer, want no Sec-WebSocket-Extensions", name, ev.Header)
		}
	})

	t.Run("ping", func(t *testing.T) {
		const name = pyPeer + " client → surge server: ping"
		// /pinging pings every 50 ms and drops a peer that misses a pong for
		// 1 s, so an open connection after 1.5 s means websockets' pongs
		// arrived.
		evs := runPyClient(t, name, 30*time.Second, srv.url+"/pinging?id=ping", "ping", "1500")
		if ev := clientStep(t, name, client, evs, "pong"); ev.Data != "py-ping" {
			t.Errorf("%s: surge answered websockets' ping %q with pong %q", name, "py-ping", ev.Data)
		}
		ev := clientStep(t, name, client, evs, "server-pings")
		if ev.Count < 5 || !ev.Open {
			t.Errorf("%s: websockets saw %d surge pings in 1.5 s and open=%v, want at least 5 and an open connection", name, ev.Count, ev.Open)
		}
		if ev := clientStep(t, name, client, evs, "close"); ev.Code != int(frame.CloseNormal) || ev.Reason != "done" {
			t.Errorf("%s: websockets saw close %d %q, want 1000 \"done\" echoed", name, ev.Code, ev.Reason)
		}
		end := srv.waitEnd(t, name, "ping", 10*time.Second)
		if end.Reason != (session.CloseReason{Code: frame.CloseNormal, Reason: "done"}) || end.Err != nil {
			t.Errorf("%s: surge session ended with %v (err %v), want 1000 \"done\" and no error", name, end.Reason, end.Err)
		}
	})

	for _, code := range pyCloseCodes {
		t.Run(fmt.Sprintf("client-close-%d", code), func(t *testing.T) {
			name := fmt.Sprintf("%s client → surge server: websockets closes with %d", pyPeer, code)
			id := fmt.Sprintf("cc-%d", code)
			reason := fmt.Sprintf("websockets says %d", code)
			evs := runPyClient(t, name, 20*time.Second, srv.url+"/echo?id="+id, "close", strconv.Itoa(int(code)), reason)
			if ev := clientStep(t, name, client, evs, "close"); ev.Code != int(code) || ev.Reason != reason {
				t.Errorf("%s: websockets saw close %d %q, want surge's echo %d %q", name, ev.Code, ev.Reason, code, reason)
			}
			end := srv.waitEnd(t, name, id, 10*time.Second)
			if end.Reason != (session.CloseReason{Code: code, Reason: reason}) || end.Err != nil {
				t.Errorf("%s: surge session ended with %v (err %v), want %d %q and no error", name, end.Reason, end.Err, code, reason)
			}
		})
	}

	for _, code := range pyCloseCodes {
		t.Run(fmt.Sprintf("server-close-%d", code), func(t *testing.T) {
			name := fmt.Sprintf("%s client → surge server: surge closes with %d", pyPeer, code)
			id := fmt.Sprintf("sc-%d", code)
			reason := fmt.Sprintf("surge says %d", code)
			q := url.Values{"id": {id}, "code": {strconv.Itoa(int(code))}, "reason": {reason}}
			evs := runPyClient(t, name, 20*time.Second, srv.url+"/serverclose?"+q.Encode(), "wait")
			if ev := clientStep(t, name, client, evs, "close"); ev.Code != int(code) || ev.Reason != reason {
				t.Errorf("%s: websockets saw close %d %q, want %d %q", name, ev.Code, ev.Reason, code, reason)
			}
			end := srv.waitEnd(t, name, id, 10*time.Second)
			if end.Reason != (session.CloseReason{Code: code, Reason: reason}) || end.Err != nil {
				t.Errorf("%s: surge session ended with %v (err %v), want %d %q and no error", name, end.Reason, end.Err, code, reason)
			}
		})
	}
}

// checkPyDeflate checks that websockets (ev: the open event of either script,
// with its extension names and the Sec-WebSocket-Extensions answer) and
// surge (the parameters f negotiated for its one session) agree on
// permessage-deflate with the parameters want.
func checkPyDeflate(t *testing.T, name string, ev nodeEvent, f *countingDeflate, want deflate.Params) {
	t.Helper()
	if ev.Data != deflate.ExtensionName || !strings.HasPrefix(ev.Header, deflate.ExtensionName) {
		t.Errorf("%s: websockets negotiated extensions %q (answer %q), want %s", name, ev.Data, ev.Header, deflate.ExtensionName)
	}
	// A parameter is in the answer as name or name=bits, or absent.
	bits := func(name string, n int) string {
		if n < deflate.MaxWindowBits {
			return name + "=" + strconv.Itoa(n)
		}
		return ""
	}
	flag := func(name string, on bool) string {
		if on {
			return name
		}
		return ""
	}
	for _, p := range []struct{ name, want string }{
		{deflate.ParamServerNoContextTakeover, flag(deflate.ParamServerNoContextTakeover, want.ServerNoContextTakeover)},
		{deflate.ParamClientNoContextTakeover, flag(deflate.ParamClientNoContextTakeover, want.ClientNoContextTakeover)},
		{deflate.ParamServerMaxWindowBits, bits(deflate.ParamServerMaxWindowBits, want.ServerMaxWindowBits)},
		{deflate.ParamClientMaxWindowBits, bits(deflate.ParamClientMaxWindowBits, want.ClientMaxWindowBits)},
	} {
		got := ""
		for _, q := range strings.Split(ev.Header, ";") {
			if q = strings.TrimSpace(q); q == p.name || strings.HasPrefix(q, p.name+"=") {
				got = q
			}
		}
		if got != p.want {
			t.Errorf("%s: the answer %q has %s as %q, want %q", name, ev.Header, p.name, got, p.want)
		}
	}
	ps := f.negotiated()
	if len(ps) != 1 || ps[0] != want {
		t.Errorf("%s: surge negotiated %v, want one session with %v", name, ps, want)
	}
}

// pyDeflateCase is a surge deflate configuration and the parameters both
// ends must then agree on with websockets.
type pyDeflateCase struct {
	name  string
	surge deflate.Config
	want  deflate.Params
}

// pyDeflateCases are surge's default (no context takeover either way) and
// context takeover kept both ways, with windows of bits bits both ways (15
// when websockets is the client, whose offer leaves them; 12 when it is the
// server, which answers with 12).
func pyDeflateCases(bits int) []pyDeflateCase {
	return []pyDeflateCase{
		{name: "surge-default", surge: deflate.Config{},
			want: deflate.Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: bits, ClientMaxWindowBits: bits}},
		{name: "takeover", surge: deflateAccept,
			want: deflate.Params{ServerMaxWindowBits: bits, ClientMaxWindowBits: bits}},
	}
}

// TestPythonClientToSurgeServerDeflate runs ws_client.py's echo scenario,
// with websockets' default permessage-deflate offer ("permessage-deflate;
// client_max_window_bits"), against surge servers with deflate.New: surge's
// default (no context takeover either way) and context takeover kept both
// ways. websockets compresses every message it sends, so surge must inflate
// all of them; surge compresses its echoes of 128 bytes or more.
func TestPythonClientToSurgeServerDeflate(t *testing.T) {
	needPython(t)
	checks := pyEchoChecks(pyBig)
	// The 16 MiB pattern and the two 6000-byte texts.
	const surgeAtLeast = 3
	for _, tc := range pyDeflateCases(15) {
		t.Run(tc.name, func(t *testing.T) {
			name := pyPeer + " client → surge server, deflate " + tc.name
			f := newCountingDeflate(tc.surge)
			srv := startSurge(t, engine.Config{Extensions: []extension.Factory{f}})
			evs := runPyClient(t, name, pyEchoLimit, srv.url+"/echo?id=deflate", "echo", strconv.Itoa(pyBig))
			checkClientEcho(t, name, pyPeer, evs, srv, "deflate", checks, deflate.ExtensionName)
			open := clientStep(t, name, pyPeer+" client", evs, "open")
			checkPyDeflate(t, name, open, f, tc.want)
			t.Logf("%s: answer %q; surge inflated %d and compressed %d of %d messages", name, open.Header, f.inflated.Load(), f.deflated.Load(), len(checks))
			if n := f.inflated.Load(); n != int64(len(checks)) {
				t.Errorf("%s: surge inflated %d messages from websockets, want all %d", name, n, len(checks))
			}
			if n := f.deflated.Load(); n < surgeAtLeast {
				t.Errorf("%s: surge sent %d echoes compressed, want at least %d", name, n, surgeAtLeast)
			}
		})
	}
}

// startPyServer starts ws_server.py and waits for the port it listens on.
func startPyServer(t *testing.T) *nodeServer {
	t.Helper()
	p := startProc(t, 5*time.Minute, pyDir, pythonExe(t), "ws_server.py")
	return watchServer(t, pyPeer, p)
}

// pyMessage is one message the surge client sends to ws_server.py, in one
// frame or in fragments, and expects back.
type pyMessage struct {
	step string
	send []session.Frame
	op   frame.Opcode
	want []byte
}

// pyMessages are the messages of the surge client → websockets cases, new
// for each connection since Send takes ownership of its frames: text
// (non-ASCII), binary, a text fragmented inside a UTF-8 sequence, a
// fragmented binary, a compressible 6000-byte text and the 16 MiB pattern.
func pyMessages() []pyMessage {
	big := pattern(pyBig)
	json := jsonText(pyJSONSize)
	return []pyMessage{
		{step: "text", send: []session.Frame{session.CopyText("hello websockets ✓")}, op: frame.OpText, want: []byte("hello websockets ✓")},
		{step: "binary", send: []session.Frame{session.BorrowBinary([]byte{0, 1, 0xfe, 0xff})}, op: frame.OpBinary, want: []byte{0, 1, 0xfe, 0xff}},
		// "é" is c3 a9: the first fragment ends inside it, which websockets'
		// incremental UTF-8 decoder must accept (RFC 6455 §5.6).
		{step: "fragmented-text", send: fragments(frame.OpText, []byte("caf"), []byte{0xc3}, []byte{0xa9, '!'}), op: frame.OpText, want: []byte("café!")},
		{step: "fragmented-binary", send: fragments(frame.OpBinary, []byte{1}, []byte{2, 3}, []byte{4}), op: frame.OpBinary, want: []byte{1, 2, 3, 4}},
		{step: "json-text", send: []session.Frame{session.BorrowText(json)}, op: frame.OpText, want: json},
		{step: "big", send: []session.Frame{session.BorrowBinary(big)}, op: frame.OpBinary, want: big},
	}
}

// pyEchoRun dials route on ps with exts offered, sends every message of
// msgs, checks each echo and closes with 1000 "bye"; it returns the open
// event websockets reported.
func pyEchoRun(t *testing.T, name string, ps *nodeServer, route, id string, msgs []pyMessage, exts ...extension.Factory) nodeEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := nodeDial(t, ctx, name, ps.url+"/"+route+"?id="+id, nil, exts...)
	var got, want []string
	for _, e := range c.Request().Extensions {
		got = append(got, e.Name())
	}
	if len(exts) > 0 {
		want = []string{deflate.ExtensionName} // the only one the tests offer
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: surge client negotiated %q, want %q", name, got, want)
	}
	open := ps.waitEvent(t, name, id, "open", 10*time.Second)
	for _, m := range msgs {
		for _, f := range m.send {
			if err := c.Send(ctx, f); err != nil {
				t.Fatalf("%s/%s: send: %v", name, m.step, err)
			}
		}
		checkEcho(t, ctx, name+"/"+m.step, c, m.op, m.want)
	}
	closeAndCheck(t, name, c, ps, id, frame.CloseNormal, "bye")
	return open
}

// TestSurgeClientToPythonServer runs surge's client, without extensions,
// against a websockets server: echo of text, binary, fragmented and 16 MiB
// messages (and websockets' fragmented echoes of them), a ping each way, and
// a close started by either side with every wire close code.
func TestSurgeClientToPythonServer(t *testing.T) {
	needPython(t)
	ps := startPyServer(t)

	for _, route := range []string{"echo", "fragmented"} {
		t.Run(route, func(t *testing.T) {
			name := fmt.Sprintf("surge client → %s server: /%s", pyPeer, route)
			open := pyEchoRun(t, name, ps, route, route, pyMessages())
			if open.Data != "" || open.Header != "" {
				t.Errorf("%s: websockets negotiated %q (answer %q) with a client that offered nothing", name, open.Data, open.Header)
			}
		})
	}

	surgeClientPing(t, ps, "websockets", "py-ping")
	surgeClientCloses(t, ps, "websockets")
}

// TestSurgeClientToPythonServerDeflate runs a surge client offering
// permessage-deflate against a websockets server, which accepts with 12-bit
// windows both ways (server_max_window_bits=12, and client_max_window_bits=12
// since surge's offer allows it) and compresses every message it sends:
// surge's default offer (no context takeover either way) and one keeping the
// context both ways, each through /echo and /fragmented (where every
// compressed echo comes in three frames, RSV1 on the first only).
func TestSurgeClientToPythonServerDeflate(t *testing.T) {
	needPython(t)
	ps := startPyServer(t)
	// surge compresses every message it sends whole and of
	// deflate.DefaultThreshold bytes or more (all of them shrink); it sends
	// fragments as they are.
	surgeAtLeast, nmsgs := 0, len(pyMessages())
	for _, m := range pyMessages() {
		if len(m.send) == 1 && len(m.want) >= deflate.DefaultThreshold {
			surgeAtLeast++
		}
	}
	for _, tc := range pyDeflateCases(12) {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []string{"echo", "fragmented"} {
				t.Run(route, func(t *testing.T) {
					name := fmt.Sprintf("surge client → %s server, deflate %s: /%s", pyPeer, tc.name, route)
					id := tc.name + "-" + route
					f := newCountingDeflate(tc.surge)
					open := pyEchoRun(t, name, ps, route, id, pyMessages(), f)
					checkPyDeflate(t, name, open, f, tc.want)
					t.Logf("%s: answer %q; surge inflated %d and compressed %d of %d messages", name, open.Header, f.inflated.Load(), f.deflated.Load(), nmsgs)
					// websockets compresses every message it sends.
					if n := f.inflated.Load(); n != int64(nmsgs) {
						t.Errorf("%s: surge inflated %d echoes from websockets, want all %d", name, n, nmsgs)
					}
					if n := f.deflated.Load(); n < int64(surgeAtLeast) {
						t.Errorf("%s: surge sent %d messages compressed, want at least %d", name, n, surgeAtLeast)
					}
				})
			}
		})
	}
}
