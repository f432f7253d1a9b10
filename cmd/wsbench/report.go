package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// writeJSON writes r as indented JSON (schema in docs/wsbench.md).
func writeJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeTable writes the human summary of r.
func writeTable(w io.Writer, r *Result, o *options) {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	c := r.Connections
	status := ""
	if r.Interrupted {
		status = "  (interrupted)"
	}
	fmt.Fprintf(w, "wsbench %s %s%s\n  %s\n\n", r.Mode, r.URL, status, o.describe())
	add("Connections", fmt.Sprintf("%s/%s opened in %.2fs (%s/s)", groupDigits(c.Opened), groupDigits(c.Attempted), c.Seconds, groupDigits(int64(c.Rate))))
	add("Handshake", fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", fmtMicros(c.Handshake.P50), fmtMicros(c.Handshake.P90), fmtMicros(c.Handshake.P99), fmtMicros(c.Handshake.P999), fmtMicros(c.Handshake.Max)))
	if r.Mode == "idle" {
		add("Alive", fmt.Sprintf("%s/%s answered an echo round trip at the end", groupDigits(c.Alive), groupDigits(c.Opened)))
		add("Round trip", latencyLine(r.Latency))
	} else {
		add("Throughput", fmt.Sprintf("%s msg/s  %.2f MB/s  (%s echoes in %.2fs)", groupDigits(int64(r.Throughput.MessagesPerSec)), r.Throughput.MBPerSec, groupDigits(r.Messages.Received), r.Seconds))
		add("Latency", latencyLine(r.Latency))
		if r.SendLateness != nil {
			add("Send late", latencyLine(*r.SendLateness)+"  (the generator's own share of the latency)")
		}
		add("Messages", fmt.Sprintf("sent %s  verified %s  verify errors %s", groupDigits(r.Messages.Sent), groupDigits(r.Messages.Verified), groupDigits(r.Messages.VerifyErrors)))
	}
	add("Errors", countsLine(r.Errors, "none"))
	if r.Errors[kindDialAddr] > 0 {
		add("Hint", "source ports ran out: spread connections with --sources N (127.0.0.1..127.0.0.N)")
	}
	add("Close codes", countsLine(r.CloseCodes, "none"))
	if s := r.Server; s != nil {
		v := fmt.Sprintf("pid %d  CPU %.2f cores (%.2f cpu-s)  RSS peak %s", s.PID, s.CPUCores, s.CPUSeconds, fmtBytes(s.RSSPeak))
		if s.BytesPerConn > 0 {
			v += fmt.Sprintf("  %s/conn", fmtBytes(int64(s.BytesPerConn)))
		}
		add("Server", v)
	}
	add("Client", fmt.Sprintf("CPU %.2f cores (%.2f cpu-s)  RSS peak %s  procs %d", r.Client.CPUCores, r.Client.CPUSeconds, fmtBytes(r.Client.RSSPeak), r.Config.Procs))
	for _, row := range rows {
		fmt.Fprintf(w, "  %-12s %s\n", row[0], row[1])
	}
	if r.ServerMetrics != nil {
		fmt.Fprintln(w)
		formatServerMetrics(w, r.ServerMetrics, r.Messages, r.CloseCodes)
	}
	writeThresholds(w, r)
}

func latencyLine(p Percentiles) string {
	if p.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%s)", fmtMicros(p.P50), fmtMicros(p.P90), fmtMicros(p.P99), fmtMicros(p.P999), fmtMicros(p.Max), groupDigits(p.Count))
}

// countsLine renders a count map as "k=v k=v" sorted by key.
func countsLine(m map[string]int64, empty string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return empty
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + groupDigits(m[k])
	}
	return strings.Join(parts, "  ")
}

// fmtMicros renders a latency in µs with a unit that keeps 3 digits.
func fmtMicros(us int64) string {
	switch {
	case us < 1000:
		return strconv.FormatInt(us, 10) + "µs"
	case us < 1_000_000:
		return strconv.FormatFloat(float64(us)/1e3, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(float64(us)/1e6, 'f', 2, 64) + "s"
}

func fmtBytes(b int64) string {
	switch {
	case b < 10<<10:
		return strconv.FormatInt(b, 10) + " B"
	case b < 10<<20:
		return strconv.FormatFloat(float64(b)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB"
}

// groupDigits renders n with thousands separators.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
