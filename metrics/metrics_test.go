package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/metrics"
	"github.com/surgews/surge/session"
)

type echo struct{ session.NopHandler }

func (echo) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f.Clone())
}

// serveEcho starts an echo server, talks to it (3 text messages, a close
// with 1000) and returns it once the session has ended on both sides.
func serveEcho(t *testing.T) *engine.Server {
	t.Helper()
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", echo{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_ = c.SendText(ctx, "hello")
		f := <-c.Incoming()
		f.Release()
	}
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().Conns != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server session did not end")
		}
		time.Sleep(time.Millisecond)
	}
	return srv
}

// TestCollector: the collected values are the server's, and the metrics
// pass Prometheus' own lint (names, units, _total, help).
func TestCollector(t *testing.T) {
	srv := serveEcho(t)
	c := metrics.NewCollector(srv.Stats, prometheus.Labels{"role": "server"})
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	want := `
# HELP surge_messages_received_total Data messages received, by type.
# TYPE surge_messages_received_total counter
surge_messages_received_total{role="server",type="binary"} 0
surge_messages_received_total{role="server",type="text"} 3
# HELP surge_sessions_ended_total Sessions ended, by reason.
# TYPE surge_sessions_ended_total counter
surge_sessions_ended_total{reason="normal",role="server"} 1
# HELP surge_close_frames_received_total Close frames received, by close code.
# TYPE surge_close_frames_received_total counter
surge_close_frames_received_total{code="1000",role="server"} 1
# HELP surge_connections Open connections, handshaking ones included.
# TYPE surge_connections gauge
surge_connections{role="server"} 0
# HELP surge_upgrades_total Opening handshakes that succeeded (dialled sessions included).
# TYPE surge_upgrades_total counter
surge_upgrades_total{role="server"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"surge_messages_received_total", "surge_sessions_ended_total", "surge_close_frames_received_total",
		"surge_connections", "surge_upgrades_total"); err != nil {
		t.Error(err)
	}
}

// TestScrape: the metrics reach an HTTP scrape through promhttp.
func TestScrape(t *testing.T) {
	srv := serveEcho(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv.Stats, nil))
	ts := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer ts.Close()
	res, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range []string{
		`surge_messages_sent_total{type="text"} 3`,
		`surge_message_received_bytes_total{type="text"} 15`,
		`surge_close_frames_sent_total{code="1000"} 1`,
		`surge_loop_busy_seconds_total{loop="0"}`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("scrape lacks %q:\n%s", line, body)
		}
	}
}
