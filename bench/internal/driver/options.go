package driver

import (
	"fmt"
	"io"
	"time"
)

// Scenario kinds.
const (
	KindEcho = "echo" // closed loop, one message in flight per connection
	KindRate = "rate" // open loop, a fixed rate per connection
	KindIdle = "idle" // connections held without traffic; also the connect rate
)

// Options configure a benchmark run. The zero value is the full run; Quick
// shrinks every scenario to a smoke run of about two minutes.
type Options struct {
	// Duration is the measured time of each echo and rate run (after
	// Warmup) and how long idle connections are held. 0 means 5 s (1 s with
	// Quick).
	Duration time.Duration
	// Warmup is traffic before measuring. 0 means 3 s (300 ms with Quick):
	// long enough for every server's pools to reach the working set of
	// 10,000 connections × 16 KiB, so that allocations per message measure
	// the steady state rather than pool growth.
	Warmup time.Duration
	// Quick divides connection counts by ten and shortens the defaults.
	Quick bool
	// Libs are the servers to run, in report order; nil means all.
	Libs []string
	// Only keeps the scenarios whose name contains one of these strings;
	// nil means all.
	Only []string
	// Scenarios replaces the plan entirely (tests use it); nil means Plan.
	Scenarios []Scenario
	// Rate is the per-connection message rate of the rate scenario; 0 means
	// 5 messages per second.
	Rate float64
	// ServerCPU and ClientCPU are the taskset CPU lists; "" means "0" and
	// "1". Pinning is skipped (and the report says so) when taskset is
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
	Rate  float64 `json:"rate,omitempty"` // messages per second per connection
}

// Plan returns the scenarios of a run with o: echo at 1,000 and 10,000
// connections × 512 B, 1 KiB and 16 KiB; 10,000 connections at a fixed
// rate; 19,000 idle connections (whose connect phase is the connection
// rate measurement). Quick divides the connection counts by ten.
func Plan(o Options) []Scenario {
	if o.Scenarios != nil {
		return o.Scenarios
	}
	div := 1
	if o.Quick {
		div = 10
	}
	rate := o.Rate
	if rate == 0 {
		rate = 5
	}
	var out []Scenario
	for _, n := range []int{1000, 10000} {
		for _, size := range []int{512, 1024, 16 << 10} {
			out = append(out, Scenario{
				Name: fmt.Sprintf("echo-%s-%s", countName(n/div), sizeName(size)),
				Kind: KindEcho, Conns: n / div, Size: size,
			})
		}
	}
	out = append(out,
		Scenario{Name: fmt.Sprintf("rate-%s-1k-%g", countName(10000/div), rate), Kind: KindRate, Conns: 10000 / div, Size: 1024, Rate: rate},
		Scenario{Name: "idle-" + countName(19000/div), Kind: KindIdle, Conns: 19000 / div, Size: 64},
	)
	return out
}

func (o Options) duration() time.Duration {
	switch {
	case o.Duration > 0:
		return o.Duration
	case o.Quick:
		return time.Second
	}
	return 5 * time.Second
}

func (o Options) warmup() time.Duration {
	switch {
	case o.Warmup > 0:
		return o.Warmup
	case o.Quick:
		return 300 * time.Millisecond
	}
	return 3 * time.Second
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
