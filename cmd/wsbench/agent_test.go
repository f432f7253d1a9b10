package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// startAgents starts n agents on loopback in this process.
func startAgents(t *testing.T, n int, token string) ([]*agent, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var addrs []string
	var agents []*agent
	done := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := &agent{token: token}
		agents = append(agents, a)
		addrs = append(addrs, ln.Addr().String())
		go func() {
			_ = a.serve(ctx, ln)
			done <- struct{}{}
		}()
	}
	t.Cleanup(func() {
		cancel()
		for i := 0; i < n; i++ {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("an agent did not stop")
				return
			}
		}
	})
	return agents, strings.Join(addrs, ",")
}

// TestAgentsEcho is the bar: a run split over three agents on
// loopback reports the sum of their connections and one merged latency
// histogram.
func TestAgentsEcho(t *testing.T) {
	url := startServer(t, demoEcho{})
	agents, addrs := startAgents(t, 3, "tok")
	code, out := runCLI(t, "echo", url, "--agents", addrs, "--token", "tok", "--conns", "7", "--messages", "20",
		"--warmup", "0", "--loops", "1", "--json", "--quiet")
	r := decodeResult(t, out)
	if code != exitOK || r.Agents != 3 || r.Connections.Opened != 7 || r.ErrorTotal != 0 {
		t.Fatalf("exit %d, agents %d, opened %d, errors %v", code, r.Agents, r.Connections.Opened, r.Errors)
	}
	for i, a := range agents {
		if a.runs.Load() != 1 {
			t.Errorf("agent %d served %d runs", i, a.runs.Load())
		}
	}
	// One histogram holding every agent's echoes.
	h, err := hdr.Decode([]byte(r.LatencyHDR))
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != 140 || r.Latency.Count != 140 || r.Messages.Verified != 140 {
		t.Errorf("merged histogram n=%d, latency n=%d, verified %d; want 140", h.TotalCount(), r.Latency.Count, r.Messages.Verified)
	}
}

// TestAgentsScenario splits a scenario over three agents.
func TestAgentsScenario(t *testing.T) {
	url := startServer(t, demoEcho{})
	t.Setenv("WSB_TEST_MSG", "hello")
	file := writeFile(t, "s.yaml", "url: "+url+"\nconnections: 10\nscript:\n  - loop:\n      count: 4\n      steps:\n        - send: \"{{env WSB_TEST_MSG}} {{conn}}\"\n        - expect: {contains: \"hello {{conn}}\", metric: rtt}\n")
	agents, addrs := startAgents(t, 3, "")
	code, out := runCLI(t, "run", file, "--agents", addrs, "--json", "--quiet", "--loops", "1")
	r := decodeResult(t, out)
	if code != exitOK || r.Agents != 3 || r.Connections.Opened != 10 || r.Metrics["rtt"].Count != 40 {
		t.Fatalf("exit %d, agents %d, opened %d, rtt n=%d, errors %v", code, r.Agents, r.Connections.Opened, r.Metrics["rtt"].Count, r.Errors)
	}
	for i, a := range agents {
		if a.runs.Load() != 1 {
			t.Errorf("agent %d served %d runs", i, a.runs.Load())
		}
	}
}

// TestAgentToken: an agent with a token refuses a controller without it,
// and runs nothing.
func TestAgentToken(t *testing.T) {
	url := startServer(t, demoEcho{})
	agents, addrs := startAgents(t, 1, "right")
	code, _ := runCLI(t, "echo", url, "--agents", addrs, "--token", "wrong", "--conns", "1", "--messages", "1", "--quiet")
	if code == exitOK {
		t.Fatal("a wrong token ran")
	}
	if agents[0].runs.Load() != 0 {
		t.Error("the agent ran a job with a wrong token")
	}
	if code, _ := runCLI(t, "agent", "--listen", "0.0.0.0:0"); code != exitUsage {
		t.Errorf("non-loopback agent without a token: exit %d", code)
	}
}

// TestAgentsFanout splits a fan-out over two agents: publishers on one
// agent reach subscribers on the other, and the controller computes lost
// and duplicated from every agent's counts.
func TestAgentsFanout(t *testing.T) {
	file := fanoutFile(t, startServer(t, &broadcast{}))
	_, addrs := startAgents(t, 2, "")
	code, out := runCLI(t, "run", file, "--agents", addrs, "--json", "--quiet", "--loops", "1")
	r := decodeResult(t, out)
	f := r.Fanout
	if code != exitOK || r.Agents != 2 || f == nil {
		t.Fatalf("exit %d, agents %d, errors %v", code, r.Agents, r.Errors)
	}
	if f.Subscribers != 6 || f.Published != 50 || f.Expected != 150 || f.Deliveries != 150 || f.Lost != 0 || f.Duplicated != 0 {
		t.Errorf("fan-out %+v", *f)
	}
}

// TestHelpRunAgent: "help run" and "help agent" list their flags, and run
// refuses a bad file or a bad --agents list with the usage status.
func TestHelpRunAgent(t *testing.T) {
	for cmd, want := range map[string]string{"run": "-threshold", "agent": "-listen"} {
		code, out := runCLI(t, "help", cmd)
		if code != exitOK || !strings.Contains(out, want) || !strings.Contains(out, "Usage: wsbench "+cmd) {
			t.Errorf("help %s: exit %d\n%s", cmd, code, out)
		}
	}
	if code, _ := runCLI(t, "run", "testdata/missing.yaml"); code != exitUsage {
		t.Errorf("missing file: exit %d", code)
	}
	if code, _ := runCLI(t, "run", "testdata/chat.yaml", "--agents", "nohostport"); code != exitUsage {
		t.Errorf("bad --agents: exit %d", code)
	}
	if code, _ := runCLI(t, "run"); code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
}

// TestAgentCommand runs the agent subcommand itself (flags, listen, token)
// and a controller against it.
func TestAgentCommand(t *testing.T) {
	url := startServer(t, demoEcho{})
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- mainArgs(ctx, []string{"agent", "--listen", "127.0.0.1:0", "--token", "k"}, io.Discard, pw)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("the agent did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "wsbench agent: listening on ")
	if !ok {
		t.Fatalf("agent said %q", line)
	}
	code, out := runCLI(t, "echo", url, "--agents", addr, "--token", "k", "--conns", "3", "--messages", "5",
		"--warmup", "0", "--loops", "1", "--json", "--quiet")
	r := decodeResult(t, out)
	if code != exitOK || r.Agents != 1 || r.Connections.Opened != 3 || r.Messages.Verified != 15 {
		t.Fatalf("exit %d, agents %d, opened %d, verified %d", code, r.Agents, r.Connections.Opened, r.Messages.Verified)
	}
}
