//go:build unix

package interop

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// browserCloseCode is the close code the page closes with: one of the
// private range (RFC 6455 §7.4.2), which a browser may send.
const browserCloseCode frame.CloseCode = 4001

// browserPage opens a WebSocket to surge, exchanges text, binary and 1 MiB
// messages, closes with browserCloseCode (.Code), and POSTs what it saw to
// /result. It checks nothing itself beyond byte comparisons: the Go test
// judges the report.
var browserPage = template.Must(template.New("page").Parse(`<!doctype html>
<meta charset="utf-8">
<title>surge interop</title>
<script>
(async () => {
  const out = {};
  const post = () => fetch('/result', {method: 'POST', body: JSON.stringify(out)});
  try {
    const ws = new WebSocket({{.WS}});
    ws.binaryType = 'arraybuffer';
    const queue = [], waiters = [];
    ws.onmessage = (e) => waiters.length ? waiters.shift()(e.data) : queue.push(e.data);
    const next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r));
    const closed = new Promise((r) => ws.addEventListener('close', (e) => r({code: e.code, reason: e.reason, wasClean: e.wasClean})));
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('WebSocket error before open'));
    });
    const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
    const kind = (d) => (d instanceof ArrayBuffer) ? 'binary' : typeof d;

    ws.send('hello from chromium ✓');
    let d = await next();
    out.text = {kind: kind(d), value: String(d)};

    ws.send(new Uint8Array([0, 1, 2, 0x80, 0xfe, 0xff]).buffer);
    d = await next();
    out.binary = {kind: kind(d), hex: d instanceof ArrayBuffer ? hex(new Uint8Array(d)) : ''};

    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    ws.send(big);
    d = await next();
    let mismatch = -1;
    if (d instanceof ArrayBuffer) {
      const got = new Uint8Array(d);
      for (let i = 0; i < got.length; i++) if (got[i] !== big[i]) { mismatch = i; break; }
      out.big = {kind: 'binary', len: got.length, mismatch};
    } else {
      out.big = {kind: kind(d), len: -1, mismatch};
    }

    const bigText = 'é'.repeat(1 << 19); // 1 MiB of UTF-8
    ws.send(bigText);
    d = await next();
    out.bigText = {kind: kind(d), len: typeof d === 'string' ? d.length : -1, equal: d === bigText};

    ws.close({{.Code}}, 'browser-bye');
    out.close = await closed;
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  await post();
})();
</script>
<p>surge interop page</p>
`))

// browserReport is what the page POSTs to /result.
type browserReport struct {
	Text struct {
		Kind  string `json:"kind"`
		Value string `json:"value"`
	} `json:"text"`
	Binary struct {
		Kind string `json:"kind"`
		Hex  string `json:"hex"`
	} `json:"binary"`
	Big struct {
		Kind     string `json:"kind"`
		Len      int    `json:"len"`
		Mismatch int    `json:"mismatch"`
	} `json:"big"`
	BigText struct {
		Kind  string `json:"kind"`
		Len   int    `json:"len"`
		Equal bool   `json:"equal"`
	} `json:"bigText"`
	Close struct {
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		WasClean bool   `json:"wasClean"`
	} `json:"close"`
	Error string `json:"error"`
}

// TestChromiumToSurgeServer loads a page in headless Chromium that talks to
// a surge server: text, binary (ArrayBuffer), 1 MiB binary and text echoes,
// then a close with 4001 and a reason, which both ends must see cleanly.
func TestChromiumToSurgeServer(t *testing.T) {
	const name = "chromium → surge server"
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing: install Debian's chromium package (apt-get install -y chromium) to run the browser interop test", chromiumPath)
	}
	srv := startSurge(t, engine.Config{})

	results := make(chan browserReport, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = browserPage.Execute(w, struct {
			WS   string
			Code int
		}{srv.url + "/echo?id=browser", int(browserCloseCode)})
	})
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var rep browserReport
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(body, &rep)
		}
		if err != nil {
			rep.Error = fmt.Sprintf("bad report %q: %v", body, err)
		}
		select {
		case results <- rep:
		default:
		}
	})
	mux.HandleFunc("GET /favicon.ico", http.NotFound)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%s: page server: %v", name, err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	profile := t.TempDir()
	page := "http://" + ln.Addr().String() + "/"
	p := startProc(t, 90*time.Second, ".", chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, page)

	var rep browserReport
	select {
	case rep = <-results:
	case <-p.done:
		t.Fatalf("%s: chromium exited before reporting (%v)\nstderr: %s", name, p.werr, tail(p.stderr(), 4000))
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: no result from the page within 60 s\nchromium stderr: %s", name, tail(p.stderr(), 4000))
	}
	p.kill()

	if rep.Error != "" {
		t.Fatalf("%s: the page failed: %s", name, rep.Error)
	}
	if rep.Text.Kind != "string" || rep.Text.Value != "hello from chromium ✓" {
		t.Errorf("%s: text echo is %s %q, want string %q", name, rep.Text.Kind, rep.Text.Value, "hello from chromium ✓")
	}
	if rep.Binary.Kind != "binary" || rep.Binary.Hex != "00010280feff" {
		t.Errorf("%s: binary echo is %s %s, want binary 00010280feff", name, rep.Binary.Kind, rep.Binary.Hex)
	}
	if rep.Big.Kind != "binary" || rep.Big.Len != 1<<20 || rep.Big.Mismatch != -1 {
		t.Errorf("%s: 1 MiB binary echo is %s of %d bytes, first difference at %d; want binary, %d bytes, equal",
			name, rep.Big.Kind, rep.Big.Len, rep.Big.Mismatch, 1<<20)
	}
	if rep.BigText.Kind != "string" || rep.BigText.Len != 1<<19 || !rep.BigText.Equal {
		t.Errorf("%s: 1 MiB text echo is %s of %d characters (equal %v); want string of %d characters, equal",
			name, rep.BigText.Kind, rep.BigText.Len, rep.BigText.Equal, 1<<19)
	}
	if rep.Close.Code != int(browserCloseCode) || rep.Close.Reason != "browser-bye" || !rep.Close.WasClean {
		t.Errorf("%s: browser saw close %d %q wasClean=%v, want %d \"browser-bye\" clean", name, rep.Close.Code, rep.Close.Reason, rep.Close.WasClean, browserCloseCode)
	}
	end := srv.waitEnd(t, name, "browser", 10*time.Second)
	if end.Reason != (session.CloseReason{Code: browserCloseCode, Reason: "browser-bye"}) || end.Err != nil {
		t.Errorf("%s: surge session ended with %v (err %v), want %d \"browser-bye\" and no error", name, end.Reason, end.Err, browserCloseCode)
	}
	if end.Msgs != 4 {
		t.Errorf("%s: surge received %d messages, want 4", name, end.Msgs)
	}
}

// tail returns the last n bytes of s, for long logs in failure messages.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
