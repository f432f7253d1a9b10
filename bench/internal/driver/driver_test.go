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
			"echo-1k-64-d1", "echo-1k-64-d8", "echo-10k-1k-d1", "echo-10k-1k-d8", "echo-100-16k-d1", "echo-100-16k-d8", "rate-1k-64-60", "rate-10k-1k-5", "rate-100-16k-300", "idle-19k"}},
		{name: "quick", o: Options{Quick: true, Rate: 2}, names: []string{
			"echo-100-64-d1", "echo-100-64-d8", "echo-1k-1k-d1", "echo-1k-1k-d8", "echo-10-16k-d1", "echo-10-16k-d8", "rate-100-64-60", "rate-1k-1k-2", "rate-10-16k-300", "idle-1.9k"}},
		{name: "smoke", o: Options{Smoke: true, Quick: true}, names: []string{
			"echo-10-64-d1", "echo-10-64-d8", "echo-100-1k-d1", "echo-100-1k-d8", "echo-1-16k-d1", "echo-1-16k-d8", "rate-10-64-60", "rate-100-1k-5", "rate-1-16k-300", "idle-190"}},
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

// sampleRun is a Run as Execute would build it, with invented figures: two
// closed-loop shapes measured by both generators (surge leads by both in
// the first, by wsbench alone in the second) and an idle scenario.
func sampleRun() *Run {
	sc := []Scenario{
		{Name: "echo-10k-1k-d1", Kind: KindEcho, Conns: 10000, Size: 1024, Depth: 1},
		{Name: "echo-100-16k-d1", Kind: KindEcho, Conns: 100, Size: 16 << 10, Depth: 1},
		{Name: "idle-19k", Kind: KindIdle, Conns: 19000, Size: 64},
	}
	r := &Run{Schema: Schema, Started: "2026-01-01T00:00:00Z", Scenarios: sc,
		MaskBench: "BenchmarkMask/1KiB/surge-2 100 10 ns/op 100000 MB/s 0 B/op 0 allocs/op\n"}
	echo := func(lib, gen string, sc Scenario, perCore, cores, allocs float64, p999 int64) Result {
		return Result{Lib: lib, Scenario: sc.Name, Generator: gen, Kind: KindEcho, Conns: sc.Conns, Size: sc.Size, Depth: 1,
			MessagesPerSec: perCore * cores, ServerCores: cores, PerCoreSecond: perCore, Saturated: cores >= SaturatedCores,
			AllocsMeasured: true, AllocsPerMsg: allocs, P50: 900, P99: 15000, P999: p999, ServerCmd: "srv", ClientCmd: "cli"}
	}
	add := func(lib string, perCore, cores, rss, allocs, rawPerCore, big, rawBig float64) {
		r.Results = append(r.Results,
			echo(lib, GenWSBench, sc[0], perCore, cores, allocs, 0),
			echo(lib, GenRawload, sc[0], rawPerCore, 0.8, allocs, 0),
			echo(lib, GenWSBench, sc[1], big, 1, allocs, 30000),
			echo(lib, GenRawload, sc[1], rawBig, 0.95, allocs, 10000),
			Result{Lib: lib, Scenario: sc[2].Name, Generator: GenWSBench, Kind: KindIdle, Conns: 19000, Opened: 19000, Alive: 19000, RSSPerConn: rss, HeapPerConn: rss / 2, ConnectRate: 9000})
	}
	add("surge-inline", 300000, 1.0, 900, 0, 130000, 50000, 33000)
	add("surge-pool", 250000, 1.0, 950, 0, 120000, 45000, 30000)
	add("gws", 200000, 0.95, 5000, 2, 100000, 30000, 30000)
	add("gorilla", 150000, 0.5, 9000, 2, 90000, 20000, 20000)
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
	md := renderReport(t, sampleRun(), docs, charts)
	for _, want := range []string{
		// The bar: a lead only where both generators agree.
		"| surge (inline or pool) ≥ 1.3× the best peer in messages per server core-second in every closed-loop shape, by wsbench and rawload | a lead in 1 of 2 shapes (next section) | **no** |",
		"| wsbench: surge best | best peer | ratio | rawload: surge best | best peer | ratio | lead (≥ 1.3× by all) |",
		"| 10,000 connections × 1 KiB, 1 in flight | 300k (inline, 1.00) | 200k (gws, 0.95) | 1.50× | 130k (inline, 0.80 †) | 100k (gws, 0.80 †) | 1.30× | **lead** |",
		"| 100 connections × 16 KiB, 1 in flight | 50k (inline, 1.00) | 30k (gws, 1.00) | 1.67× | 33k (inline, 0.95) | 30k (gws, 0.95) | 1.10× | no |",
		// The inline tail bar, per generator.
		"| surge-inline p99.9 latency at 100 connections × 16 KiB, 1 in flight, within 2× surge-pool's (wsbench) | 30.0 ms vs 30.0 ms: 1.00× | yes |",
		// Both generators' columns in the scenario's table.
		"| gorilla | 75,000 | 0.50 † | 150,000 | 0.75× | 900 µs / 15.0 ms | 72,000 | 0.80 † | 90,000 | 0.90× | 900 µs / 15.0 ms | 2.000 / 2.000 | 0 / 0 |",
		"900 B vs best peer", // idle goal
		"| 0 allocations per message (server, steady state) | worst surge run: 0.0000",
		"](../results/x/msgs_per_core_s.svg)",
		"](../results/x/idle_rss_per_conn.svg)",
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

func TestLeadVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ratios []float64
		want   string
	}{
		{"both_above", []float64{1.5, 1.3}, "**lead**"},
		{"one_below", []float64{1.5, 1.29}, "no"},
		{"both_below", []float64{1.1, 0.9}, "no"},
		{"one_missing", []float64{1.5, 0}, "—"},
		{"one_generator", []float64{1.4}, "**lead**"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ls []lead
			for _, r := range tc.ratios {
				ls = append(ls, lead{ratio: r})
			}
			if got := leadVerdict(ls); got != tc.want {
				t.Fatalf("leadVerdict(%v) = %q, want %q", tc.ratios, got, tc.want)
			}
		})
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
	if !strings.Contains(out.String(), "surge-inline     echo-10k-1k-d1     wsbench  msg/core-s             300000         600000    2.00×") {
		t.Fatalf("compare output:\n%s", out.String())
	}
	if err := os.WriteFile(path, []byte(`{"schema":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Fatal("Load accepted another schema")
	}
}

// renderReport renders run into docs (charts in dir) and returns the report.
func renderReport(t *testing.T, run *Run, docs, dir string) string {
	t.Helper()
	if err := Render(run, docs, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(docs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLinkPath: the report's links resolve from the docs file however the
// two paths were given, as cmd/run is run from bench/ with "../docs".
func TestLinkPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(wd)
	for _, c := range []struct{ docs, dir, want string }{
		{"../docs/benchmarks.md", "results/x", "../" + base + "/results/x"},
		{"../docs/benchmarks.md", "../" + base + "/results/x", "../" + base + "/results/x"},
		{"docs/benchmarks.md", "results/x", "../results/x"},
		{"/a/docs/benchmarks.md", "/a/bench/results/x", "../bench/results/x"},
	} {
		if got := filepath.ToSlash(linkPath(c.docs, c.dir)); got != c.want {
			t.Errorf("linkPath(%q, %q) = %q, want %q", c.docs, c.dir, got, c.want)
		}
	}
}
