package driver

import (
	"fmt"
	"slices"
)

// DefaultRounds is how many times a full run measures each closed-loop echo
// scenario per library and generator. On a 2-core VM one server's figure
// moves by up to 4× between consecutive runs (surge-inline at 100 × 16 KiB
// measured 24.6k, 69.5k, 97.5k, 82.2k and 68.8k msg per core-second in five
// rounds), so one sample per library makes the lead table a coin toss;
// three rounds give a median that one bad run cannot move.
const DefaultRounds = 3

// smokeRounds is the smoke run's: two rounds exercise the round and median
// code without doubling the seconds CI spends.
const smokeRounds = 2

// rounds returns the rounds of each echo and rate scenario.
func (o Options) rounds() int {
	switch {
	case o.Rounds > 0:
		return o.Rounds
	case o.Smoke:
		return smokeRounds
	}
	return DefaultRounds
}

// roundsOf returns how many rounds sc runs: o.rounds() for the closed-loop
// echo and the open-loop rate scenarios, one for the idle scenarios (their
// figures are memory, where the per-core noise the rounds fight does not
// decide anything). The rate scenarios ran once until their messages per
// server core-second became the same-load comparison (sameLoad): one run's
// figure there moved by as much as an echo round's (bench/results: the
// harness's 05:55 run against floor.sh's rounds at the same rates).
func roundsOf(sc Scenario, o Options) int {
	if sc.Kind == KindIdle {
		return 1
	}
	return o.rounds()
}

// job is one run of the plan: lib under sc, driven by gen, in round Round
// (1-based) of Rounds.
type job struct {
	sc            Scenario
	lib, gen      string
	round, rounds int
}

// schedule returns the runs of scenarios in the order they run: for each
// scenario, for each round, for each library, for each generator. The
// libraries of one round run back to back, so drift on the machine hits
// them alike, and their order is reversed in even rounds, so that no
// library always runs first after a scenario's set-up.
func schedule(scenarios []Scenario, libs []string, o Options) []job {
	var out []job
	for _, sc := range scenarios {
		n := roundsOf(sc, o)
		for round := 1; round <= n; round++ {
			order := libs
			if round%2 == 0 {
				order = slices.Clone(libs)
				slices.Reverse(order)
			}
			for _, lib := range order {
				if isFloor(lib) && sc.Kind != KindEcho {
					continue // no statistics for idle, and no peer to rate
				}
				for _, gen := range generatorsOf(sc, o) {
					out = append(out, job{sc: sc, lib: lib, gen: gen, round: round, rounds: n})
				}
			}
		}
	}
	return out
}

// spread is how the rounds of one library, scenario and generator spread:
// the report shows it beside every median so that a reader sees the noise.
type spread struct {
	measured int     // rounds with a figure (no error, a server CPU read)
	total    int     // rounds run
	min, max float64 // messages per server core-second over the measured rounds
}

// String formats s as "min–max" over the measured rounds, with "k/n rounds"
// when some failed; "" for a single round, where there is no spread.
func (s spread) String() string {
	if s.total <= 1 || s.measured == 0 {
		return ""
	}
	out := human(s.min) + "–" + human(s.max)
	if s.measured < s.total {
		out += fmt.Sprintf(", %d/%d rounds", s.measured, s.total)
	}
	return out
}

// measured reports whether r carries a headline figure a median can rank.
func measured(r *Result) bool { return r.Error == "" && r.PerCoreSecond > 0 }

// medianOf returns the median round of rounds (all of one library, scenario
// and generator) by messages per server core-second, and their spread. The
// median is the middle measured round, the lower of the two middle ones
// for an even count, so that every figure shown beside it (msg/s, CPU and
// its † mark, latencies, allocations) comes from that one real run and
// msg/s ÷ CPU = msg/core-s still holds; rounds that failed or read no
// server CPU are left out. With no measured round it returns the first
// error-free round, else the first one.
func medianOf(rounds []Result) (Result, spread) {
	s := spread{total: len(rounds)}
	var ok []Result
	for i := range rounds {
		if measured(&rounds[i]) {
			ok = append(ok, rounds[i])
		}
	}
	if len(ok) == 0 {
		for _, r := range rounds {
			if r.Error == "" {
				return r, s
			}
		}
		return rounds[0], s
	}
	slices.SortStableFunc(ok, func(a, b Result) int {
		switch {
		case a.PerCoreSecond < b.PerCoreSecond:
			return -1
		case a.PerCoreSecond > b.PerCoreSecond:
			return 1
		}
		return 0
	})
	s.measured = len(ok)
	s.min, s.max = ok[0].PerCoreSecond, ok[len(ok)-1].PerCoreSecond
	return ok[(len(ok)-1)/2], s
}

// roundKey names the rounds of one library under one scenario by one
// generator.
type roundKey struct{ lib, scenario, gen string }

// medians returns run with every library, scenario and generator reduced
// to its median round (medianOf), in the order each first appears, and the
// spread of each: the view the report and Compare read. A run saved before
// rounds existed holds one result per key and comes back unchanged.
func (run *Run) medians() (*Run, map[roundKey]spread) {
	groups := map[roundKey][]Result{}
	var order []roundKey
	for _, r := range run.Results {
		k := roundKey{r.Lib, r.Scenario, r.Gen()}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	view := *run
	view.Results = make([]Result, 0, len(order))
	spreads := make(map[roundKey]spread, len(order))
	for _, k := range order {
		m, s := medianOf(groups[k])
		view.Results = append(view.Results, m)
		spreads[k] = s
	}
	return &view, spreads
}

// roundsRun returns the most rounds any result of run had (1 for a run
// saved before rounds existed).
func (run *Run) roundsRun() int {
	n := max(run.Settings.Rounds, 1)
	for i := range run.Results {
		n = max(n, run.Results[i].Round)
	}
	return n
}
