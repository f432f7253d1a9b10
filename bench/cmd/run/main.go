// Command run builds every echo server, cmd/wsbench and bench/cmd/rawload,
// runs each benchmark scenario against each library with each load
// generator in one invocation, and writes the raw results to
// bench/results/<stamp>/ and the report to docs/benchmarks.md.
//
// From the bench directory:
//
//	go run ./cmd/run                 # the full run, 3 rounds, about 80 minutes
//	go run ./cmd/run -rounds 5       # 5 rounds of each echo scenario
//	go run ./cmd/run -quick -docs -  # about 10 minutes (3 rounds), no report
//	go run ./cmd/run -smoke -docs -  # the pipeline in seconds, no report
//	go run ./cmd/run -compare results/A/results.json results/B/results.json
//	go run ./cmd/run -pool results/*/results.json   # lead ratios of every round
//
// The server runs on CPU 0 with GOMAXPROCS=1 and the load generator
// (wsbench, then rawload with GOMAXPROCS=1) on CPU 1 (taskset); see package
// internal/driver for what is measured and how.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/surgews/surge/bench/internal/driver"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var o driver.Options
	fs.DurationVar(&o.Duration, "duration", 0, "measured time per echo/rate run and idle hold (0: 3s, -quick 1s, -smoke 200ms)")
	fs.DurationVar(&o.Warmup, "warmup", 0, "traffic before measuring (0: 5s, -quick 300ms, -smoke 100ms)")
	fs.IntVar(&o.Rounds, "rounds", 0, "rounds of each echo and rate scenario per library and generator; the report shows the median (0: 3, -smoke 2; idle runs once)")
	fs.BoolVar(&o.Quick, "quick", false, "quick run: connection counts ÷ 10, short durations (about 10 minutes with 3 rounds)")
	fs.BoolVar(&o.Smoke, "smoke", false, "smoke run of the pipeline: connection counts ÷ 100, surge-inline and gorilla, no masking benchmarks (seconds)")
	libs := fs.String("libs", "", "comma-separated libraries (default all: surge-inline,surge-pool,surge-goroutine,coder,gobwas,gorilla,gws,nbio, and the floor servers floor-epoll-sock and, where cc is on PATH, floor-c (bench/floorc in C), in the closed-loop echo scenarios as references (floor-MODE runs floorecho -io MODE); -smoke: surge-inline,gorilla)")
	gens := fs.String("generators", "", "comma-separated load generators of echo and rate scenarios (default both: wsbench,rawload)")
	only := fs.String("only", "", "comma-separated substrings of scenario names to run (e.g. echo-10k-1k,idle)")
	fs.Float64Var(&o.Rate, "rate", 0, "messages per second per connection in the rate scenario (0: 5)")
	fs.StringVar(&o.ServerCPU, "server-cpu", "0", "taskset CPU list of the servers")
	fs.StringVar(&o.ClientCPU, "client-cpu", "1", "taskset CPU list of the load generator")
	fs.StringVar(&o.ResultsDir, "results", "", "results directory (default results/)")
	fs.StringVar(&o.Docs, "docs", "", `report file (default ../docs/benchmarks.md; "-" for none)`)
	fs.BoolVar(&o.Profile, "profile", false, "also CPU-profile surge-inline under the 10,000 × 1 KiB load")
	render := fs.String("render", "", "only re-render the report from this results.json")
	compare := fs.Bool("compare", false, "compare two results.json files given as arguments: old new")
	pool := fs.Bool("pool", false, "pool the rounds of the results.json files given as arguments: the lead ratio of every round, per shape and generator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Rounds < 0 {
		return fmt.Errorf("-rounds %d: want 1 or more (0 for the default)", o.Rounds)
	}
	if *compare {
		if fs.NArg() != 2 {
			return errors.New("-compare needs two results.json paths: old new")
		}
		a, err := driver.Load(fs.Arg(0))
		if err != nil {
			return err
		}
		b, err := driver.Load(fs.Arg(1))
		if err != nil {
			return err
		}
		driver.Compare(os.Stdout, a, b)
		return nil
	}
	if *pool {
		if fs.NArg() == 0 {
			return errors.New("-pool needs one or more results.json paths")
		}
		var runs []*driver.Run
		for _, p := range fs.Args() {
			r, err := driver.Load(p)
			if err != nil {
				return err
			}
			runs = append(runs, r)
		}
		driver.Pooled(os.Stdout, runs)
		return nil
	}
	if *render != "" {
		r, err := driver.Load(*render)
		if err != nil {
			return err
		}
		docs := o.Docs
		if docs == "" {
			docs = "../docs/benchmarks.md"
		}
		return driver.Render(r, docs, dirOf(*render))
	}
	if *libs != "" {
		o.Libs = strings.Split(*libs, ",")
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	if *gens != "" {
		o.Generators = strings.Split(*gens, ",")
		for _, g := range o.Generators {
			if g != driver.GenWSBench && g != driver.GenRawload {
				return fmt.Errorf("unknown generator %q (have %s, %s)", g, driver.GenWSBench, driver.GenRawload)
			}
		}
	}
	o.Command = "go run ./cmd/run " + strings.Join(args, " ")
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err := driver.Execute(ctx, o)
	return err
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}
