package driver

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestPooled: the rounds of several runs pool into one sample per shape and
// generator, the floor's beside surge's; a generator without rounds has no
// row, and a run without a floor leaves its column empty.
func TestPooled(t *testing.T) {
	a := roundsRun(map[string][]float64{"surge-inline": {130000, 100000, 140000}, "gws": {100000, 100000, 100000}, FloorLib: {120000, 120000, 120000}},
		map[string][]float64{"surge-inline": {-1, -1, -1}, "gws": {100000, 100000, 100000}}) // rawload: surge failed in every round
	// surge-inline waited on its generator in its first two rounds.
	for i := range a.Results {
		if r := &a.Results[i]; r.Lib == "surge-inline" && r.Gen() == GenWSBench && r.Round <= 2 {
			r.ServerCores = 0.80 + 0.05*float64(r.Round-1)
		}
	}
	b := roundsRun(map[string][]float64{"surge-pool": {150000, 120000, 110000}, "gorilla": {100000, 100000, 100000}, FloorLib: {130000, 130000, 130000}}, nil)
	var w strings.Builder
	Pooled(&w, []*Run{a, b})
	out := w.String()
	for _, want := range []string{
		"Rounds of 2 runs pooled.",
		"| shape | generator | rounds (runs) | surge best / best peer: median (middle half; lowest–highest) | rounds ≥ 1.3× | floor / best peer: median (middle half) | rounds ≥ 1.3× | surge at ≥ 90% of its core: median (rounds) | below: median (rounds) |",
		// 1.0 1.1 1.2 1.3 1.4 1.5; the floor 1.2 × 3 and 1.3 × 3; at
		// its core 1.1 1.2 1.4 1.5, below it 1.3 (0.80) and 1.0 (0.85).
		"| 10,000 connections × 1 KiB, 1 in flight | wsbench | 6 (2) | 1.25× (1.12–1.37; 1.00–1.50) | 3 of 6 | 1.25× (1.20–1.30) | 3 of 6 | 1.30× (4) | 1.15× (2) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pooled table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| rawload |") {
		t.Errorf("a row for a generator with no rounds:\n%s", out)
	}

	noFloor := roundsRun(map[string][]float64{"surge-inline": {130000, 130000, 130000}, "gws": {100000, 100000, 100000}}, nil)
	w.Reset()
	Pooled(&w, []*Run{noFloor})
	if want := "| 10,000 connections × 1 KiB, 1 in flight | wsbench | 3 (1) | 1.30× (1.30–1.30; 1.30–1.30) | 3 of 3 | — | — | 1.30× (3) | — |"; !strings.Contains(w.String(), want) {
		t.Errorf("pooled table without a floor lacks %q:\n%s", want, w.String())
	}
}

// TestRatiosOf: a round at exactly SaturatedCores counts as at its core,
// as the † mark of the report has it.
func TestRatiosOf(t *testing.T) {
	rs := []pairedRound{{1.1, 0.89}, {1.2, SaturatedCores}, {1.3, 1.0}, {1.4, 0}}
	if got, want := ratiosOf(rs, SaturatedCores, math.Inf(1)), []float64{1.2, 1.3}; !slices.Equal(got, want) {
		t.Errorf("at the core: %v, want %v", got, want)
	}
	if got, want := ratiosOf(rs, 0, SaturatedCores), []float64{1.1, 1.4}; !slices.Equal(got, want) {
		t.Errorf("below: %v, want %v", got, want)
	}
	if got := medianCell(nil); got != "—" {
		t.Errorf("medianCell(nil) = %q", got)
	}
}

// TestByRun: each run's cells are judged on the medians of its rounds, as
// its lead table judges them, for surge and for the floor against the same
// best peer; the cells below the bar are named, a cell whose surge rounds
// all failed is not a cell, a run without a floor says so, and a run
// without closed-loop results has no row.
func TestByRun(t *testing.T) {
	a := roundsRun(
		// surge's median round 130k over gws's 100k: exactly the bar.
		map[string][]float64{"surge-inline": {100000, 130000, 160000}, "gws": {100000, 90000, 110000}, FloorLib: {120000, 120000, 120000}},
		map[string][]float64{"surge-pool": {125000, 125000, 125000}, "gorilla": {100000, 100000, 100000}, FloorLib: {135000, 135000, 135000}})
	b := roundsRun(
		map[string][]float64{"surge-inline": {140000, 140000, 140000}, "gws": {100000, 100000, 100000}},
		map[string][]float64{"surge-inline": {-1, -1, -1}, "gws": {100000, 100000, 100000}})
	var w strings.Builder
	byRun(&w, []*Run{a, b})
	out := w.String()
	for _, want := range []string{
		"| run | rounds | cells | surge ≥ 1.3× | surge below | floor ≥ 1.3× | floor below |",
		"| 2026-01-01T00:00:00Z | 3 | 2 | 1 of 2 | echo-10k-1k-d1 rawload 1.25× | 1 of 2 | echo-10k-1k-d1 wsbench 1.20× |",
		"| 2026-01-01T00:00:00Z | 3 | 1 | 1 of 1 | — | — | — |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run-by-run table lacks %q:\n%s", want, out)
		}
	}
	rate := &Run{Started: "2026-01-02T00:00:00Z", Scenarios: []Scenario{{Name: "rate-1k-64-60", Kind: KindRate}}}
	w.Reset()
	byRun(&w, []*Run{rate})
	if strings.Contains(w.String(), "2026-01-02") {
		t.Errorf("a row for a run without closed-loop results:\n%s", w.String())
	}
	w.Reset()
	Pooled(&w, []*Run{a})
	if !strings.Contains(w.String(), "| 2026-01-01T00:00:00Z | 3 | 2 |") {
		t.Errorf("Pooled does not open with the run-by-run table:\n%s", w.String())
	}
}
