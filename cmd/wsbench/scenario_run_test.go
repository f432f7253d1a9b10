package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// startAuthEcho serves a surge echo server behind a check of the
// Authorization header and the session cookie; it answers 401 otherwise.
func startAuthEcho(t *testing.T, h session.Handler) string {
	t.Helper()
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", h)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("session")
		if r.Header.Get("Authorization") != "Bearer s3cret" || err != nil || c.Value != "abc" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return "ws://" + strings.TrimPrefix(ts.URL, "http://") + "/"
}

// runCLI runs the wsbench command line and returns its exit status and
// stdout, bounded so a hang fails the test.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := exitCode(mainArgs(ctx, args, &out, &errb), &errb)
	if ctx.Err() != nil {
		t.Fatalf("wsbench %v did not finish", args)
	}
	if errb.Len() > 0 {
		t.Logf("stderr: %s", errb.String())
	}
	return code, out.String()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeResult(t *testing.T, out string) *Result {
	t.Helper()
	var r Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("JSON result: %v\n%s", err, out)
	}
	return &r
}

// jsonEcho answers every message {"seq":N,...} with {"ok":true,"echo":{...}}.
type jsonEcho struct{ session.NopHandler }

func (jsonEcho) OnMessage(s *session.Session, f session.Frame) {
	b := append([]byte(`{"ok":true,"echo":`), f.Payload...)
	b = append(b, '}')
	_ = s.Send(context.Background(), session.CopyText(string(b)))
}

const authScenario = `url: "{{env WSB_URL}}"
headers:
  Authorization: Bearer {{env WSB_TOKEN}}
  Cookie: session=abc
connections: 6
script:
  - send: {text: '{"seq":{{seq}},"conn":{{conn}}}', name: first}
  - expect: {json: {path: echo.conn, equals: "{{conn}}"}, metric: first_rtt}
  - loop:
      count: 5
      steps:
        - send: '{"seq":{{seq}},"conn":{{conn}},"pad":"{{random 8}}"}'
        - expect: {regex: '"seq":[0-9]+', timeout: 3s, metric: rtt}
        - think: 1ms
  - close
`

// TestScenarioAuthEcho runs a script with auth headers, JSON and regex
// expectations and named metrics through the real command line.
func TestScenarioAuthEcho(t *testing.T) {
	t.Setenv("WSB_URL", startAuthEcho(t, jsonEcho{}))
	t.Setenv("WSB_TOKEN", "s3cret")
	file := writeFile(t, "auth.yaml", authScenario)
	code, out := runCLI(t, "run", file, "--json", "--quiet", "--loops", "1")
	r := decodeResult(t, out)
	if code != exitOK || r.ErrorTotal != 0 || r.Connections.Opened != 6 {
		t.Fatalf("exit %d, errors %v, opened %d", code, r.Errors, r.Connections.Opened)
	}
	if r.Metrics["first_rtt"].Count != 6 || r.Metrics["rtt"].Count != 30 || r.Latency.Count != 36 {
		t.Errorf("metrics %+v, latency n=%d", r.Metrics, r.Latency.Count)
	}
	if r.Messages.Sent != 36 || r.Messages.Verified != 36 || r.CloseCodes["1000"] != 6 {
		t.Errorf("messages %+v, close codes %v", r.Messages, r.CloseCodes)
	}

	// Without the token the server refuses every upgrade.
	t.Setenv("WSB_TOKEN", "wrong")
	code, out = runCLI(t, "run", file, "--json", "--quiet")
	r = decodeResult(t, out)
	if code == exitOK || r.Errors[kindDialStatus] != 6 {
		t.Errorf("wrong token: exit %d, errors %v", code, r.Errors)
	}
}

// TestScenarioExpectTimeout: a server that never answers fails the expect
// (counted) instead of hanging.
func TestScenarioExpectTimeout(t *testing.T) {
	url := startServer(t, &corruptEcho{drop: true})
	file := writeFile(t, "s.yaml", "url: "+url+"\nconnections: 2\nscript:\n  - send: hi\n  - expect: {contains: hi, timeout: 200ms}\n")
	code, out := runCLI(t, "run", file, "--json", "--quiet")
	r := decodeResult(t, out)
	if code != exitErrors || r.Errors[kindExpectTimeout] != 2 {
		t.Errorf("exit %d, errors %v", code, r.Errors)
	}
}

// TestThresholdExitStatus is the bar: a threshold that cannot hold
// makes the run exit non-zero, one that holds exits 0, in scenario and echo
// modes, and the report lists each verdict.
func TestThresholdExitStatus(t *testing.T) {
	url := startServer(t, demoEcho{})
	file := writeFile(t, "s.yaml", "url: "+url+"\nconnections: 2\nscript:\n  - loop:\n      count: 20\n      steps:\n        - send: ping\n        - expect: {contains: ping, metric: rtt}\n")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"scenario_fails", []string{"run", file, "--threshold", "p99<1us"}, exitThresholds},
		{"scenario_metric_fails", []string{"run", file, "--threshold", "rtt.p50<1us", "--threshold", "errors==0"}, exitThresholds},
		{"scenario_holds", []string{"run", file, "--threshold", "p99<60s", "--threshold", "errors==0", "--threshold", "rtt.max<1m"}, exitOK},
		{"echo_fails", []string{"echo", url, "--conns", "2", "--duration", "300ms", "--warmup", "0", "--loops", "1", "--threshold", "p99<1us"}, exitThresholds},
		{"echo_holds", []string{"echo", url, "--conns", "2", "--duration", "300ms", "--warmup", "0", "--loops", "1", "--threshold", "p99<60s", "--threshold", "rate>=1"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runCLI(t, append(tc.args, "--quiet")...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out)
			}
			want := "pass"
			if tc.code != exitOK {
				want = "FAIL"
			}
			if !strings.Contains(out, "Thresholds") || !strings.Contains(out, want+" ") {
				t.Errorf("report does not show %s:\n%s", want, out)
			}
		})
	}
	if code, _ := runCLI(t, "run", file, "--threshold", "p99<"); code != exitUsage {
		t.Errorf("bad threshold: exit %d", code)
	}
}

// startChat builds examples/chat and starts it on a free loopback port.
func startChat(t *testing.T) string {
	t.Helper()
	lines := startExample(t, "chat", "-addr", "127.0.0.1:0")
	for {
		select {
		case l := <-lines:
			if a, ok := strings.CutPrefix(l, "chat: open http://"); ok {
				return strings.TrimSuffix(a, "/")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("examples/chat did not start")
		}
	}
}

// startExample builds examples/NAME, starts it with args, stops it with
// SIGINT when the test ends, and returns the lines of its standard output.
func startExample(t *testing.T, name string, args ...string) <-chan string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build examples/" + name)
	}
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command(goBin, "build", "-o", bin, "../../examples/"+name).CombinedOutput(); err != nil {
		t.Fatalf("build examples/%s: %v\n%s", name, err, out)
	}
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads any more
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return lines
}

// TestChatScenario is the bar: the shipped scenario joins
// examples/chat rooms, sends, expects the broadcast back, with no errors,
// and reports the named send-to-reply latency. The shipped fan-out scenario
// runs against the same chat.
func TestChatScenario(t *testing.T) {
	t.Setenv("CHAT_ADDR", startChat(t))
	t.Run("script", func(t *testing.T) {
		code, out := runCLI(t, "run", "testdata/chat.yaml", "--json", "--quiet", "--threshold", "say.p99<10s")
		r := decodeResult(t, out)
		if code != exitOK || r.ErrorTotal != 0 || r.Connections.Opened != 20 {
			t.Fatalf("exit %d, errors %v, opened %d", code, r.Errors, r.Connections.Opened)
		}
		if r.Metrics["join"].Count != 20 || r.Metrics["say"].Count != 200 {
			t.Errorf("metrics: join n=%d, say n=%d", r.Metrics["join"].Count, r.Metrics["say"].Count)
		}
		// Rooms hold 5 connections each: every message reaches its sender and
		// up to 4 others (fewer once they have left).
		if r.Messages.Received < 220 || r.Messages.Received > 1100 || r.Messages.Verified != 220 {
			t.Errorf("received %d, matched %d", r.Messages.Received, r.Messages.Verified)
		}
		if r.ThresholdsPass == nil || !*r.ThresholdsPass || len(r.Thresholds) != 2 {
			t.Errorf("thresholds %+v", r.Thresholds)
		}
	})
	t.Run("fanout", func(t *testing.T) {
		code, out := runCLI(t, "run", "testdata/chat-fanout.yaml", "--json", "--quiet")
		r := decodeResult(t, out)
		f := r.Fanout
		if code != exitOK || f == nil {
			t.Fatalf("exit %d, errors %v, fanout %+v", code, r.Errors, f)
		}
		// 4 talkers × 50 messages, each to the 10 listeners of its room.
		if f.Published != 200 || f.Expected != 2000 || f.Deliveries != 2000 || f.Lost != 0 || f.Duplicated != 0 {
			t.Errorf("fan-out %+v", *f)
		}
		if r.Metrics[deliveryMetric].Count != 2000 {
			t.Errorf("delivery latency n=%d", r.Metrics[deliveryMetric].Count)
		}
	})
}

// flood answers every message with n copies of a 64 KiB message, from a
// goroutine so that a full backlog waits instead of holding the loop.
type flood struct {
	session.NopHandler
	n int
}

func (f flood) OnMessage(s *session.Session, _ session.Frame) {
	go func() {
		big := strings.Repeat("x", 64<<10)
		for i := 0; i < f.n; i++ {
			if s.Send(context.Background(), session.CopyText(big)) != nil {
				return
			}
		}
		_ = s.Send(context.Background(), session.CopyText("done"))
	}()
}

// TestScenarioQueueBound: replies a script does not wait for are kept only
// up to the queue's bounds (oldest discarded, counted), and the expect still
// finds the last one.
func TestScenarioQueueBound(t *testing.T) {
	// 300 × 64 KiB = 19 MiB > 8 MiB; the server's backlog holds it all, as
	// an event-style session never waits for its peer.
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{Backlog: 64 << 20}})
	srv.HandleEvents("/", flood{n: 300})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	url := "ws://" + srv.Addr().String() + "/"
	file := writeFile(t, "s.yaml", "url: "+url+"\nscript:\n  - send: go\n  - expect: {regex: \"^done$\", timeout: 20s}\n")
	code, out := runCLI(t, "run", file, "--json", "--quiet")
	r := decodeResult(t, out)
	if code != exitOK || r.Messages.Verified != 1 || r.Messages.Received != 301 {
		t.Fatalf("exit %d, errors %v, matched %d, received %d, close %v", code, r.Errors, r.Messages.Verified, r.Messages.Received, r.CloseCodes)
	}
	// The expect skips what it reads, so only a backlog beyond the bound
	// is discarded; either way nothing is lost that it waited for.
	if r.Messages.Discarded < 0 || r.Messages.Discarded > 300 {
		t.Errorf("discarded %d", r.Messages.Discarded)
	}
}

// TestVUQueueBounds feeds a connection's receive queue directly: it never
// holds more than maxQueued messages or maxQueuedBytes bytes, dropping the
// oldest and counting them.
func TestVUQueueBounds(t *testing.T) {
	r := &scenRun{sts: make([]stageCounters, 1), stopCtx: context.Background()}
	v := newVU(r, 0)
	big := make([]byte, 64<<10)
	for i := 0; i < 300; i++ {
		big[0] = byte(i)
		v.OnMessage(nil, session.BorrowBinary(big))
	}
	if want := maxQueuedBytes / len(big); len(v.queue) != want || v.queuedBytes != maxQueuedBytes {
		t.Fatalf("%d messages, %d bytes queued; want %d, %d", len(v.queue), v.queuedBytes, want, maxQueuedBytes)
	}
	if v.queue[len(v.queue)-1].data[0] != byte(299%256) || r.discarded.Load() != int64(300-len(v.queue)) {
		t.Errorf("newest %d, discarded %d", v.queue[len(v.queue)-1].data[0], r.discarded.Load())
	}
	for i := 0; i < 3000; i++ {
		v.OnMessage(nil, session.BorrowText([]byte("x")))
	}
	if len(v.queue) != maxQueued || r.received.Load() != 3300 {
		t.Errorf("%d queued, %d received", len(v.queue), r.received.Load())
	}
	if v.queuedBytes > maxQueuedBytes {
		t.Errorf("%d bytes queued", v.queuedBytes)
	}
}
