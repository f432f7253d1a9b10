package driver

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Pooled writes the lead ratio round by round (roundRatios) pooled over
// runs: per closed-loop shape and generator, every round of every run that
// has both sides, as one sample. Each round's ratio pairs figures measured
// back to back, so rounds of runs hours apart pool without the drift
// between them; with tens of rounds the middle half says where the ratio
// sits on this host, which no one run of three rounds can. The floor over
// the best peer, pooled the same way, says where a server that does
// nothing but its system calls sits. The last columns split surge's rounds
// by whether its best mode ran at SaturatedCores of its core or more: a
// server that waits on its generator pays more sleeps and wake-ups per
// echo, so its figure per core-second is not the one it has when it is the
// limit, as the peers are.
func Pooled(w io.Writer, runs []*Run) {
	type key struct{ scenario, gen string }
	var order []key
	titles := map[string]string{}
	lead, floor := map[key][]pairedRound{}, map[key][]pairedRound{}
	inRuns := map[key]int{}
	isLead := func(lib string) bool { return slices.Contains(leadModes, lib) }
	for _, run := range runs {
		rp := newReporter(run)
		fl := rp.floorLib()
		for _, sc := range run.Scenarios {
			if sc.Kind != KindEcho {
				continue
			}
			titles[sc.Name] = scenarioTitle(sc)
			for _, g := range rp.gens() {
				k := key{sc.Name, g}
				rs := rp.roundRatiosOf(sc.Name, g, isLead)
				if len(rs) == 0 {
					continue
				}
				if _, seen := lead[k]; !seen {
					order = append(order, k)
				}
				lead[k] = append(lead[k], rs...)
				inRuns[k]++
				if fl != "" {
					floor[k] = append(floor[k], rp.roundRatiosOf(sc.Name, g, func(lib string) bool { return lib == fl })...)
				}
			}
		}
	}
	byRun(w, runs)
	fmt.Fprintf(w, "Rounds of %d runs pooled. Each sample is one round's ratio, the best of its side in that round over the best peer in that round; *middle half* is the 25th to the 75th percentile. The last two columns split surge's rounds by its best mode's server CPU: at %.0f%% of its core or more, or below (waiting on its generator).\n\n", len(runs), SaturatedCores*100)
	fmt.Fprintf(w, "| shape | generator | rounds (runs) | surge best / best peer: median (middle half; lowest–highest) | rounds ≥ %.1f× | floor / best peer: median (middle half) | rounds ≥ %.1f× | surge at ≥ %.0f%% of its core: median (rounds) | below: median (rounds) |\n", LeadRatio, LeadRatio, SaturatedCores*100)
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, k := range order {
		rs, fs := ratiosOf(lead[k], 0, math.Inf(1)), ratiosOf(floor[k], 0, math.Inf(1))
		fcell, fwon := "—", "—"
		if len(fs) > 0 {
			fcell = fmt.Sprintf("%s× (%s–%s)", down2(quantile(fs, 0.5)), down2(quantile(fs, 0.25)), down2(quantile(fs, 0.75)))
			fwon = fmt.Sprintf("%d of %d", atLeast(fs, LeadRatio), len(fs))
		}
		fmt.Fprintf(w, "| %s | %s | %d (%d) | %s× (%s–%s; %s–%s) | %d of %d | %s | %s | %s | %s |\n",
			titles[k.scenario], k.gen, len(rs), inRuns[k],
			down2(quantile(rs, 0.5)), down2(quantile(rs, 0.25)), down2(quantile(rs, 0.75)), down2(slices.Min(rs)), down2(slices.Max(rs)),
			atLeast(rs, LeadRatio), len(rs), fcell, fwon,
			medianCell(ratiosOf(lead[k], SaturatedCores, math.Inf(1))), medianCell(ratiosOf(lead[k], 0, SaturatedCores)))
	}
}

// ratiosOf returns the ratios of the rounds whose server CPU is in
// [lo, hi) cores.
func ratiosOf(rs []pairedRound, lo, hi float64) []float64 {
	var out []float64
	for _, r := range rs {
		if r.cores >= lo && r.cores < hi {
			out = append(out, r.ratio)
		}
	}
	return out
}

// medianCell is "1.25× (12)", the median of vs and their count, or "—".
func medianCell(vs []float64) string {
	if len(vs) == 0 {
		return "—"
	}
	return fmt.Sprintf("%s× (%d)", down2(quantile(vs, 0.5)), len(vs))
}

// quantile returns the p-quantile of vs, interpolating between the two
// nearest ranks (so quantile(vs, 0.5) is median(vs)); 0 for none.
func quantile(vs []float64, p float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	pos := p * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}

// atLeast counts the values of vs at bar or above.
func atLeast(vs []float64, bar float64) int {
	n := 0
	for _, v := range vs {
		if v >= bar {
			n++
		}
	}
	return n
}

// byRun writes, per run, its closed-loop cells (a shape by a generator)
// judged as the run's own lead table judges them: surge's best mode over
// the best peer on the medians of the rounds, and the floor's median over
// the same best peer. The bar asks every cell of one run to reach
// LeadRatio; pooled rounds say where the ratio sits, and this says how
// often a whole run clears it, for surge and for a server that does
// nothing but its system calls. The cells below the bar are named; a run
// without closed-loop results (rate or idle only) has no row.
func byRun(w io.Writer, runs []*Run) {
	fmt.Fprintf(w, "Run by run, every closed-loop cell (a shape by a generator) judged as the run's lead table judges it, on the medians of its rounds: surge's best mode over the best peer, and the floor's median over the same best peer.\n\n")
	fmt.Fprintf(w, "| run | rounds | cells | surge ≥ %.1f× | surge below | floor ≥ %.1f× | floor below |\n", LeadRatio, LeadRatio)
	fmt.Fprintln(w, "|---|--:|--:|--:|---|--:|---|")
	for _, run := range runs {
		rp := newReporter(run)
		fl := rp.floorLib()
		cells, won, fcells, fwon := 0, 0, 0, 0
		var below, fbelow []string
		for _, sc := range run.Scenarios {
			if sc.Kind != KindEcho {
				continue
			}
			for _, g := range rp.gens() {
				l := rp.leadOf(sc.Name, g)
				if l.ratio == 0 {
					continue
				}
				cells++
				if l.ratio >= LeadRatio {
					won++
				} else {
					below = append(below, fmt.Sprintf("%s %s %s×", sc.Name, g, down2(l.ratio)))
				}
				f := rp.run.FindGen(fl, sc.Name, g)
				if fl == "" || f == nil || !measured(f) {
					continue
				}
				fcells++
				if r := f.PerCoreSecond / l.peer.PerCoreSecond; r >= LeadRatio {
					fwon++
				} else {
					fbelow = append(fbelow, fmt.Sprintf("%s %s %s×", sc.Name, g, down2(r)))
				}
			}
		}
		if cells == 0 {
			continue
		}
		fcell := "—"
		if fcells > 0 {
			fcell = fmt.Sprintf("%d of %d", fwon, fcells)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d of %d | %s | %s | %s |\n", run.Started, rp.rounds, cells, won, cells, listCell(below), fcell, listCell(fbelow))
	}
	fmt.Fprintln(w)
}

// listCell joins items for a table cell, or "—" for none.
func listCell(items []string) string {
	if len(items) == 0 {
		return "—"
	}
	return strings.Join(items, "; ")
}
