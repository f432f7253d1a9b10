package driver

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRoundRatios: each round's ratio is that round's best surge mode over
// that round's best peer; rounds where either side failed are left out,
// and the floor is never the peer.
func TestRoundRatios(t *testing.T) {
	for _, tc := range []struct {
		name             string
		wsbench, rawload map[string][]float64
		want             [2][]float64
	}{
		{
			// The medians would say 120k / 95k; round by round the
			// ratio is 1.33, 3.16 and 0.55.
			name: "paired_by_round",
			wsbench: map[string][]float64{
				"surge-inline": {100000, 300000, 110000}, "surge-pool": {120000, 125000, 90000},
				"gws": {90000, 95000, 200000}, "gorilla": {80000, 85000, 82000}},
			rawload: map[string][]float64{
				"surge-inline": {130000, 140000, 135000},
				"gws":          {100000, 100000, 100000}, "gorilla": {50000, 120000, 50000}},
			want: [2][]float64{{120000.0 / 90000, 300000.0 / 95000, 110000.0 / 200000}, {1.3, 140000.0 / 120000, 1.35}},
		},
		{
			name: "failed_rounds_and_floor_left_out",
			wsbench: map[string][]float64{
				"surge-inline": {100000, -1, 110000}, "gws": {80000, 90000, -1},
				"gorilla": {-1, 70000, 100000}, FloorLib: {500000, 500000, 500000}},
			rawload: map[string][]float64{"surge-inline": {-1, -1, -1}, "gws": {1, 2, 3}},
			want:    [2][]float64{{100000.0 / 80000, 110000.0 / 100000}, nil},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := roundsRun(tc.wsbench, tc.rawload)
			view, spreads := run.medians()
			rp := reporter{run: view, raw: run, spreads: spreads, rounds: run.roundsRun()}
			for i, gen := range []string{GenWSBench, GenRawload} {
				got := rp.roundRatios("echo-10k-1k-d1", gen)
				if !slices.EqualFunc(got, tc.want[i], func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }) {
					t.Errorf("%s: ratios %v, want %v", gen, got, tc.want[i])
				}
			}
		})
	}
}

// TestQuantile: interpolated between the nearest ranks, so the 0.5
// quantile is the median of an even count too; the input keeps its order.
func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		p    float64
		want float64
	}{
		{nil, 0.5, 0},
		{[]float64{1.2}, 0.25, 1.2},
		{[]float64{1.5, 0.9, 1.2}, 0.5, 1.2},
		{[]float64{1.4, 1.0, 1.2, 3.0}, 0.5, 1.3},
		{[]float64{1.4, 1.0, 1.2, 3.0}, 0.25, 1.15},
		{[]float64{1.4, 1.0, 1.2, 3.0}, 0.75, 1.8},
		{[]float64{1.4, 1.0, 1.2, 3.0}, 1, 3.0},
		{[]float64{1.4, 1.0, 1.2, 3.0}, 0, 1.0},
	} {
		in := slices.Clone(tc.in)
		if got := quantile(tc.in, tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("quantile reordered its input: %v", tc.in)
		}
	}
	if got := atLeast([]float64{1.3, 1.29, 1.31, 0.5}, 1.3); got != 2 {
		t.Errorf("atLeast: %d, want 2", got)
	}
}

// TestPairedSection: the report shows every round's ratio, their median
// and the rounds at the bar, by each generator; a run of one round, or a
// report without the rounds, has no such section.
func TestPairedSection(t *testing.T) {
	run := roundsRun(
		map[string][]float64{"surge-inline": {130000, 100000, 140000}, "gws": {100000, 100000, 100000}},
		map[string][]float64{"surge-pool": {120000, 150000, 90000}, "gorilla": {100000, 100000, 100000}})
	dir := t.TempDir()
	md := renderReport(t, run, filepath.Join(dir, "benchmarks.md"), dir)
	for _, want := range []string{
		"### The lead ratio round by round",
		"| shape | wsbench: ratio per round | median | ≥ 1.3× | rawload: ratio per round | median | ≥ 1.3× |",
		"| 10,000 connections × 1 KiB, 1 in flight | 1.30, 1.00, 1.40 | 1.30× | 2 of 3 | 1.20, 1.50, 0.90 | 1.20× | 1 of 3 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if i, j := strings.Index(md, "## Lead per shape"), strings.Index(md, "### The lead ratio round by round"); i < 0 || j < i {
		t.Errorf("the round-by-round table is not under the lead table")
	}

	one := roundsRun(map[string][]float64{"surge-inline": {130000}, "gws": {100000}}, nil)
	one.Settings.Rounds = 1
	if md := renderReport(t, one, filepath.Join(dir, "one.md"), dir); strings.Contains(md, "round by round") {
		t.Errorf("a run of one round has a round-by-round table")
	}
	view, spreads := run.medians()
	rp := reporter{run: view, spreads: spreads, rounds: run.roundsRun(), w: &strings.Builder{}}
	if rp.paired(); rp.w.Len() != 0 {
		t.Errorf("without the rounds the section says %q", rp.w.String())
	}
}

// TestDown2: a ratio just under the bar must not print as the bar.
func TestDown2(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1.2996, "1.29"},
		{1.3, "1.30"},
		{130000.0 / 100000, "1.30"},
		{0.55, "0.55"},
		{110000.0 / 200000, "0.55"},
		{3.158, "3.15"},
		{1.15, "1.15"}, // 114.99999999999999 in float64
		{0.29, "0.29"},
	} {
		if got := down2(tc.in); got != tc.want {
			t.Errorf("down2(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
