package main

import (
	"strings"
	"testing"
	"time"
)

// startEchoWithMetrics builds examples/echo and starts it with -metrics on
// free loopback ports; it returns the WebSocket URL and the metrics URL.
func startEchoWithMetrics(t *testing.T) (wsURL, metricsURL string) {
	t.Helper()
	lines := startExample(t, "echo", "-addr", "127.0.0.1:0", "-metrics", "127.0.0.1:0", "-loops", "1")
	for wsURL == "" || metricsURL == "" {
		select {
		case l := <-lines:
			if a, ok := strings.CutPrefix(l, "echo: listening on "); ok {
				wsURL = strings.Fields(a)[0]
			}
			if a, ok := strings.CutPrefix(l, "echo: metrics on "); ok {
				metricsURL = a
			}
		case <-time.After(30 * time.Second):
			t.Fatal("examples/echo did not start")
		}
	}
	return wsURL, metricsURL
}

// TestServerMetricsBar is the observability issue's bar: after wsbench echo
// with 200 connections for 5 s against examples/echo -metrics, the server's
// received-message counter is at least wsbench's verified count, and its
// open connection gauge is back to 0 once wsbench has closed. The report
// prints the server's counts beside the client's.
func TestServerMetricsBar(t *testing.T) {
	wsURL, metricsURL := startEchoWithMetrics(t)
	duration := "5s"
	if testing.Short() {
		duration = "1s"
	}
	code, out := runCLI(t, "echo", wsURL, "--conns", "200", "--duration", duration, "--warmup", "0",
		"--loops", "1", "--server-metrics", metricsURL, "--json", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	r := decodeResult(t, out)
	sm := r.ServerMetrics
	if sm == nil {
		t.Fatal("no server_metrics in the result")
	}
	t.Logf("client: sent %d verified %d; server: received %.0f sent %.0f, upgrades %.0f, conns after %.0f, closes received %v",
		r.Messages.Sent, r.Messages.Verified, sm.MessagesIn, sm.MessagesOut, sm.Upgrades, sm.ConnsAfter, sm.ClosesReceived)
	if r.Messages.Verified == 0 {
		t.Fatal("no message verified")
	}
	if sm.MessagesIn < float64(r.Messages.Verified) {
		t.Errorf("server received %.0f messages, fewer than the %d wsbench verified", sm.MessagesIn, r.Messages.Verified)
	}
	if sm.ConnsAfter != 0 {
		t.Errorf("server's open connections after the run: %.0f, want 0", sm.ConnsAfter)
	}
	if sm.Upgrades != 200 || sm.ClosesReceived["1000"] != 200 {
		t.Errorf("server upgrades %.0f, closes received %v; want 200 each", sm.Upgrades, sm.ClosesReceived)
	}
	if m := serverMismatch(sm, r.Messages); m != "" {
		t.Errorf("mismatch: %s", m)
	}
	// The table shows both columns.
	_, table := runCLI(t, "echo", wsURL, "--conns", "2", "--duration", "200ms", "--warmup", "0",
		"--loops", "1", "--server-metrics", metricsURL, "--quiet")
	if !strings.Contains(table, "server metrics (") || !strings.Contains(table, "messages received") {
		t.Errorf("the table lacks the server's counts:\n%s", table)
	}
}

// TestServerMetricsMismatch: counts that contradict each other are named.
func TestServerMetricsMismatch(t *testing.T) {
	for _, tc := range []struct {
		sm   ServerMetrics
		msgs Messages
		want string
	}{
		{ServerMetrics{MessagesIn: 10, MessagesOut: 10}, Messages{Sent: 10, Verified: 10}, ""},
		{ServerMetrics{MessagesIn: 9, MessagesOut: 10}, Messages{Sent: 10, Verified: 10}, "fewer than the 10 the client verified"},
		{ServerMetrics{MessagesIn: 10, MessagesOut: 8}, Messages{Sent: 10, Verified: 9}, "sent 8 messages"},
		{ServerMetrics{MessagesIn: 12, MessagesOut: 12}, Messages{Sent: 10, Verified: 10}, "more than the 10"},
	} {
		got := serverMismatch(&tc.sm, tc.msgs)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v %+v: %q, want %q", tc.sm, tc.msgs, got, tc.want)
		}
	}
}
