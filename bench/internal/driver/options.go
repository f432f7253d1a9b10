package driver

import (
	"fmt"
	"io"
	"time"
)

// Scenario kinds.
const (
	KindEcho = "echo" // closed loop, Depth messages in flight per connection
	KindRate = "rate" // open loop, a fixed rate per connection
	KindIdle = "idle" // connections held without traffic; also the connect rate
)

// Load generators: every echo and rate scenario runs with each (every round).
const (
	// GenWSBench is cmd/wsbench, built on surge's client.
	GenWSBench = "wsbench"
	// GenRawload is bench/cmd/rawload: raw epoll and a hand-written
	// handshake, no surge code.
	GenRawload = "rawload"
)

// Options configure a benchmark run. The zero value is the full run; Quick
// shrinks every scenario to a run of about ten minutes, Smoke to one of seconds.
type Options struct {
	// Duration is the measured time of each echo and rate run (after
	// Warmup) and how long idle connections are held. 0 means 3 s (1 s with
	// Quick, 200 ms with Smoke): every echo and rate scenario runs Rounds
	// times per generator, so the full run ((6 echo + 3 rate scenarios) × 3
	// rounds, 8 libraries, 2 generators, + 8 idle, + each floor server's
	// 6 × 3 × 2 echo runs, two floors where cc builds floor-c) takes about
	// 512 × (Warmup + Duration + 1–3 s of connecting and pauses), about 80
	// minutes (476 runs and some 75 minutes without cc), where 3 s of
	// /proc's 10 ms CPU ticks still resolve the server's CPU to 0.3%.
	Duration time.Duration
	// Warmup is traffic before measuring. 0 means 5 s (300 ms with Quick,
	// 100 ms with Smoke), so that allocations per message measure the
	// steady state rather than pool growth. 2 s was too short for surge's
	// goroutine mode at 100 connections × 16 KiB × 8 in flight: its pool
	// of copies for Incoming still met new peaks of messages in flight 3–5
	// s after the traffic began (one 16 KiB buffer each, none per message;
	// docs/benchmarks.md, "Allocation gate and warm-up").
	Warmup time.Duration
	// Rounds is how many times each closed-loop echo and each open-loop
	// rate scenario runs per library and generator; the report shows the
	// median round and the spread. 0 means DefaultRounds (2 with Smoke).
	// The idle scenarios run once.
	Rounds int
	// Quick divides connection counts by ten and shortens the defaults.
	Quick bool
	// Smoke divides connection counts by a hundred, measures 200 ms after
	// 100 ms of warmup, runs surge-inline and gorilla unless Libs says
	// otherwise, runs two rounds of each echo scenario, and skips the
	// masking benchmarks: every scenario and both generators in about half
	// a minute, to check the pipeline, not to measure.
	Smoke bool
	// Libs are the servers to run, in report order; nil means all of
	// servers.Names, FloorLib and, where a C compiler (cc) is on PATH,
	// FloorCLib (with Smoke, surge-inline and gorilla). Floor servers
	// ("floor-MODE" for a floorecho mode, and FloorCLib) run in the
	// closed-loop echo scenarios only. Naming FloorCLib without cc is an
	// error (ErrNoCC).
	Libs []string
	// Generators are the load generators of echo and rate scenarios, in
	// report order; nil means GenWSBench and GenRawload. Idle scenarios
	// always use wsbench.
	Generators []string
	// Only keeps the scenarios whose name contains one of these strings;
	// nil means all.
	Only []string
	// Scenarios replaces the plan entirely (tests use it); nil means Plan.
	Scenarios []Scenario
	// Rate is the per-connection message rate of the rate scenario at
	// 10,000 connections × 1 KiB; 0 means 5 messages per second. The other
	// rate scenarios keep theirs (sameLoadRates).
	Rate float64
	// ServerCPU and ClientCPU are the taskset CPU lists of the servers
	// and of the load generator; "" means "0" and "1". Pinning is skipped (and the report says so) when taskset is
	// missing or the machine has one CPU.
	ServerCPU, ClientCPU string
	// BenchDir is the bench module's directory (where go.mod is); "" means
	// the current directory. The main module is its parent.
	BenchDir string
	// BinDir receives the built binaries; "" means a temporary directory.
	BinDir string
	// ResultsDir receives <stamp>/results.json and the charts; "" means
	// BenchDir/results.
	ResultsDir string
	// Docs is the markdown file to (re)write; "" means BenchDir/../docs/benchmarks.md.
	// "-" writes none.
	Docs string
	// Profile adds a CPU profile of surge-inline under the 10,000 × 1 KiB
	// echo load, kept beside the results.
	Profile bool
	// Command is the command line recorded in the report.
	Command string
	// Log receives progress lines; nil means none.
	Log io.Writer
}

// Scenario is one load applied to every library.
type Scenario struct {
	Name  string  `json:"name"`
	Kind  string  `json:"kind"`
	Conns int     `json:"conns"`
	Size  int     `json:"size"`
	Depth int     `json:"depth,omitempty"` // echo: messages in flight per connection (0 means 1)
	Rate  float64 `json:"rate,omitempty"`  // messages per second per connection
}

// depth is the scenario's messages in flight per connection.
func (sc Scenario) depth() int { return max(sc.Depth, 1) }

// shapes are the closed-loop shapes of the performance issue: many small
// messages, many connections, large messages.
var shapes = []struct{ conns, size int }{{1000, 64}, {10000, 1024}, {100, 16 << 10}}

// sameLoadRates are the open-loop rates per connection of the shapes
// other than 10,000 × 1 KiB (whose rate is Options.Rate): 60,000 and 30,000
// messages per second offered at full size, below what every library but
// gobwas served at those shapes on the 2-vCPU host of 2026-12-05
// (bench/results/floor-20261205/rate-equal-load.txt; at 50,000/s and
// 16 KiB three peers could not keep up). In closed loop the fastest
// servers wait on the generator while the peers do not; at one rate every
// server carries the same load, and its CPU is what that load costs it.
var sameLoadRates = map[int]float64{64: 60, 16 << 10: 300}

// Plan returns the scenarios of a run with o: echo at 1,000 connections ×
// 64 B, 10,000 × 1 KiB and 100 × 16 KiB, each with one and with eight
// messages in flight per connection; each shape at a fixed rate (open
// loop): 10,000 × 1 KiB at o.Rate, the other two at sameLoadRates; 19,000
// idle connections (whose connect phase is the connection rate
// measurement). Quick divides the connection counts by ten, Smoke by a
// hundred.
func Plan(o Options) []Scenario {
	if o.Scenarios != nil {
		return o.Scenarios
	}
	div := 1
	switch {
	case o.Smoke:
		div = 100
	case o.Quick:
		div = 10
	}
	rate := o.Rate
	if rate == 0 {
		rate = 5
	}
	var out []Scenario
	for _, sh := range shapes {
		for _, depth := range []int{1, 8} {
			n := max(sh.conns/div, 1)
			out = append(out, Scenario{
				Name: fmt.Sprintf("echo-%s-%s-d%d", countName(n), sizeName(sh.size), depth),
				Kind: KindEcho, Conns: n, Size: sh.size, Depth: depth,
			})
		}
	}
	for _, sh := range shapes {
		r, ok := sameLoadRates[sh.size]
		if !ok {
			r = rate
		}
		n := max(sh.conns/div, 1)
		out = append(out, Scenario{Name: fmt.Sprintf("rate-%s-%s-%g", countName(n), sizeName(sh.size), r), Kind: KindRate, Conns: n, Size: sh.size, Rate: r})
	}
	out = append(out, Scenario{Name: "idle-" + countName(19000/div), Kind: KindIdle, Conns: 19000 / div, Size: 64})
	return out
}

func (o Options) duration() time.Duration {
	switch {
	case o.Duration > 0:
		return o.Duration
	case o.Smoke:
		return 200 * time.Millisecond
	case o.Quick:
		return time.Second
	}
	return 3 * time.Second
}

func (o Options) warmup() time.Duration {
	switch {
	case o.Warmup > 0:
		return o.Warmup
	case o.Smoke:
		return 100 * time.Millisecond
	case o.Quick:
		return 300 * time.Millisecond
	}
	return 5 * time.Second
}

func countName(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	if n >= 1000 && n%100 == 0 {
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	}
	return fmt.Sprint(n)
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dk", n/1024)
	}
	return fmt.Sprint(n)
}

// generators returns the load generators of the run, in report order.
func (o Options) generators() []string {
	if o.Generators != nil {
		return o.Generators
	}
	return []string{GenWSBench, GenRawload}
}
