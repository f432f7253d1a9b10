package driver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/surgews/surge/bench/internal/servers"
)

// HeldShare is the share of a rate scenario's offered messages per second
// a server must echo to count as carrying that load: one that falls
// behind is saturated and measured at a load of its own.
const HeldShare = 0.95

// held reports whether r, a run of the rate scenario sc, echoed at least
// HeldShare of the offered rate.
func held(r *Result, sc Scenario) bool {
	return r.MessagesPerSec >= HeldShare*sc.Rate*float64(sc.Conns)
}

// sameLoadOf returns surge's best mode and the best peer of the rate
// scenario sc by gen, by messages per server core-second among the
// servers that held the rate, and the libraries that did not hold it.
func (rp *reporter) sameLoadOf(sc Scenario, gen string) (surge, peer *Result, fell []string) {
	for i := range rp.run.Results {
		r := &rp.run.Results[i]
		if r.Scenario != sc.Name || r.Gen() != gen || !measured(r) || isFloor(r.Lib) {
			continue // no figure: failed, or no server CPU read
		}
		if !held(r, sc) {
			fell = append(fell, r.Lib)
			continue
		}
		switch {
		case slices.Contains(leadModes, r.Lib):
			if surge == nil || r.PerCoreSecond > surge.PerCoreSecond {
				surge = r
			}
		case !servers.IsSurge(r.Lib):
			if peer == nil || r.PerCoreSecond > peer.PerCoreSecond {
				peer = r
			}
		}
	}
	return surge, peer, fell
}

// sameLoad writes the table that opens the fixed-rate section: per rate
// scenario and generator, surge's best mode against the best peer in
// messages per server core-second, every server carrying the same load.
// In closed loop the fastest servers often wait on the generator while
// the peers do not; here the load is the same for all, and the p99 beside
// each figure shows what the server's latency was at that cost.
func (rp *reporter) sameLoad() {
	gens := rp.gens()
	var rows []string
	var notes []string
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindRate {
			continue
		}
		line := fmt.Sprintf("| %s at %s/s |", scenarioTitle(sc), thousands(sc.Rate*float64(sc.Conns)))
		have := false
		for _, g := range gens {
			s, p, fell := rp.sameLoadOf(sc, g)
			if len(fell) > 0 {
				notes = append(notes, fmt.Sprintf("%s at %s/s, %s: %s", scenarioTitle(sc), thousands(sc.Rate*float64(sc.Conns)), g, strings.Join(fell, ", ")))
			}
			if s == nil || p == nil {
				line += " — | — | — |"
				continue
			}
			have = true
			line += fmt.Sprintf(" %s (%s, p99 %s) | %s (%s, p99 %s) | %.2f× |",
				thousands(s.PerCoreSecond), shortLib(s.Lib), usStr(s.P99),
				thousands(p.PerCoreSecond), p.Lib, usStr(p.P99), s.PerCoreSecond/p.PerCoreSecond)
		}
		if have {
			rows = append(rows, line)
		}
	}
	if len(rows) == 0 {
		return
	}
	rp.p("### Messages per server core-second at the same load")
	rp.p("")
	rp.p("Every server below carries the same offered load, so its CPU is what that load costs it (in closed loop the fastest servers often wait on the generator while the peers do not). *surge best* is the higher of surge-inline's and surge-pool's messages per server core-second, *best peer* the highest of the other libraries', each among the servers that echoed at least %.0f%% of the offered rate; the p99 latency beside each figure is what the server answered with at that cost.", HeldShare*100)
	rp.p("")
	head, sep := genHead("shape and offered rate", gens, func(g string) string {
		return fmt.Sprintf(" %s: surge best | best peer | ratio |", g)
	})
	rp.table(head, sep, rows)
	if len(notes) > 0 {
		rp.p("Below %.0f%% of the offered rate, and so not counted: %s.", HeldShare*100, strings.Join(notes, "; "))
		rp.p("")
	}
}
