package driver

import (
	"fmt"
	"math"
)

// coreFigure is one way of counting the server's whole CPU: share is the
// CPU's used fraction of the window, per the messages per used core-second.
type coreFigure struct {
	share, per func(*Result) float64
	method     string // how it was measured, for the report
}

var (
	// coreNotIdle is the exact count: the window less the CPU's idle,
	// iowait and steal time.
	coreNotIdle = coreFigure{
		share:  func(r *Result) float64 { return r.CoreNotIdle },
		per:    func(r *Result) float64 { return r.PerCoreNotIdleSecond },
		method: "rawload also reads the server's CPU in `/proc/stat` at both ends of its window, and counts the share of the wall time between the two reads that the CPU was neither idle, in iowait nor stolen by the hypervisor; the server is pinned to that CPU alone. With idle ticks off (`NO_HZ`, this host's kernel) the kernel counts idle and iowait time exactly, from the CPU's entries into and exits from idle, so the figure is exact to the 10 ms unit of `/proc/stat`. (Runs before 2026-12-05 summed the busy columns instead, which are sampled at each tick and good to a few percent.)",
	}
	// coreBusy sums the busy columns, sampled at each tick; runs saved
	// before rawload measured coreNotIdle have only this.
	coreBusy = coreFigure{
		share:  func(r *Result) float64 { return r.CoreBusy },
		per:    func(r *Result) float64 { return r.PerCoreBusySecond },
		method: "rawload also reads the busy time of the server's CPU over its window (user, nice, system, irq and softirq in its line of `/proc/stat`); the server is pinned to that CPU alone. The busy columns are sampled at each kernel tick while the process's CPU time is exact, so one run's whole-core figure is good to a few percent, and a negative share outside the process is that sampling error. (This run predates the exact count of idle time that later runs use.)",
	}
)

// wholeCore writes the lead by rawload counted against the server's whole
// CPU rather than the server process's own time: per closed-loop shape,
// surge's best mode and the best peer in messages per core-second of that
// CPU, their ratio beside the per-process one, and how much of the core
// went to work outside the process. It uses the exact count where the run
// has it, else the sampled one. Nothing when no result has either (a
// server not pinned to one CPU, or a run saved before rawload measured it).
func (rp *reporter) wholeCore() {
	var fig *coreFigure
	for i := range rp.run.Results {
		if rp.run.Results[i].PerCoreNotIdleSecond > 0 {
			fig = &coreNotIdle
			break
		}
		if rp.run.Results[i].PerCoreBusySecond > 0 {
			fig = &coreBusy
		}
	}
	if fig == nil {
		return
	}
	segs := false
	for i := range rp.run.Results {
		if rp.run.Results[i].TCPSegsPerEcho > 0 {
			segs = true
			break
		}
	}
	rp.p("## The whole server core (rawload)")
	rp.p("")
	rp.p("%s This counts what the per-process figure (the server's utime + stime) leaves out: softirq work that the kernel defers to `ksoftirqd` on that CPU, on loopback mostly the generator's TCP input raised by the server's sends, and anything else that ran there. A server under which more of that work is deferred looks cheaper by the per-process figure than it is. Each library's figures are of its median round by the per-process figure, as in the tables above; the best mode and the best peer are picked again by the whole-core figure. *Used* is the CPU's used share of the window, and *outside the process* is 1 − server CPU ÷ used core.", fig.method)
	if segs {
		rp.p("")
		rp.p("*TCP segments per echo* are the host's TCP segments sent over the same window (`OutSegs` in `/proc/net/snmp`) per echo, with the pure ACKs that delayed-ACK timers sent (`DelayedACKs` in `/proc/net/netstat`) in brackets. Both ends of the loopback count, so an echo with nothing in between is two segments. On loopback a segment's TCP input runs on the CPU that sent it, so every extra ACK costs the core of the side whose timer sent it and its peer's input there too. A server that leaves a message unread past the peer's delayed-ACK timeout (40 ms or more, as a saturated server with 10,000 connections does) pays for more of them.")
	}
	rp.p("")
	head, rule := "| shape | surge best, msg / core-s | best peer, msg / core-s | surge best / best peer, whole core | per process | floor / best peer, whole core | outside the process: surge / peer |", "|---|--:|--:|--:|--:|--:|--:|"
	if segs {
		head, rule = head+" TCP segments per echo: surge / peer |", rule+"--:|"
	}
	rp.p("%s", head)
	rp.p("%s", rule)
	won, shapes := 0, 0
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		var surge *Result
		for _, m := range leadModes {
			r := rp.run.FindGen(m, sc.Name, GenRawload)
			if r != nil && r.Error == "" && fig.per(r) > 0 && (surge == nil || fig.per(r) > fig.per(surge)) {
				surge = r
			}
		}
		peer, _ := rp.bestPeerGen(sc.Name, GenRawload, fig.per, false)
		if surge == nil || peer == nil {
			continue
		}
		shapes++
		ratio := fig.per(surge) / fig.per(peer)
		if ratio >= LeadRatio {
			won++
		}
		perProc := "—"
		if l := rp.leadOf(sc.Name, GenRawload); l.ratio > 0 {
			perProc = fmt.Sprintf("%.2f×", l.ratio)
		}
		floor := "—"
		if f := rp.run.FindGen(rp.floorLib(), sc.Name, GenRawload); f != nil && f.Error == "" && fig.per(f) > 0 {
			floor = fmt.Sprintf("%.2f×", fig.per(f)/fig.per(peer))
		}
		row := fmt.Sprintf("| %s | %s (%s, %.2f used) | %s (%s, %.2f used) | %.2f× | %s | %s | %s / %s |", scenarioTitle(sc),
			thousands(fig.per(surge)), shortLib(surge.Lib), fig.share(surge),
			thousands(fig.per(peer)), peer.Lib, fig.share(peer),
			ratio, perProc, floor, fig.outside(surge), fig.outside(peer))
		if segs {
			row += fmt.Sprintf(" %s / %s |", segments(surge), segments(peer))
		}
		rp.p("%s", row)
	}
	rp.p("")
	rp.p("By the whole core, surge's best mode was at %.1f× the best peer or more in %d of %d closed-loop shapes.", LeadRatio, won, shapes)
	rp.p("")
}

// outside is the share of r's used core that its process was not charged
// for, as a percentage; "—" without both figures.
func (f *coreFigure) outside(r *Result) string {
	used := f.share(r)
	if used <= 0 || r.ServerCores <= 0 {
		return "—"
	}
	// +0 turns a rounded -0 into 0.
	return fmt.Sprintf("%.0f%%", math.Round(100*(1-r.ServerCores/used))+0)
}

// segments is r's TCP segments per echo with its delayed ACKs in
// brackets; "—" when the run did not count them.
func segments(r *Result) string {
	if r.TCPSegsPerEcho <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f (%.2f)", r.TCPSegsPerEcho, r.TCPDelayedACKsPerEcho)
}
