package driver

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// round is one round's result of lib under the 10k × 1 KiB echo scenario by
// gen, with perCore messages per server core-second at 0.95 cores (or err).
func round(lib, gen string, n int, perCore float64, err string) Result {
	return Result{Lib: lib, Scenario: "echo-10k-1k-d1", Generator: gen, Kind: KindEcho, Conns: 10000, Size: 1024, Depth: 1,
		Round: n, Error: err, MessagesPerSec: perCore * 0.95, ServerCores: 0.95, PerCoreSecond: perCore,
		P50: int64(n), ServerCmd: "srv", ClientCmd: "cli"}
}

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		name      string
		perCore   []float64 // per round; -1 is a failed round
		wantRound int       // the round reported
		wantSpr   spread
		wantStr   string
	}{
		{"one_round", []float64{500}, 1, spread{measured: 1, total: 1, min: 500, max: 500}, ""},
		{"odd", []float64{69500, 24600, 97500}, 1, spread{measured: 3, total: 3, min: 24600, max: 97500}, "25k–98k"},
		{"odd_five", []float64{24600, 69500, 97500, 82200, 68800}, 2, spread{measured: 5, total: 5, min: 24600, max: 97500}, "25k–98k"},
		{"even_takes_lower_middle", []float64{40000, 10000, 30000, 20000}, 4, spread{measured: 4, total: 4, min: 10000, max: 40000}, "10k–40k"},
		{"two_rounds_take_the_lower", []float64{90000, 60000}, 2, spread{measured: 2, total: 2, min: 60000, max: 90000}, "60k–90k"},
		{"failed_round_left_out", []float64{300000, -1, 100000}, 3, spread{measured: 2, total: 3, min: 100000, max: 300000}, "100k–300k, 2/3 rounds"},
		{"failed_round_odd_left", []float64{-1, 50000, 70000, 60000}, 4, spread{measured: 3, total: 4, min: 50000, max: 70000}, "50k–70k, 3/4 rounds"},
		{"no_cpu_read_left_out", []float64{0, 80000, 90000, 70000}, 2, spread{measured: 3, total: 4, min: 70000, max: 90000}, "70k–90k, 3/4 rounds"},
		{"all_failed", []float64{-1, -1}, 1, spread{measured: 0, total: 2}, ""},
		{"ties_keep_round_order", []float64{5000, 5000, 5000}, 2, spread{measured: 3, total: 3, min: 5000, max: 5000}, "5k–5k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rs []Result
			for i, v := range tc.perCore {
				if v < 0 {
					rs = append(rs, round("gws", GenWSBench, i+1, 0, "wsbench failed"))
					continue
				}
				rs = append(rs, round("gws", GenWSBench, i+1, v, ""))
			}
			got, s := medianOf(rs)
			if got.Round != tc.wantRound {
				t.Errorf("median is round %d (%.0f msg/core-s), want round %d", got.Round, got.PerCoreSecond, tc.wantRound)
			}
			// Every figure of the median comes from that one round.
			if got.P50 != int64(got.Round) || math.Abs(got.MessagesPerSec-got.PerCoreSecond*0.95) > 1e-6 {
				t.Errorf("median mixes rounds: round %d, p50 %d, %.0f msg/s, %.0f msg/core-s", got.Round, got.P50, got.MessagesPerSec, got.PerCoreSecond)
			}
			if s != tc.wantSpr {
				t.Errorf("spread %+v, want %+v", s, tc.wantSpr)
			}
			if s.String() != tc.wantStr {
				t.Errorf("spread string %q, want %q", s.String(), tc.wantStr)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	scs := []Scenario{
		{Name: "echo", Kind: KindEcho, Conns: 10, Size: 64, Depth: 1},
		{Name: "rate", Kind: KindRate, Conns: 10, Size: 64, Rate: 5},
		{Name: "idle", Kind: KindIdle, Conns: 10, Size: 64},
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"three_rounds_reversed_in_the_second", Options{Generators: []string{GenWSBench, GenRawload}},
			"echo 1/3 a wsbench, echo 1/3 a rawload, echo 1/3 b wsbench, echo 1/3 b rawload, echo 1/3 c wsbench, echo 1/3 c rawload, " +
				"echo 2/3 c wsbench, echo 2/3 c rawload, echo 2/3 b wsbench, echo 2/3 b rawload, echo 2/3 a wsbench, echo 2/3 a rawload, " +
				"echo 3/3 a wsbench, echo 3/3 a rawload, echo 3/3 b wsbench, echo 3/3 b rawload, echo 3/3 c wsbench, echo 3/3 c rawload, " +
				"rate 1/3 a wsbench, rate 1/3 a rawload, rate 1/3 b wsbench, rate 1/3 b rawload, rate 1/3 c wsbench, rate 1/3 c rawload, " +
				"rate 2/3 c wsbench, rate 2/3 c rawload, rate 2/3 b wsbench, rate 2/3 b rawload, rate 2/3 a wsbench, rate 2/3 a rawload, " +
				"rate 3/3 a wsbench, rate 3/3 a rawload, rate 3/3 b wsbench, rate 3/3 b rawload, rate 3/3 c wsbench, rate 3/3 c rawload, " +
				"idle 1/1 a wsbench, idle 1/1 b wsbench, idle 1/1 c wsbench"},
		{"smoke_two_rounds", Options{Smoke: true, Generators: []string{GenRawload}},
			"echo 1/2 a rawload, echo 1/2 b rawload, echo 1/2 c rawload, echo 2/2 c rawload, echo 2/2 b rawload, echo 2/2 a rawload, " +
				"rate 1/2 a rawload, rate 1/2 b rawload, rate 1/2 c rawload, rate 2/2 c rawload, rate 2/2 b rawload, rate 2/2 a rawload, " +
				"idle 1/1 a wsbench, idle 1/1 b wsbench, idle 1/1 c wsbench"},
		{"floor_in_echo_only", Options{Rounds: 1, Generators: []string{GenWSBench}, Libs: []string{"a", FloorLib}},
			"echo 1/1 a wsbench, echo 1/1 floor-epoll-sock wsbench, rate 1/1 a wsbench, idle 1/1 a wsbench"},
		{"one_round", Options{Rounds: 1, Generators: []string{GenWSBench}},
			"echo 1/1 a wsbench, echo 1/1 b wsbench, echo 1/1 c wsbench, rate 1/1 a wsbench, rate 1/1 b wsbench, rate 1/1 c wsbench, " +
				"idle 1/1 a wsbench, idle 1/1 b wsbench, idle 1/1 c wsbench"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			libs := []string{"a", "b", "c"}
			if tc.o.Libs != nil {
				libs = tc.o.Libs
			}
			var got []string
			for _, j := range schedule(scs, libs, tc.o) {
				got = append(got, fmt.Sprintf("%s %d/%d %s %s", j.sc.Name, j.round, j.rounds, j.lib, j.gen))
			}
			if g := strings.Join(got, ", "); g != tc.want {
				t.Errorf("schedule:\n got %s\nwant %s", g, tc.want)
			}
			if tc.o.Libs == nil && strings.Join(libs, "") != "abc" {
				t.Errorf("schedule changed the caller's libraries: %v", libs)
			}
		})
	}
}

// roundsRun is a run of several rounds under one closed-loop scenario by
// two generators, with invented figures per library and round (-1 marks a
// failed round).
func roundsRun(wsbench, rawload map[string][]float64) *Run {
	sc := Scenario{Name: "echo-10k-1k-d1", Kind: KindEcho, Conns: 10000, Size: 1024, Depth: 1}
	r := &Run{Schema: Schema, Started: "2026-01-01T00:00:00Z", Scenarios: []Scenario{sc}, Settings: Settings{Rounds: 3}}
	for gen, figs := range map[string]map[string][]float64{GenWSBench: wsbench, GenRawload: rawload} {
		for _, lib := range []string{"surge-inline", "surge-pool", "gws", "gorilla", FloorLib} {
			for i, v := range figs[lib] {
				if v < 0 {
					r.Results = append(r.Results, round(lib, gen, i+1, 0, "server did not start"))
					continue
				}
				r.Results = append(r.Results, round(lib, gen, i+1, v, ""))
			}
		}
	}
	return r
}

func TestLeadFromRounds(t *testing.T) {
	for _, tc := range []struct {
		name              string
		wsbench, rawload  map[string][]float64
		wantSurge, wantPr [2]string // lib and "median (spread)" per generator
		wantRatio         [2]float64
		wantVerdict       string
	}{
		{
			// One lucky surge round and one slow gws round would make a
			// single-run table read 300k vs 95k; the medians say 1.26×.
			name: "spikes_do_not_decide",
			wsbench: map[string][]float64{
				"surge-inline": {100000, 300000, 110000}, "surge-pool": {120000, 125000, 90000},
				"gws": {90000, 95000, 200000}, "gorilla": {80000, 85000, 82000}},
			rawload: map[string][]float64{
				"surge-inline": {130000, 140000, 135000}, "surge-pool": {100000, 100000, 100000},
				"gws": {100000, 100000, 100000}, "gorilla": {50000, 50000, 50000}},
			wantSurge:   [2]string{"surge-pool 120k (90k–125k)", "surge-inline 135k (130k–140k)"},
			wantPr:      [2]string{"gws 95k (90k–200k)", "gws 100k (100k–100k)"},
			wantRatio:   [2]float64{120000.0 / 95000, 1.35},
			wantVerdict: "no",
		},
		{
			// The medians lead by both generators although a peer's best
			// round beats surge's worst.
			name: "median_lead_with_a_failed_round",
			wsbench: map[string][]float64{
				"surge-inline": {200000, -1, 260000}, "surge-pool": {150000, 150000, 150000},
				"gws": {140000, 250000, 120000}, "gorilla": {100000, 110000, -1}},
			rawload: map[string][]float64{
				"surge-inline": {140000, 150000, 145000}, "surge-pool": {-1, -1, -1},
				"gws": {100000, 105000, 110000}, "gorilla": {90000, 95000, 99000}},
			wantSurge:   [2]string{"surge-inline 200k (200k–260k, 2/3 rounds)", "surge-inline 145k (140k–150k)"},
			wantPr:      [2]string{"gws 140k (120k–250k)", "gws 105k (100k–110k)"},
			wantRatio:   [2]float64{200000.0 / 140000, 145000.0 / 105000},
			wantVerdict: "**lead**",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := roundsRun(tc.wsbench, tc.rawload)
			view, spreads := run.medians()
			rp := reporter{run: view, spreads: spreads, rounds: run.roundsRun()}
			side := func(r *Result) string {
				if r == nil {
					return "none"
				}
				return fmt.Sprintf("%s %s (%s)", r.Lib, human(r.PerCoreSecond), rp.spreadOf(r))
			}
			var ls []lead
			for i, gen := range []string{GenWSBench, GenRawload} {
				l := rp.leadOf("echo-10k-1k-d1", gen)
				ls = append(ls, l)
				if got := side(l.surge); got != tc.wantSurge[i] {
					t.Errorf("%s: surge best %s, want %s", gen, got, tc.wantSurge[i])
				}
				if got := side(l.peer); got != tc.wantPr[i] {
					t.Errorf("%s: best peer %s, want %s", gen, got, tc.wantPr[i])
				}
				if math.Abs(l.ratio-tc.wantRatio[i]) > 1e-9 {
					t.Errorf("%s: ratio %.4f, want %.4f", gen, l.ratio, tc.wantRatio[i])
				}
			}
			if got := leadVerdict(ls); got != tc.wantVerdict {
				t.Errorf("verdict %q, want %q", got, tc.wantVerdict)
			}
		})
	}
}

func TestRenderRounds(t *testing.T) {
	dir := t.TempDir()
	docs := filepath.Join(dir, "benchmarks.md")
	run := roundsRun(
		map[string][]float64{"surge-inline": {100000, 300000, 110000}, "surge-pool": {120000, 125000, 90000},
			"gws": {90000, 95000, 200000}, "gorilla": {80000, 85000, 82000}},
		map[string][]float64{"surge-inline": {130000, 140000, 135000}, "surge-pool": {100000, 100000, 100000},
			"gws": {100000, 100000, 100000}, "gorilla": {50000, 50000, 50000}})
	md := renderReport(t, run, docs, dir)
	for _, want := range []string{
		"ran in 3 rounds per library and generator; every closed-loop figure below (tables, charts, summary) is the **median** round's",
		"| rounds | 3 per closed-loop echo scenario (median shown); 1 for rate and idle |",
		"*surge best* is the higher of surge-inline's and surge-pool's median messages per server core-second over 3 rounds, *best peer* the highest of the other libraries' medians,",
		"| 10,000 connections × 1 KiB, 1 in flight | 120k (pool, 0.95; rounds 90k–125k) | 95k (gws, 0.95; rounds 90k–200k) | 1.26× | 135k (inline, 0.95; rounds 130k–140k) | 100k (gws, 0.95; rounds 100k–100k) | 1.35× | no |",
		"a lead in 0 of 1 shapes",
		// The scenario table shows the median round of each library.
		"| **surge-inline** | 104,500 | 0.95 | 110,000 (100k–300k) | 1.16× | 3 µs / 0 µs |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// A run of one round (or saved before rounds) claims no medians.
	one := renderReport(t, sampleRun(), docs, dir)
	for _, bad := range []string{"median", "| rounds |", "; rounds "} {
		if strings.Contains(one, bad) {
			t.Errorf("one-round report says %q", bad)
		}
	}
}

func TestCompareRounds(t *testing.T) {
	old := roundsRun(map[string][]float64{"gws": {100000, 300000, 200000}}, nil)
	cur := roundsRun(map[string][]float64{"gws": {50000, 400000, 100000}}, nil)
	var out bytes.Buffer
	Compare(&out, old, cur)
	if !strings.Contains(out.String(), "gws              echo-10k-1k-d1     wsbench  msg/core-s             200000         100000    0.50×") {
		t.Fatalf("compare did not use the medians:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "gws "); n != 1 {
		t.Fatalf("%d rows for gws, want one (the median):\n%s", n, out.String())
	}
}

func TestLoadSchemaV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	r := sampleRun()
	r.Schema = schemaV1
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("a run saved before rounds no longer loads: %v", err)
	}
	if got.roundsRun() != 1 {
		t.Fatalf("rounds of a v1 run: %d, want 1", got.roundsRun())
	}
	view, _ := got.medians()
	if len(view.Results) != len(got.Results) {
		t.Fatalf("median view of a one-round run has %d results, want %d", len(view.Results), len(got.Results))
	}
}

// TestFloor: the floor server is a reference. Faster than every library,
// it is still never the best peer, and its table sets surge and the best
// peer against it.
func TestFloor(t *testing.T) {
	run := roundsRun(
		map[string][]float64{"surge-inline": {100000, 110000, 105000}, "gws": {80000, 80000, 80000}, FloorLib: {120000, 125000, 200000}},
		map[string][]float64{"surge-inline": {90000, 90000, 90000}, "gws": {70000, 75000, 72000}, FloorLib: {100000, 100000, 100000}})
	view, spreads := run.medians()
	rp := reporter{run: view, spreads: spreads, rounds: run.roundsRun()}
	for _, gen := range []string{GenWSBench, GenRawload} {
		if l := rp.leadOf("echo-10k-1k-d1", gen); l.peer == nil || l.peer.Lib != "gws" {
			t.Errorf("%s: best peer %v, want gws (the floor is no peer)", gen, l.peer)
		}
	}
	dir := t.TempDir()
	md := renderReport(t, run, filepath.Join(dir, "benchmarks.md"), dir)
	for _, want := range []string{
		"## The floor in this run",
		"| shape | wsbench: floor msg/core-s | surge best / floor | floor / best peer | rawload: floor msg/core-s | surge best / floor | floor / best peer |",
		"| 10,000 connections × 1 KiB, 1 in flight | 125,000 (0.95; rounds 120k–200k) | 0.84 (inline) | 1.56 (gws) | 100,000 (0.95; rounds 100k–100k) | 0.90 (inline) | 1.39 (gws) |",
		"In brackets: the median round's (of 3) server CPU in cores and the lowest–highest figure of its rounds; the ratios are of medians;",
		"| *floor-epoll-sock (reference, not a peer)* |",
		"*floor* is `floor-epoll-sock` (`bench/cmd/floorecho -io epoll-sock`): a server that does nothing per message but one `recvfrom`, an unmask and one `sendto`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Not in the allocation table: the floor keeps no statistics.
	allocs := md[strings.Index(md, "## Server allocations per message"):]
	if strings.Contains(allocs[:strings.Index(allocs[3:], "## ")+3], FloorLib) {
		t.Errorf("the allocation table lists the floor")
	}
	// A run without the floor has no floor section.
	if md := renderReport(t, roundsRun(map[string][]float64{"gws": {1, 2, 3}}, nil), filepath.Join(dir, "b.md"), dir); strings.Contains(md, "## The floor") {
		t.Errorf("floor section without a floor")
	}
}

// TestFloorOfOlderRun: a run saved when the floor was floor-epoll (read
// and write) still reads it as the floor, never as a peer, and says what
// that floor did.
func TestFloorOfOlderRun(t *testing.T) {
	run := roundsRun(map[string][]float64{"surge-inline": {100000, 110000, 105000}, "gws": {80000, 80000, 80000}}, nil)
	for _, v := range []float64{120000, 125000, 200000} {
		r := round("floor-epoll", GenWSBench, len(run.Results), v, "")
		run.Results = append(run.Results, r)
	}
	view, spreads := run.medians()
	rp := reporter{run: view, spreads: spreads, rounds: run.roundsRun()}
	if l := rp.leadOf("echo-10k-1k-d1", GenWSBench); l.peer == nil || l.peer.Lib != "gws" {
		t.Errorf("best peer %v, want gws (floor-epoll is no peer)", l.peer)
	}
	dir := t.TempDir()
	md := renderReport(t, run, filepath.Join(dir, "benchmarks.md"), dir)
	for _, want := range []string{
		"*floor* is `floor-epoll` (`bench/cmd/floorecho -io epoll`): a server that does nothing per message but one `read`, an unmask and one `write` on raw epoll.",
		"| 10,000 connections × 1 KiB, 1 in flight | 125,000 (0.95; rounds 120k–200k) | 0.84 (inline) | 1.56 (gws) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, lib := range []string{"floor-epoll", "floor-epoll-sock", "floor-uring", "floor-uring-multishot", FloorCLib} {
		if !isFloor(lib) {
			t.Errorf("%s is not a floor", lib)
		}
	}
	for _, lib := range []string{"floor", "floor-", "floor-cc", "gws", "surge-inline"} {
		if isFloor(lib) {
			t.Errorf("%s is a floor", lib)
		}
	}
}
