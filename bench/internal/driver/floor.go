package driver

import (
	"fmt"
	"slices"
	"strings"
)

// FloorLib is the floor server the harness runs, bench/cmd/floorecho -io
// epoll-sock: per readable connection one recvfrom, an unmask and one
// sendto (the system calls surge's engine makes) on raw epoll, and no
// validation. It runs in the closed-loop echo scenarios as a reference for
// what the kernel's system calls cost, never as a peer: the best peer, the
// lead, the charts and the allocation table leave it out (issue
// "Performance: lead in every shape of load").
const FloorLib = "floor-epoll-sock"

// floorModes are floorecho's -io modes; lib "floor-MODE" runs one. Runs
// saved before epoll-sock existed have floor-epoll (read and write).
var floorModes = []string{"epoll", "epoll-sock", "uring", "uring-multishot"}

// isFloor reports whether lib is a floor server.
func isFloor(lib string) bool {
	mode, ok := strings.CutPrefix(lib, "floor-")
	return ok && slices.Contains(floorModes, mode)
}

// floorCalls says what the floor server lib does per read.
func floorCalls(lib string) string {
	switch lib {
	case "floor-epoll":
		return "one `read`, an unmask and one `write` on raw epoll"
	case "floor-epoll-sock":
		return "one `recvfrom`, an unmask and one `sendto` on raw epoll (the system calls surge's engine makes)"
	}
	return "an io_uring recv, an unmask and a send"
}

// floorLib returns the floor server of the run, "" when it has none.
func (rp *reporter) floorLib() string {
	for i := range rp.run.Results {
		if isFloor(rp.run.Results[i].Lib) {
			return rp.run.Results[i].Lib
		}
	}
	return ""
}

// floor writes the floor's table: per closed-loop shape and generator,
// its messages per server core-second, surge's best mode against it, and
// it against the best peer. Nothing when the run has no floor.
func (rp *reporter) floor() {
	lib := rp.floorLib()
	if lib == "" {
		return
	}
	gens := rp.gens()
	bracket := "its server CPU in cores"
	if rp.rounds > 1 {
		bracket = fmt.Sprintf("the median round's (of %d) server CPU in cores and the lowest–highest figure of its rounds; the ratios are of medians", rp.rounds)
	}
	rp.p("## The floor in this run")
	rp.p("")
	rp.p("*floor* is `%s` (`bench/cmd/floorecho -io %s`): a server that does nothing per message but %s. It validates nothing, so it is a reference, not a peer; no best peer, lead or chart counts it. *surge best / floor* is how close surge's best mode comes to that cost (1.00: surge costs what those system calls cost); *floor / best peer* is about how far any engine that reads and writes this way could lead. At 16 KiB surge can pass the floor, whose unmasking is not SIMD and which copies each answer. In brackets: %s; † marks a server below %.0f%% of its core.", lib, strings.TrimPrefix(lib, "floor-"), floorCalls(lib), bracket, SaturatedCores*100)
	rp.p("")
	head, sep := "| shape |", "|---|"
	for _, g := range gens {
		head += fmt.Sprintf(" %s: floor msg/core-s | surge best / floor | floor / best peer |", g)
		sep += "--:|--:|--:|"
	}
	rp.p("%s", head)
	rp.p("%s", sep)
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		line := "| " + scenarioTitle(sc) + " |"
		for _, g := range gens {
			f := rp.run.FindGen(lib, sc.Name, g)
			if f == nil || f.Error != "" || f.PerCoreSecond <= 0 {
				line += " — | — | — |"
				continue
			}
			l := rp.leadOf(sc.Name, g)
			surge, peer := "—", "—"
			if l.surge != nil {
				surge = fmt.Sprintf("%.2f (%s)", l.surge.PerCoreSecond/f.PerCoreSecond, shortLib(l.surge.Lib))
			}
			if l.peer != nil {
				peer = fmt.Sprintf("%.2f (%s)", f.PerCoreSecond/l.peer.PerCoreSecond, l.peer.Lib)
			}
			line += fmt.Sprintf(" %s (%s%s) | %s | %s |", thousands(f.PerCoreSecond), coresStr(f), rp.spreadCell(f), surge, peer)
		}
		rp.p("%s", line)
	}
	rp.p("")
}
