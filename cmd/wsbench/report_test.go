package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// smallRun is one short echo run shared by the report tests.
func smallRun(t *testing.T) (*Result, options) {
	t.Helper()
	url := startServer(t, &corruptEcho{})
	o := testOptions("echo", url)
	o.duration = 1500 * time.Millisecond
	o.warmup = 200 * time.Millisecond
	return runT(t, o), o
}

// The documented JSON fields (docs/wsbench.md) must all be present.
func TestJSONHasDocumentedFields(t *testing.T) {
	res, _ := smallRun(t)
	var buf bytes.Buffer
	if err := writeJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JSON does not parse: %v", err)
	}
	paths := []string{
		"schema", "mode", "url", "started", "interrupted", "duration_s",
		"config.conns", "config.size", "config.text", "config.depth", "config.rate", "config.messages",
		"config.duration_s", "config.warmup_s", "config.connect_rate", "config.procs", "config.sources", "config.loops", "config.busy_poll_s",
		"connections.attempted", "connections.opened", "connections.failed", "connections.connect_s",
		"connections.connect_rate", "connections.handshake.p99_us", "connections.alive",
		"messages.sent", "messages.verified", "messages.verify_errors", "messages.received", "messages.bytes",
		"throughput.messages_per_s", "throughput.mb_per_s",
		"latency.count", "latency.mean_us", "latency.min_us", "latency.p50_us", "latency.p90_us",
		"latency.p99_us", "latency.p999_us", "latency.max_us", "latency_hdr",
		"errors", "error_total", "close_codes",
		"client.cpu_s", "client.cpu_cores", "client.rss_peak_bytes",
		"timeline",
	}
	for _, p := range paths {
		var v any = doc
		for _, k := range strings.Split(p, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: parent is not an object", p)
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("field %s missing", p)
			}
		}
	}
	if doc["schema"] != SchemaVersion {
		t.Fatalf("schema %v", doc["schema"])
	}
	tl := doc["timeline"].([]any)
	if len(tl) < 2 {
		t.Fatalf("timeline has %d samples", len(tl))
	}
	for _, k := range []string{"t_s", "phase", "conns", "messages", "messages_per_s", "p50_us", "p99_us", "max_us", "errors"} {
		if _, ok := tl[len(tl)-1].(map[string]any)[k]; !ok {
			t.Fatalf("timeline field %s missing", k)
		}
	}
	// The HDR form decodes to the same count as the summary.
	h := newHist()
	if err := mergeEncoded(h, res.LatencyHDR); err != nil || h.TotalCount() != res.Latency.Count {
		t.Fatalf("latency_hdr: %v, count %d want %d", err, h.TotalCount(), res.Latency.Count)
	}
}

// offlineRef finds references that would make a browser fetch something.
var offlineRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?https?:`)

func TestHTMLReportHasCharts(t *testing.T) {
	res, o := smallRun(t)
	var buf bytes.Buffer
	if err := writeHTML(&buf, res, &o); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(page, "<svg"); n < 4 {
		t.Fatalf("%d SVG charts, want 4 (latency, throughput, histogram, handshake)", n)
	}
	for _, title := range []string{"Latency over time", "Throughput over time", "Latency histogram"} {
		if !strings.Contains(page, title) {
			t.Fatalf("report lacks %q", title)
		}
	}
	if m := offlineRef.FindString(page); m != "" {
		t.Fatalf("report loads from the network: %q", m)
	}
	if !strings.Contains(page, "<path") {
		t.Fatal("charts have no drawn paths")
	}
}

// The report renders in headless Chromium with nothing but the file.
func TestHTMLReportInChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no /usr/bin/chromium: install it (apt-get install chromium) to render the report")
	}
	res, o := smallRun(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.html")
	if err := writeHTMLFile(report, res, &o); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "out.png")
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+png,
		"--window-size=1200,1600", "file://"+report)
	cmd.Dir = dir
	done := make(chan error, 1)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("chromium did not finish in 60 s")
	}
	fi, err := os.Stat(png)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out.String())
	}
	// A blank 1200x1600 page compresses to a few KB; charts and text do not.
	if fi.Size() < 30<<10 {
		t.Fatalf("screenshot is %d bytes: the page looks empty", fi.Size())
	}
	if dst := os.Getenv("WSBENCH_SCREENSHOT"); dst != "" {
		b, _ := os.ReadFile(png)
		_ = os.WriteFile(dst, b, 0o644)
		h, _ := os.ReadFile(report)
		_ = os.WriteFile(dst+".html", h, 0o644)
	}
}

func TestTableMentionsEverything(t *testing.T) {
	res, o := smallRun(t)
	var buf bytes.Buffer
	writeTable(&buf, res, &o)
	for _, s := range []string{"Connections", "Throughput", "Latency", "p99.9", "Messages", "Errors", "Close codes", "1000="} {
		if !strings.Contains(buf.String(), s) {
			t.Fatalf("table lacks %q:\n%s", s, buf.String())
		}
	}
}
