package driver

import "fmt"

// FloorLib is the floor server, bench/cmd/floorecho -io epoll: one read,
// an unmask and one write per readable connection on raw epoll, and no
// validation. It runs in the closed-loop echo scenarios as a reference for
// what the kernel's read and write cost, never as a peer: the best peer,
// the lead, the charts and the allocation table leave it out (issue
// "Performance: lead in every shape of load").
const FloorLib = "floor-epoll"

// isFloor reports whether lib is the floor server.
func isFloor(lib string) bool { return lib == FloorLib }

// floor writes the floor's table: per closed-loop shape and generator,
// its messages per server core-second, surge's best mode against it, and
// it against the best peer. Nothing when the run has no floor.
func (rp *reporter) floor() {
	found := false
	for i := range rp.run.Results {
		if isFloor(rp.run.Results[i].Lib) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	gens := rp.gens()
	bracket := "its server CPU in cores"
	if rp.rounds > 1 {
		bracket = fmt.Sprintf("the median round's (of %d) server CPU in cores and the lowest–highest figure of its rounds; the ratios are of medians", rp.rounds)
	}
	rp.p("## The floor in this run")
	rp.p("")
	rp.p("*floor* is `%s` (`bench/cmd/floorecho -io epoll`): a server that does nothing per message but one `read`, an unmask and one `write` on raw epoll. It validates nothing, so it is a reference, not a peer; no best peer, lead or chart counts it. *surge best / floor* is how close surge's best mode comes to that cost (1.00: surge costs what those system calls cost); *floor / best peer* is about how far any engine that reads and writes this way could lead. At 16 KiB surge can pass the floor, whose unmasking is not SIMD and which copies each answer. In brackets: %s; † marks a server below %.0f%% of its core.", FloorLib, bracket, SaturatedCores*100)
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
			f := rp.run.FindGen(FloorLib, sc.Name, g)
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
