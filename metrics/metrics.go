// Package metrics exposes the statistics of a surge server or dialer
// (package stats) to Prometheus through its own client library,
// github.com/prometheus/client_golang. It is a package of its own so that an
// application that does not import it does not link Prometheus.
//
//	srv := engine.New(engine.Config{})
//	prometheus.MustRegister(metrics.NewCollector(srv.Stats, nil))
//	http.Handle("/metrics", promhttp.Handler())
//
// Each scrape takes one snapshot. Metric names follow Prometheus'
// conventions: the surge_ prefix, base units in the name (_bytes,
// _seconds), _total on counters, and label values from bounded sets (message
// type, HTTP status, close code bucket, end reason, loop number).
// docs/operations.md describes each metric and the alerts worth setting.
package metrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/surgews/surge/stats"
)

// NewCollector returns a Collector that reads snapshot on each scrape, such
// as (*engine.Server).Stats or (*engine.Dialer).Stats. constLabels are added
// to every metric; give each collector registered in one registry its own
// (a "role" of "server" and "client", say).
func NewCollector(snapshot func() stats.Snapshot, constLabels prometheus.Labels) prometheus.Collector {
	c := &collector{snapshot: snapshot}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("surge_"+name, help, labels, constLabels)
	}
	c.conns = d("connections", "Open connections, handshaking ones included.")
	c.accepted = d("connections_accepted_total", "TCP connections accepted.")
	c.upgraded = d("upgrades_total", "Opening handshakes that succeeded (dialled sessions included).")
	c.rejected = d("handshake_rejections_total", "Opening handshakes refused, by the HTTP status answered (0: other).", "status")
	c.msgsIn = d("messages_received_total", "Data messages received, by type.", "type")
	c.msgsOut = d("messages_sent_total", "Data messages sent, by type.", "type")
	c.bytesIn = d("message_received_bytes_total", "Payload bytes of the data messages received (after extensions decode), by type.", "type")
	c.bytesOut = d("message_sent_bytes_total", "Payload bytes of the data messages sent (before extensions encode), by type.", "type")
	c.wireIn = d("wire_received_bytes_total", "Bytes read from upgraded connections.")
	c.wireOut = d("wire_sent_bytes_total", "Bytes written to upgraded connections.")
	c.framesIn = d("frames_received_total", "Frames received, of every kind.")
	c.framesOut = d("frames_sent_total", "Frames sent, of every kind.")
	c.pingsIn = d("pings_received_total", "Ping frames received.")
	c.pingsOut = d("pings_sent_total", "Ping frames sent.")
	c.pongsIn = d("pongs_received_total", "Pong frames received.")
	c.pongsOut = d("pongs_sent_total", "Pong frames sent.")
	c.closesSent = d("close_frames_sent_total", "Close frames sent, by close code.", "code")
	c.closesRecv = d("close_frames_received_total", "Close frames received, by close code.", "code")
	c.ended = d("sessions_ended_total", "Sessions ended, by reason.", "reason")
	c.protoErrs = d("protocol_errors_total", "Sessions failed for the peer's fault, by the close code sent.", "code")
	c.drops = d("backpressure_drops_total", "Frames dropped under the drop backpressure policy.")
	c.pauses = d("read_pauses_total", "Times reading from a peer paused for backpressure.")
	c.waits = d("write_waits_total", "Writes that went short and waited for writability.")
	c.busy = d("loop_busy_seconds_total", "Time each event loop spent handling events.", "loop")
	c.wait = d("loop_wait_seconds_total", "Time each event loop spent parked, waiting for events.", "loop")
	c.pooled = d("pooled_buffers", "Pooled buffers in use in the process (messages in flight, backlogs).")
	return c
}

type collector struct {
	snapshot func() stats.Snapshot

	conns, accepted, upgraded, rejected      *prometheus.Desc
	msgsIn, msgsOut, bytesIn, bytesOut       *prometheus.Desc
	wireIn, wireOut, framesIn, framesOut     *prometheus.Desc
	pingsIn, pingsOut, pongsIn, pongsOut     *prometheus.Desc
	closesSent, closesRecv, ended, protoErrs *prometheus.Desc
	drops, pauses, waits, busy, wait, pooled *prometheus.Desc
}

func (c *collector) descs() []*prometheus.Desc {
	return []*prometheus.Desc{
		c.conns, c.accepted, c.upgraded, c.rejected, c.msgsIn, c.msgsOut, c.bytesIn, c.bytesOut,
		c.wireIn, c.wireOut, c.framesIn, c.framesOut, c.pingsIn, c.pingsOut, c.pongsIn, c.pongsOut,
		c.closesSent, c.closesRecv, c.ended, c.protoErrs, c.drops, c.pauses, c.waits, c.busy, c.wait, c.pooled,
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs() {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one snapshot per scrape.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	byType := func(d *prometheus.Desc, n stats.Count) {
		counter(d, n.Text, "text")
		counter(d, n.Binary, "binary")
	}
	byKey := func(d *prometheus.Desc, m map[string]uint64) {
		for k, v := range m {
			counter(d, v, k)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Conns))
	counter(c.accepted, s.Accepted)
	counter(c.upgraded, s.Upgraded)
	for status, v := range s.Rejected {
		counter(c.rejected, v, strconv.Itoa(status))
	}
	byType(c.msgsIn, s.MessagesIn)
	byType(c.msgsOut, s.MessagesOut)
	byType(c.bytesIn, s.BytesIn)
	byType(c.bytesOut, s.BytesOut)
	counter(c.wireIn, s.WireIn)
	counter(c.wireOut, s.WireOut)
	counter(c.framesIn, s.FramesIn)
	counter(c.framesOut, s.FramesOut)
	counter(c.pingsIn, s.PingsIn)
	counter(c.pingsOut, s.PingsOut)
	counter(c.pongsIn, s.PongsIn)
	counter(c.pongsOut, s.PongsOut)
	byKey(c.closesSent, s.ClosesSent)
	byKey(c.closesRecv, s.ClosesReceived)
	byKey(c.ended, s.Ended)
	byKey(c.protoErrs, s.ProtocolErrors)
	counter(c.drops, s.Drops)
	counter(c.pauses, s.ReadPauses)
	counter(c.waits, s.WriteWaits)
	for i, l := range s.Loops {
		loop := strconv.Itoa(i)
		ch <- prometheus.MustNewConstMetric(c.busy, prometheus.CounterValue, l.Busy.Seconds(), loop)
		ch <- prometheus.MustNewConstMetric(c.wait, prometheus.CounterValue, l.Wait.Seconds(), loop)
	}
	ch <- prometheus.MustNewConstMetric(c.pooled, prometheus.GaugeValue, float64(s.PooledBuffers))
}

// Handler returns an http.Handler that serves snapshot's metrics, with the
// Go runtime's and the process's, in the Prometheus exposition format: what
// an application mounts at /metrics when it has no registry of its own.
func Handler(snapshot func() stats.Snapshot) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(snapshot, nil),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
