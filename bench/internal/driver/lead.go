package driver

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/surgews/surge/bench/internal/servers"
)

// LeadRatio is the bar of the performance issue: surge's best dispatch mode
// at LeadRatio times the best peer's messages per server core-second or
// more, measured by every load generator of the run, counts as a lead.
const LeadRatio = 1.3

// leadModes are the surge dispatch modes the bar counts (inline or pool;
// the goroutine-per-session mode is the compatibility path).
var leadModes = []string{"surge-inline", "surge-pool"}

// lead is how surge's best mode stands against the best peer under one
// scenario, by one generator.
type lead struct {
	surge, peer *Result
	ratio       float64 // 0 when either side is missing
}

// leadOf returns surge's best mode and the best peer under scenario, by gen,
// in messages per server core-second. rp.run is the median view, so both
// are per-library medians over the rounds.
func (rp *reporter) leadOf(scenario, gen string) lead {
	var l lead
	for _, m := range leadModes {
		r := rp.run.FindGen(m, scenario, gen)
		if r != nil && r.Error == "" && r.PerCoreSecond > 0 && (l.surge == nil || r.PerCoreSecond > l.surge.PerCoreSecond) {
			l.surge = r
		}
	}
	l.peer, _ = rp.bestPeerGen(scenario, gen, perCore, false)
	if l.surge != nil && l.peer != nil {
		l.ratio = l.surge.PerCoreSecond / l.peer.PerCoreSecond
	}
	return l
}

// gens returns the generators present in the run, wsbench first.
func (rp *reporter) gens() []string {
	seen := map[string]bool{}
	for i := range rp.run.Results {
		seen[rp.run.Results[i].Gen()] = true
	}
	var out []string
	for _, g := range []string{GenWSBench, GenRawload} {
		if seen[g] {
			out = append(out, g)
		}
	}
	return out
}

// leadVerdict is the lead column: a lead only where every generator of the
// run measured LeadRatio or more.
func leadVerdict(ls []lead) string {
	for _, l := range ls {
		if l.ratio == 0 {
			return "—"
		}
	}
	for _, l := range ls {
		if l.ratio < LeadRatio {
			return "no"
		}
	}
	return "**lead**"
}

// leadCount returns how many closed-loop scenarios show a lead by every
// generator, and how many were measured by every generator.
func (rp *reporter) leadCount() (won, shapes int) {
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		var ls []lead
		for _, g := range rp.gens() {
			ls = append(ls, rp.leadOf(sc.Name, g))
		}
		switch leadVerdict(ls) {
		case "**lead**":
			won++
			shapes++
		case "no":
			shapes++
		}
	}
	return won, shapes
}

// leads writes the table of the bar: per closed-loop scenario and
// generator, surge's best mode, the best peer, the ratio and the server
// CPU of each, and whether the generators agree on a lead.
func (rp *reporter) leads() {
	gens := rp.gens()
	rp.p("## Lead per shape, by both load generators")
	rp.p("")
	figure, medians, bracket := "messages per server core-second", "", "its server CPU in cores"
	if rp.rounds > 1 {
		figure = fmt.Sprintf("median messages per server core-second over %d rounds", rp.rounds)
		medians = "' medians"
		bracket = "the median round's server CPU in cores and the lowest–highest figure of its rounds"
	}
	rp.p("*surge best* is the higher of surge-inline's and surge-pool's %s, *best peer* the highest of the other libraries%s, *ratio* the one divided by the other, for each generator on its own (wsbench is built on surge; rawload, `bench/cmd/rawload`, shares no code with it). In brackets: the mode or library, %s; † marks a server below %.0f%% of its core, where the generator rather than the server was the limit. A shape counts as a **lead** only where every generator measured %.1f× or more.", figure, medians, bracket, SaturatedCores*100, LeadRatio)
	rp.p("")
	head, sep := genHead("shape", gens, func(g string) string {
		return fmt.Sprintf(" %s: surge best | best peer | ratio |", g)
	})
	rp.p("%s lead (≥ %.1f× by all) |", head, LeadRatio)
	rp.p("%s---|", sep)
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		line := "| " + scenarioTitle(sc) + " |"
		var ls []lead
		for _, g := range gens {
			l := rp.leadOf(sc.Name, g)
			ls = append(ls, l)
			if l.ratio == 0 {
				line += " — | — | — |"
				continue
			}
			line += fmt.Sprintf(" %s (%s, %s%s) | %s (%s, %s%s) | %.2f× |",
				human(l.surge.PerCoreSecond), shortLib(l.surge.Lib), coresStr(l.surge), rp.spreadCell(l.surge),
				human(l.peer.PerCoreSecond), l.peer.Lib, coresStr(l.peer), rp.spreadCell(l.peer), l.ratio)
		}
		rp.p("%s %s |", line, leadVerdict(ls))
	}
	rp.p("")
}

// tailRows writes the summary rows of the inline tail bar: surge-inline's
// p99.9 within twice surge-pool's at the large-message shape (one in
// flight), by each generator.
func (rp *reporter) tailRows() {
	var sc *Scenario
	for i, s := range rp.run.Scenarios {
		if s.Kind == KindEcho && s.Size >= 16<<10 && s.depth() == 1 && (sc == nil || s.Conns < sc.Conns) {
			sc = &rp.run.Scenarios[i]
		}
	}
	if sc == nil {
		return
	}
	for _, g := range rp.gens() {
		in, pool := rp.run.FindGen("surge-inline", sc.Name, g), rp.run.FindGen("surge-pool", sc.Name, g)
		if in == nil || pool == nil || in.Error != "" || pool.Error != "" || in.P999 <= 0 || pool.P999 <= 0 {
			continue
		}
		ratio := float64(in.P999) / float64(pool.P999)
		rp.p("| surge-inline p99.9 latency at %s, within 2× surge-pool's (%s) | %s vs %s: %.2f× | %s |",
			scenarioTitle(*sc), g, usStr(in.P999), usStr(pool.P999), ratio, yesNo(ratio <= 2))
	}
}

// bestPeerGen returns the peer with the highest (or lowest) value of f
// under scenario, by gen.
func (rp *reporter) bestPeerGen(scenario, gen string, f func(*Result) float64, lowest bool) (*Result, float64) {
	var best *Result
	var bv float64
	for i := range rp.run.Results {
		r := &rp.run.Results[i]
		if r.Scenario != scenario || r.Gen() != gen || servers.IsSurge(r.Lib) || isFloor(r.Lib) || r.Error != "" {
			continue
		}
		v := f(r)
		if v <= 0 {
			continue
		}
		if best == nil || (!lowest && v > bv) || (lowest && v < bv) {
			best, bv = r, v
		}
	}
	return best, bv
}

// spreadCell is r's spread over its rounds for a bracket of the lead table
// ("; rounds 250k–320k"), "" for a single round.
func (rp *reporter) spreadCell(r *Result) string {
	if s := rp.spreadOf(r); s != "" {
		return "; rounds " + s
	}
	return ""
}

// coresStr is a result's server CPU, marked † below SaturatedCores.
func coresStr(r *Result) string {
	if r.ServerCores < SaturatedCores {
		return fmt.Sprintf("%.2f †", r.ServerCores)
	}
	return fmt.Sprintf("%.2f", r.ServerCores)
}

// shortLib names a surge mode without the prefix.
func shortLib(lib string) string {
	if len(lib) > len("surge-") && lib[:len("surge-")] == "surge-" {
		return lib[len("surge-"):]
	}
	return lib
}

// roundRatios returns, for each round of scenario by gen in which both
// sides have a figure, surge's best mode in that round divided by the best
// peer in that round, in round order. The libraries of one round run back
// to back (schedule), so each ratio pairs figures taken minutes apart
// rather than the medians of rounds that ran up to an hour apart; nil
// without the rounds (rp.raw).
func (rp *reporter) roundRatios(scenario, gen string) []float64 {
	rs := rp.roundRatiosOf(scenario, gen, func(lib string) bool { return slices.Contains(leadModes, lib) })
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.ratio
	}
	return out
}

// pairedRound is one round's ratio (roundRatiosOf) and the server CPU, in
// cores, of the figure over the line: whether that server ran its core
// full or waited on its generator.
type pairedRound struct{ ratio, cores float64 }

// roundRatiosOf is roundRatios with the best of the libraries top picks
// (surge's lead modes, or the floor) over the best peer.
func (rp *reporter) roundRatiosOf(scenario, gen string, top func(lib string) bool) []pairedRound {
	if rp.raw == nil {
		return nil
	}
	best := make([]*Result, rp.rounds+1)
	peer := make([]float64, rp.rounds+1)
	for i := range rp.raw.Results {
		r := &rp.raw.Results[i]
		if r.Scenario != scenario || r.Gen() != gen || !measured(r) || r.Round < 1 || r.Round > rp.rounds {
			continue
		}
		switch {
		case top(r.Lib):
			if b := best[r.Round]; b == nil || r.PerCoreSecond > b.PerCoreSecond {
				best[r.Round] = r
			}
		case !servers.IsSurge(r.Lib) && !isFloor(r.Lib):
			peer[r.Round] = max(peer[r.Round], r.PerCoreSecond)
		}
	}
	var out []pairedRound
	for k := 1; k <= rp.rounds; k++ {
		if best[k] != nil && peer[k] > 0 {
			out = append(out, pairedRound{best[k].PerCoreSecond / peer[k], best[k].ServerCores})
		}
	}
	return out
}

// down2 formats a ratio rounded down to two decimals: a round at 1.2996
// must not read 1.30 beside a count that says it missed 1.3.
func down2(v float64) string { return fmt.Sprintf("%.2f", math.Floor(v*100+1e-9)/100) }

// paired writes the lead ratio round by round: per closed-loop shape and
// generator, surge's best mode over the best peer within each round, their
// median, and in how many rounds it reached LeadRatio. The lead table's
// ratio divides medians taken from different rounds; this one pairs
// figures measured back to back, so a reader can tell slow drift of the
// host (which pairing cancels) from noise within a round (which it does
// not). Nothing for a run of one round.
func (rp *reporter) paired() {
	if rp.rounds <= 1 {
		return
	}
	gens := rp.gens()
	rows := make([]string, 0, len(rp.run.Scenarios))
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		line := "| " + scenarioTitle(sc) + " |"
		have := false
		for _, g := range gens {
			rs := rp.roundRatios(sc.Name, g)
			if len(rs) == 0 {
				line += " — | — | — |"
				continue
			}
			have = true
			each := make([]string, len(rs))
			for i, v := range rs {
				each[i] = down2(v)
			}
			line += fmt.Sprintf(" %s | %s× | %d of %d |", strings.Join(each, ", "), down2(quantile(rs, 0.5)), atLeast(rs, LeadRatio), len(rs))
		}
		if have {
			rows = append(rows, line)
		}
	}
	if len(rows) == 0 {
		return
	}
	rp.p("### The lead ratio round by round")
	rp.p("")
	rp.p("The ratio above divides two medians, which may come from rounds that ran far apart. Here each round's ratio is surge's best mode in that round over the best peer in that round: the libraries of a round run back to back, so slow drift of the host hits both sides of each ratio alike. *median* is the median of those ratios, and the last column counts the rounds at %.1f× or more. Ratios are rounded down to two decimals, so that 1.30 means the bar was reached. Where the rounds' ratios still spread widely, the noise is faster than a round and pairing does not remove it. The verdict above stays on the medians, as the bar defines it.", LeadRatio)
	rp.p("")
	head, sep := genHead("shape", gens, func(g string) string {
		return fmt.Sprintf(" %s: ratio per round | median | ≥ %.1f× |", g, LeadRatio)
	})
	rp.table(head, sep, rows)
}
