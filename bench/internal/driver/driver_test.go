package driver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name  string
		o     Options
		names []string
	}{
		{name: "full", o: Options{}, names: []string{
			"echo-1k-512", "echo-1k-1k", "echo-1k-16k", "echo-10k-512", "echo-10k-1k", "echo-10k-16k", "rate-10k-1k-5", "idle-19k"}},
		{name: "quick", o: Options{Quick: true, Rate: 2}, names: []string{
			"echo-100-512", "echo-100-1k", "echo-100-16k", "echo-1k-512", "echo-1k-1k", "echo-1k-16k", "rate-1k-1k-2", "idle-1.9k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, sc := range Plan(tt.o) {
				got = append(got, sc.Name)
			}
			if strings.Join(got, " ") != strings.Join(tt.names, " ") {
				t.Fatalf("got %v\nwant %v", got, tt.names)
			}
		})
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
BenchmarkMask/1KiB/surge-2   	 9602929	        10.59 ns/op	96718.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkMask/1KiB/copy     	14942254	         8.117 ns/op	126153.80 MB/s
BenchmarkBroken	 x ns/op
PASS`
	got := parseBench(out)
	if len(got) != 2 {
		t.Fatalf("%d lines: %+v", len(got), got)
	}
	if got[0].name != "Mask/1KiB/surge" || got[0].nsOp != 10.59 || got[0].mbS != 96718 || !got[0].hasAllo || got[0].allocs != 0 {
		t.Fatalf("first line %+v", got[0])
	}
	if got[1].name != "Mask/1KiB/copy" || got[1].hasAllo {
		t.Fatalf("second line %+v", got[1])
	}
}

// sampleRun is a Run as Execute would build it, with invented figures.
func sampleRun() *Run {
	sc := []Scenario{
		{Name: "echo-10k-1k", Kind: KindEcho, Conns: 10000, Size: 1024},
		{Name: "idle-19k", Kind: KindIdle, Conns: 19000, Size: 64},
	}
	r := &Run{Schema: Schema, Started: "2026-01-01T00:00:00Z", Scenarios: sc,
		MaskBench: "BenchmarkMask/1KiB/surge-2 100 10 ns/op 100000 MB/s 0 B/op 0 allocs/op\n"}
	add := func(lib string, perCore, cores, rss float64, allocs float64) {
		r.Results = append(r.Results,
			Result{Lib: lib, Scenario: sc[0].Name, Kind: KindEcho, Conns: 10000, Size: 1024, MessagesPerSec: perCore * cores,
				ServerCores: cores, PerCoreSecond: perCore, Saturated: cores >= SaturatedCores, AllocsMeasured: true, AllocsPerMsg: allocs,
				ServerCmd: "srv", ClientCmd: "cli"},
			Result{Lib: lib, Scenario: sc[1].Name, Kind: KindIdle, Conns: 19000, Opened: 19000, Alive: 19000, RSSPerConn: rss, HeapPerConn: rss / 2, ConnectRate: 9000})
	}
	add("surge-inline", 300000, 1.0, 900, 0)
	add("gws", 200000, 0.95, 5000, 2)
	add("gorilla", 150000, 0.5, 9000, 2)
	return r
}

func TestRender(t *testing.T) {
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs", "benchmarks.md")
	charts := filepath.Join(dir, "results", "x")
	if err := os.MkdirAll(charts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(docs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docs, []byte("old\n"+NotesMarker+"\n\nmy analysis\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Render(sampleRun(), docs, charts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(docs)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"**1.50×** | yes",    // 300k vs gws 200k
		"900 B vs best peer", // idle goal
		"| 0 allocations per message (server, steady state) | worst surge run: 0.0000",
		"](../results/x/msgs_per_core_s.svg)",
		"](../results/x/idle_rss_per_conn.svg)",
		"| gorilla | 75,000 | 0.50 † | 150,000 | 0.75× |",
		"my analysis",
		"| 1KiB | 100.00 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "old\n") {
		t.Error("the generated part was not replaced")
	}
	for _, f := range []string{"msgs_per_core_s.svg", "idle_rss_per_conn.svg"} {
		svg, err := os.ReadFile(filepath.Join(charts, f))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := Render(&Run{}, docs, charts); err != ErrNoRuns {
		t.Errorf("empty run: %v", err)
	}
}

func TestSaveLoadCompare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r", "results.json")
	a := sampleRun()
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Results[0].PerCoreSecond *= 2
	var out bytes.Buffer
	Compare(&out, a, b)
	if !strings.Contains(out.String(), "surge-inline     echo-10k-1k        msg/core-s             300000         600000    2.00×") {
		t.Fatalf("compare output:\n%s", out.String())
	}
	if err := os.WriteFile(path, []byte(`{"schema":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Fatal("Load accepted another schema")
	}
}
