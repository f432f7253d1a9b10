package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ServerMetrics is what the server under test said about the run, from its
// Prometheus endpoint (--server-metrics URL) scraped before and after: the
// growth of its counters over the run, and its gauges after. It is printed
// next to the client's own counts so that a mismatch shows (a server that
// counts fewer messages than the client verified is losing or miscounting
// them). Any server that exposes the metrics of surge's metrics package
// (docs/operations.md) can be scraped.
type ServerMetrics struct {
	URL string `json:"url"`
	// MessagesIn and MessagesOut are the data messages the server
	// received and sent during the run (text and binary).
	MessagesIn  float64 `json:"messages_in"`
	MessagesOut float64 `json:"messages_out"`
	// BytesIn and BytesOut are their payload bytes.
	BytesIn  float64 `json:"bytes_in"`
	BytesOut float64 `json:"bytes_out"`
	// Upgrades is the handshakes the server accepted during the run.
	Upgrades float64 `json:"upgrades"`
	// ClosesSent and ClosesReceived are close frames by code.
	ClosesSent     map[string]float64 `json:"closes_sent,omitempty"`
	ClosesReceived map[string]float64 `json:"closes_received,omitempty"`
	// Ended is sessions ended by reason.
	Ended map[string]float64 `json:"ended,omitempty"`
	// ConnsAfter is the server's open connections once the run ended and
	// the client's connections were closed.
	ConnsAfter float64 `json:"conns_after"`
}

// metricFamilies is one scrape, by metric name.
type metricFamilies map[string]*dto.MetricFamily

// scrapeMetrics fetches and parses a Prometheus text exposition.
func scrapeMetrics(ctx context.Context, url string) (metricFamilies, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("server metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return nil, fmt.Errorf("server metrics: %s: %s", res.Status, strings.TrimSpace(string(b)))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		return nil, fmt.Errorf("server metrics: %s: %w", url, err)
	}
	return fams, nil
}

// value returns a metric's sample: summed over the label sets that have
// every label in match, or by one label's value when by is not "".
func (m metricFamilies) value(name string, match map[string]string) float64 {
	var sum float64
	f := m[name]
	if f == nil {
		return 0
	}
	for _, s := range f.GetMetric() {
		if !hasLabels(s, match) {
			continue
		}
		switch {
		case s.Counter != nil:
			sum += s.Counter.GetValue()
		case s.Gauge != nil:
			sum += s.Gauge.GetValue()
		case s.Untyped != nil:
			sum += s.Untyped.GetValue()
		}
	}
	return sum
}

// by returns a metric's samples by the value of one label.
func (m metricFamilies) by(name, label string) map[string]float64 {
	out := map[string]float64{}
	f := m[name]
	if f == nil {
		return out
	}
	for _, s := range f.GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == label {
				v := 0.0
				switch {
				case s.Counter != nil:
					v = s.Counter.GetValue()
				case s.Gauge != nil:
					v = s.Gauge.GetValue()
				case s.Untyped != nil:
					v = s.Untyped.GetValue()
				}
				out[l.GetValue()] += v
			}
		}
	}
	return out
}

func hasLabels(s *dto.Metric, match map[string]string) bool {
	for k, v := range match {
		ok := false
		for _, l := range s.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// serverMetricsDelta is what the server counted between two scrapes.
func serverMetricsDelta(url string, before, after metricFamilies) *ServerMetrics {
	d := func(name string) float64 { return after.value(name, nil) - before.value(name, nil) }
	byDelta := func(name, label string) map[string]float64 {
		a, b := after.by(name, label), before.by(name, label)
		out := map[string]float64{}
		for k, v := range a {
			if n := v - b[k]; n != 0 {
				out[k] = n
			}
		}
		return out
	}
	return &ServerMetrics{
		URL:            url,
		MessagesIn:     d("surge_messages_received_total"),
		MessagesOut:    d("surge_messages_sent_total"),
		BytesIn:        d("surge_message_received_bytes_total"),
		BytesOut:       d("surge_message_sent_bytes_total"),
		Upgrades:       d("surge_upgrades_total"),
		ClosesSent:     byDelta("surge_close_frames_sent_total", "code"),
		ClosesReceived: byDelta("surge_close_frames_received_total", "code"),
		Ended:          byDelta("surge_sessions_ended_total", "reason"),
		ConnsAfter:     after.value("surge_connections", nil),
	}
}

// waitConnsDrained scrapes until the server's open connection gauge is at
// most want or the context ends, and returns the last scrape: the server
// closes its side of the connections a little after the client.
func waitConnsDrained(ctx context.Context, url string, want float64) (metricFamilies, error) {
	var last metricFamilies
	for {
		m, err := scrapeMetrics(ctx, url)
		if err != nil {
			return last, err
		}
		last = m
		if m.value("surge_connections", nil) <= want {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return last, nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// formatServerMetrics writes the server's counts beside the client's.
func formatServerMetrics(w io.Writer, sm *ServerMetrics, msgs Messages, closes map[string]int64) {
	fmt.Fprintf(w, "server metrics (%s), counted by the server during the run:\n", sm.URL)
	fmt.Fprintf(w, "  %-22s %14s %14s\n", "", "server", "client")
	fmt.Fprintf(w, "  %-22s %14.0f %14d\n", "messages received", sm.MessagesIn, msgs.Sent)
	fmt.Fprintf(w, "  %-22s %14.0f %14d\n", "messages sent", sm.MessagesOut, msgs.Verified)
	fmt.Fprintf(w, "  %-22s %14.0f\n", "upgrades", sm.Upgrades)
	fmt.Fprintf(w, "  %-22s %14.0f\n", "open connections after", sm.ConnsAfter)
	codes := map[string]bool{}
	for c := range sm.ClosesReceived {
		codes[c] = true
	}
	for c := range sm.ClosesSent {
		codes[c] = true
	}
	keys := make([]string, 0, len(codes))
	for c := range codes {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	for _, c := range keys {
		fmt.Fprintf(w, "  close %-16s %8.0f received %6.0f sent   client saw %d\n", c, sm.ClosesReceived[c], sm.ClosesSent[c], closes[c])
	}
	if m := serverMismatch(sm, msgs); m != "" {
		fmt.Fprintln(w, "  mismatch:", m)
	}
}

// serverMismatch says how the server's counts contradict the client's, ""
// when they agree: the server must have received every message the client
// saw echoed, sent at least as many, and received no more than the client
// sent.
func serverMismatch(sm *ServerMetrics, msgs Messages) string {
	switch {
	case sm.MessagesIn < float64(msgs.Verified):
		return fmt.Sprintf("the server received %.0f messages, fewer than the %d the client verified", sm.MessagesIn, msgs.Verified)
	case sm.MessagesOut < float64(msgs.Verified):
		return fmt.Sprintf("the server sent %.0f messages, fewer than the %d the client verified", sm.MessagesOut, msgs.Verified)
	case sm.MessagesIn > float64(msgs.Sent):
		return fmt.Sprintf("the server received %.0f messages, more than the %d the client sent (other clients?)", sm.MessagesIn, msgs.Sent)
	}
	return ""
}
