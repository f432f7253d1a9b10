package driver

import (
	"path/filepath"
	"strings"
	"testing"
)

// sameLoadRun is a run of one rate scenario, 10,000 × 1 KiB at 5 messages
// per second per connection (50,000 offered), with figs[gen][lib] = {msg/s,
// msg per server core-second, p99 µs}; a zero msg/s is a failed run.
func sameLoadRun(figs map[string]map[string][3]float64) *Run {
	sc := Scenario{Name: "rate-10k-1k-5", Kind: KindRate, Conns: 10000, Size: 1024, Rate: 5}
	run := &Run{Schema: Schema, Started: "2026-01-01T00:00:00Z", Scenarios: []Scenario{sc}, Settings: Settings{Rounds: 1}}
	for _, gen := range []string{GenWSBench, GenRawload} {
		for _, lib := range []string{"surge-inline", "surge-pool", "gws", "gorilla", "nbio", "coder"} {
			f, ok := figs[gen][lib]
			if !ok {
				continue
			}
			r := Result{Lib: lib, Scenario: sc.Name, Generator: gen, Kind: KindRate, Conns: sc.Conns, Size: sc.Size,
				MessagesPerSec: f[0], PerCoreSecond: f[1], P99: int64(f[2]), Round: 1}
			switch {
			case f[0] == 0:
				r.Error = "server did not start"
			case f[1] > 0:
				r.ServerCores = f[0] / f[1]
			}
			run.Results = append(run.Results, r)
		}
	}
	return run
}

// TestSameLoad: at one offered load the best of each side is the cheapest
// per message among the servers that held the rate; one that fell behind
// is named, not counted, even when its figure is the highest.
func TestSameLoad(t *testing.T) {
	run := sameLoadRun(map[string]map[string][3]float64{
		GenWSBench: {
			"surge-inline": {50000, 80000, 900}, "surge-pool": {49900, 85000, 1200},
			"gws": {50000, 60000, 2500}, "gorilla": {50010, 55000, 12000},
			"nbio":  {40000, 90000, 60000}, // 80% of the offered rate
			"coder": {50000, 0, 900},       // held it, but no server CPU was read: no figure, no note
		},
		GenRawload: {
			"surge-inline": {0, 0, 0}, "surge-pool": {47400, 70000, 800}, // 94.8%: not held
			"gws": {50000, 58000, 3000},
		},
	})
	dir := t.TempDir()
	md := renderReport(t, run, filepath.Join(dir, "benchmarks.md"), dir)
	for _, want := range []string{
		"### Messages per server core-second at the same load",
		"| shape and offered rate | wsbench: surge best | best peer | ratio | rawload: surge best | best peer | ratio |",
		// 85,000 / 60,000; rawload has no surge mode that held the rate.
		"| 10,000 connections × 1 KiB at 50,000/s | 85,000 (pool, p99 1200 µs) | 60,000 (gws, p99 2500 µs) | 1.42× | — | — | — |",
		"Below 95% of the offered rate, and so not counted: 10,000 connections × 1 KiB at 50,000/s, wsbench: nbio; 10,000 connections × 1 KiB at 50,000/s, rawload: surge-pool.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if i, j := strings.Index(md, "## Fixed rate"), strings.Index(md, "### Messages per server core-second at the same load"); i < 0 || j < i {
		t.Errorf("the same-load table is not in the fixed-rate section")
	}

	// A run without rate scenarios has no such table.
	if md := renderReport(t, roundsRun(map[string][]float64{"surge-inline": {1, 2, 3}, "gws": {1, 2, 3}}, nil), filepath.Join(dir, "b.md"), dir); strings.Contains(md, "at the same load") {
		t.Errorf("same-load table without a rate scenario")
	}
}

// TestHeld: the line is HeldShare of the offered rate, inclusive.
func TestHeld(t *testing.T) {
	sc := Scenario{Kind: KindRate, Conns: 100, Rate: 10} // 1,000 offered
	for _, tc := range []struct {
		r    Result
		want bool
	}{
		{Result{MessagesPerSec: 950, PerCoreSecond: 1}, true},
		{Result{MessagesPerSec: 949.9, PerCoreSecond: 1}, false},
		{Result{MessagesPerSec: 1200, PerCoreSecond: 1}, true},
		{Result{MessagesPerSec: 0}, false},
	} {
		if got := held(&tc.r, sc); got != tc.want {
			t.Errorf("held(%+v) = %v, want %v", tc.r, got, tc.want)
		}
	}
}

// TestRateRounds: the fixed-rate section says which round it shows only
// when the rate scenarios ran in rounds.
func TestRateRounds(t *testing.T) {
	run := sameLoadRun(map[string]map[string][3]float64{
		GenWSBench: {"surge-inline": {50000, 80000, 900}, "gws": {50000, 60000, 2500}},
	})
	run.Settings.Rounds = 3
	dir := t.TempDir()
	const says = "Every row is the library's median round of"
	const once = "The open-loop rate and idle scenarios ran once."
	if md := renderReport(t, run, filepath.Join(dir, "one.md"), dir); strings.Contains(md, says) || !strings.Contains(md, once) {
		t.Errorf("a rate scenario run once is called a median round, or its header does not say it ran once")
	}
	for k, perCore := range map[int]float64{2: 90000, 3: 70000} { // surge-inline's rounds 2 and 3; gws as before
		for _, lib := range []string{"surge-inline", "gws"} {
			r := *run.FindGen(lib, "rate-10k-1k-5", GenWSBench)
			r.Round = k
			if lib == "surge-inline" {
				r.PerCoreSecond = perCore
				r.ServerCores = r.MessagesPerSec / r.PerCoreSecond
			}
			run.Results = append(run.Results, r)
		}
	}
	md := renderReport(t, run, filepath.Join(dir, "three.md"), dir)
	for _, want := range []string{
		says + " 3 by messages per server core-second",
		// The header says so too, and does not call them run once.
		"The open-loop rate scenarios ran in 3 rounds too (their section shows the median round); the idle one ran once.",
		// And the Setup table.
		"| rounds | 3 per closed-loop echo scenario (median shown); 3 per rate scenario (median shown); 1 for idle |",
		// The median of 80,000, 90,000 and 70,000 against gws's 60,000.
		"| 10,000 connections × 1 KiB at 50,000/s | 80,000 (inline, p99 900 µs) | 60,000 (gws, p99 2500 µs) | 1.33× |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, once) || strings.Contains(md, "1 for rate and idle") {
		t.Errorf("a report of rate scenarios in rounds says they ran once")
	}
}
