package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStages runs a ramp, a connect storm and an arrival-rate stage and
// checks the per-stage report and the HTML charts.
func TestStages(t *testing.T) {
	url := startServer(t, demoEcho{})
	file := writeFile(t, "stages.yaml", `url: `+url+`
stages:
  - {name: ramp, duration: 800ms, target: 4}
  - {name: storm, duration: 400ms, storm: 6}
  - {name: arrivals, duration: 1s, rate: 10}
  - {name: faster, duration: 1s, rate: 20, ramp: true}
  - {name: down, duration: 300ms, target: 0}
script:
  - send: "m{{conn}}"
  - expect: {contains: "m{{conn}}", metric: rtt}
  - think: 100ms
`)
	html := filepath.Join(t.TempDir(), "r.html")
	code, out := runCLI(t, "run", file, "--json", "--quiet", "--loops", "1", "--html", html)
	r := decodeResult(t, out)
	if code != exitOK || r.ErrorTotal != 0 {
		t.Fatalf("exit %d, errors %v", code, r.Errors)
	}
	if len(r.Stages) != 5 {
		t.Fatalf("%d stages", len(r.Stages))
	}
	ramp, storm, arr, faster := r.Stages[0], r.Stages[1], r.Stages[2], r.Stages[3]
	// A ramp to 4 keeps 4 running, replacing those whose script ended.
	if ramp.Name != "ramp" || ramp.Started < 4 || ramp.PeakConns < 3 || ramp.Metrics["rtt"].Count == 0 {
		t.Errorf("ramp: %+v", ramp)
	}
	if storm.Started != 6 || storm.Handshake.Count < 6 {
		t.Errorf("storm: started %d, handshakes %d", storm.Started, storm.Handshake.Count)
	}
	// 10/s for 1 s: 10 arrivals, however late the timers wake.
	if arr.Started != 10 {
		t.Errorf("arrivals: started %d, want 10", arr.Started)
	}
	// 10/s rising to 20/s over 1 s: 15 arrivals.
	if faster.Started != 15 {
		t.Errorf("ramping arrivals: started %d, want 15", faster.Started)
	}
	var sum int64
	for _, st := range r.Stages {
		sum += st.Metrics["rtt"].Count
		if st.End < st.Start {
			t.Errorf("stage %s ends before it starts", st.Name)
		}
	}
	if sum != r.Metrics["rtt"].Count || sum == 0 {
		t.Errorf("stage rtt counts sum to %d, total %d", sum, r.Metrics["rtt"].Count)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Per stage: latency", "Per stage: peak connections", "Metric rtt", "<svg"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}

// TestRampDown: ramping from 6 connections down to 2 stops the newest four
// and starts none; the stopped ones close normally, not as errors.
func TestRampDown(t *testing.T) {
	url := startServer(t, demoEcho{})
	file := writeFile(t, "down.yaml", `url: `+url+`
stages:
  - {name: up, duration: 300ms, target: 6}
  - {name: hold, duration: 400ms, target: 6}
  - {name: down, duration: 400ms, target: 2}
  - {name: low, duration: 300ms, target: 2}
script:
  - loop:
      steps:
        - send: ping
        - expect: {contains: ping, metric: rtt}
        - think: 20ms
`)
	code, out := runCLI(t, "run", file, "--json", "--quiet", "--loops", "1")
	r := decodeResult(t, out)
	if code != exitOK || r.ErrorTotal != 0 || len(r.Stages) != 4 {
		t.Fatalf("exit %d, errors %v, %d stages", code, r.Errors, len(r.Stages))
	}
	// The ramp reaches 6 at its end, so the last may start as "hold" begins.
	up, hold, down, low := r.Stages[0], r.Stages[1], r.Stages[2], r.Stages[3]
	if up.Started+hold.Started != 6 || down.Started != 0 || low.Started != 0 || hold.PeakConns != 6 {
		t.Errorf("started: up %d, hold %d, down %d, low %d; want 6 in all, then 0, 0 (hold peak %d)",
			up.Started, hold.Started, down.Started, low.Started, hold.PeakConns)
	}
	if r.CloseCodes["1000"] != 6 {
		t.Errorf("close codes %v", r.CloseCodes)
	}
}
