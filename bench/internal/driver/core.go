package driver

import (
	"fmt"
	"math"
)

func perCoreBusy(r *Result) float64 { return r.PerCoreBusySecond }

// wholeCore writes the lead by rawload counted against the server's whole
// CPU rather than the server process's own time: per closed-loop shape,
// surge's best mode and the best peer in messages per busy core-second,
// their ratio beside the per-process one, and how much of the core went to
// work outside the process. Nothing when no result has the figure (a
// server not pinned to one CPU, or a run saved before rawload measured it).
func (rp *reporter) wholeCore() {
	found := false
	for i := range rp.run.Results {
		if rp.run.Results[i].PerCoreBusySecond > 0 {
			found = true
			break
		}
	}
	if !found {
		return
	}
	rp.p("## The whole server core (rawload)")
	rp.p("")
	rp.p("rawload also reads the busy time of the server's CPU over its window (user, nice, system, irq and softirq in its line of `/proc/stat`); the server is pinned to that CPU alone. This counts what the per-process figure (the server's utime + stime) leaves out: softirq work that the kernel defers to `ksoftirqd` on that CPU, on loopback mostly the generator's TCP input raised by the server's sends, and anything else that ran there. A server under which more of that work is deferred looks cheaper by the per-process figure than it is. Each library's figures are of its median round by the per-process figure, as in the tables above; the best mode and the best peer are picked again by the whole-core figure. *Outside the process* is 1 − server CPU ÷ busy core. The busy columns of `/proc/stat` are sampled at each kernel tick while the process's CPU time is exact, so one run's whole-core figure is good to a few percent, and a negative share outside the process is that sampling error.")
	rp.p("")
	rp.p("| shape | surge best, msg / busy core-s | best peer, msg / busy core-s | surge best / best peer, whole core | per process | floor / best peer, whole core | outside the process: surge / peer |")
	rp.p("|---|--:|--:|--:|--:|--:|--:|")
	won, shapes := 0, 0
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		var surge *Result
		for _, m := range leadModes {
			r := rp.run.FindGen(m, sc.Name, GenRawload)
			if r != nil && r.Error == "" && r.PerCoreBusySecond > 0 && (surge == nil || r.PerCoreBusySecond > surge.PerCoreBusySecond) {
				surge = r
			}
		}
		peer, _ := rp.bestPeerGen(sc.Name, GenRawload, perCoreBusy, false)
		if surge == nil || peer == nil {
			continue
		}
		shapes++
		ratio := surge.PerCoreBusySecond / peer.PerCoreBusySecond
		if ratio >= LeadRatio {
			won++
		}
		perProc := "—"
		if l := rp.leadOf(sc.Name, GenRawload); l.ratio > 0 {
			perProc = fmt.Sprintf("%.2f×", l.ratio)
		}
		floor := "—"
		if f := rp.run.FindGen(rp.floorLib(), sc.Name, GenRawload); f != nil && f.Error == "" && f.PerCoreBusySecond > 0 {
			floor = fmt.Sprintf("%.2f×", f.PerCoreBusySecond/peer.PerCoreBusySecond)
		}
		rp.p("| %s | %s (%s, %.2f busy) | %s (%s, %.2f busy) | %.2f× | %s | %s | %s / %s |", scenarioTitle(sc),
			thousands(surge.PerCoreBusySecond), shortLib(surge.Lib), surge.CoreBusy,
			thousands(peer.PerCoreBusySecond), peer.Lib, peer.CoreBusy,
			ratio, perProc, floor, outside(surge), outside(peer))
	}
	rp.p("")
	rp.p("By the whole core, surge's best mode was at %.1f× the best peer or more in %d of %d closed-loop shapes.", LeadRatio, won, shapes)
	rp.p("")
}

// outside is the share of r's busy core that its process was not charged
// for, as a percentage; "—" without both figures.
func outside(r *Result) string {
	if r.CoreBusy <= 0 || r.ServerCores <= 0 {
		return "—"
	}
	// +0 turns a rounded -0 into 0.
	return fmt.Sprintf("%.0f%%", math.Round(100*(1-r.ServerCores/r.CoreBusy))+0)
}
