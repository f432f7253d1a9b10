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

// FloorCLib is FloorLib's loop written in C, bench/floorc/floorc.c built
// with `cc -O2`: one recv, an unmask and one send on raw epoll, with no
// language runtime. The harness runs it beside FloorLib where a C compiler
// is on PATH (lookCC), so that the report can say what Go's runtime costs
// the floor; like FloorLib it is a reference, never a peer.
const FloorCLib = "floor-c"

// floorModes are floorecho's -io modes; lib "floor-MODE" runs one. Runs
// saved before epoll-sock existed have floor-epoll (read and write).
// FloorCLib is no floorecho mode and is not among them.
var floorModes = []string{"epoll", "epoll-sock", "uring", "uring-multishot"}

// isFloor reports whether lib is a floor server: a floorecho mode or
// FloorCLib.
func isFloor(lib string) bool {
	if lib == FloorCLib {
		return true
	}
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
	case FloorCLib:
		return "one `recv`, an unmask and one `send` on raw epoll, in C without a runtime"
	}
	return "an io_uring recv, an unmask and a send"
}

// floorSource names the program of the floor server lib, for the report.
func floorSource(lib string) string {
	if lib == FloorCLib {
		return "`bench/floorc/floorc.c`, built with `cc -O2`"
	}
	return "`bench/cmd/floorecho -io " + strings.TrimPrefix(lib, "floor-") + "`"
}

// floors returns every floor server of the run, in the order of their
// first results.
func (rp *reporter) floors() []string {
	var out []string
	for i := range rp.run.Results {
		if lib := rp.run.Results[i].Lib; isFloor(lib) && !slices.Contains(out, lib) {
			out = append(out, lib)
		}
	}
	return out
}

// floorLib returns the floor the floor and whole-core tables set surge and
// the best peer against, "" when the run has none: FloorLib, else
// floor-epoll (runs saved before epoll-sock), else the run's first other Go
// floor, and FloorCLib only in a run with no Go floor. Not simply the first
// floor of the results: even rounds reverse the order of the libraries, so
// floor-c can come first, and the question those tables ask is what
// surge's system calls cost from Go.
func (rp *reporter) floorLib() string {
	fs := rp.floors()
	for _, lib := range []string{FloorLib, "floor-epoll"} {
		if slices.Contains(fs, lib) {
			return lib
		}
	}
	for _, lib := range fs {
		if lib != FloorCLib {
			return lib
		}
	}
	if len(fs) > 0 {
		return fs[0]
	}
	return ""
}

// floor writes the floor's table: per closed-loop shape and generator,
// its messages per server core-second, surge's best mode against it, and
// it against the best peer; then a table for each other floor of the run
// (floor-c beside the Go floor), set against the floor and surge's best
// mode. Nothing when the run has no floor.
func (rp *reporter) floor() {
	lib := rp.floorLib()
	if lib == "" {
		return
	}
	var others []string
	for _, f := range rp.floors() {
		if f != lib {
			others = append(others, f)
		}
	}
	gens := rp.gens()
	bracket := "its server CPU in cores"
	if rp.rounds > 1 {
		bracket = fmt.Sprintf("the median round's (of %d) server CPU in cores and the lowest–highest figure of its rounds; the ratios are of medians", rp.rounds)
	}
	rp.p("## The floor in this run")
	rp.p("")
	rp.p("*floor* is `%s` (%s): a server that does nothing per message but %s. It validates nothing, so it is a reference, not a peer; no best peer, lead or chart counts it. *surge best / floor* is how close surge's best mode comes to that cost (1.00: surge costs what those system calls cost); *floor / best peer* is about how far any engine that reads and writes this way could lead. At 16 KiB surge can pass the floor, whose unmasking is not SIMD and which copies each answer.%s In brackets: %s; † marks a server below %.0f%% of its core.", lib, floorSource(lib), floorCalls(lib), otherFloorsText(others), bracket, SaturatedCores*100)
	rp.p("")
	head, sep := genHead("shape", gens, func(g string) string {
		return fmt.Sprintf(" %s: floor msg/core-s | surge best / floor | floor / best peer |", g)
	})
	rp.p("%s", head)
	rp.p("%s", sep)
	rp.floorRows(lib, gens, func(f *Result, sc Scenario, g string) (string, string) {
		l := rp.leadOf(sc.Name, g)
		surge, peer := "—", "—"
		if l.surge != nil {
			surge = fmt.Sprintf("%.2f (%s)", l.surge.PerCoreSecond/f.PerCoreSecond, shortLib(l.surge.Lib))
		}
		if l.peer != nil {
			peer = fmt.Sprintf("%.2f (%s)", f.PerCoreSecond/l.peer.PerCoreSecond, l.peer.Lib)
		}
		return surge, peer
	})
	rp.p("")
	for _, o := range others {
		rp.otherFloor(o, lib, gens)
	}
}

// otherFloorsText is the sentence of the floor section's paragraph that
// introduces the tables of the floors others (beside *floor*), "" for none.
func otherFloorsText(others []string) string {
	var s string
	for _, o := range others {
		if o == FloorCLib {
			// What the comparison is for: the same loop and system calls,
			// so the gap between the two floors is the language runtime's.
			s += fmt.Sprintf(" *%s* is the same loop in C (%s: %s), so in its table *%[1]s / floor* is what Go's runtime costs that loop (above 1.00: the C loop echoes more per core-second) and *surge best / %[1]s* is how close surge comes to a server with no runtime at all.", o, floorSource(o), floorCalls(o))
			continue
		}
		s += fmt.Sprintf(" *%s* (%s: %s) has a table of its own below, with *%[1]s / floor* and *surge best / %[1]s*.", o, floorSource(o), floorCalls(o))
	}
	return s
}

// otherFloor writes the table of a second floor server lib of the run:
// per closed-loop shape and generator its messages per server
// core-second, it over the floor base, and surge's best mode over it.
func (rp *reporter) otherFloor(lib, base string, gens []string) {
	head, sep := genHead("shape", gens, func(g string) string {
		return fmt.Sprintf(" %s: %s msg/core-s | %[2]s / floor | surge best / %[2]s |", g, lib)
	})
	rp.p("%s", head)
	rp.p("%s", sep)
	rp.floorRows(lib, gens, func(f *Result, sc Scenario, g string) (string, string) {
		over, surge := "—", "—"
		if b := rp.run.FindGen(base, sc.Name, g); b != nil && measured(b) {
			over = fmt.Sprintf("%.2f", f.PerCoreSecond/b.PerCoreSecond)
		}
		if l := rp.leadOf(sc.Name, g); l.surge != nil {
			surge = fmt.Sprintf("%.2f (%s)", l.surge.PerCoreSecond/f.PerCoreSecond, shortLib(l.surge.Lib))
		}
		return over, surge
	})
	rp.p("")
}

// floorRows writes a floor table's rows: per closed-loop shape, for each
// generator the floor lib's messages per server core-second (with its CPU
// and spread) and the two ratio cells ratios returns for it, or dashes
// where lib has no figure.
func (rp *reporter) floorRows(lib string, gens []string, ratios func(f *Result, sc Scenario, gen string) (string, string)) {
	for _, sc := range rp.run.Scenarios {
		if sc.Kind != KindEcho {
			continue
		}
		line := "| " + scenarioTitle(sc) + " |"
		for _, g := range gens {
			f := rp.run.FindGen(lib, sc.Name, g)
			if f == nil || !measured(f) {
				line += " — | — | — |"
				continue
			}
			a, b := ratios(f, sc, g)
			line += fmt.Sprintf(" %s (%s%s) | %s | %s |", thousands(f.PerCoreSecond), coresStr(f), rp.spreadCell(f), a, b)
		}
		rp.p("%s", line)
	}
}
