package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// options are the flags shared by every mode, spelled the same everywhere so
// scripts can drive any mode with one set of arguments.
type options struct {
	mode string // demo, echo or idle
	url  string

	conns         int
	cpuProfile    string // write a CPU profile of wsbench itself here
	size          int
	duration      time.Duration
	durationSet   bool // --duration given explicitly (matters with --messages)
	rate          float64
	depth         int
	messages      int64
	connectRate   float64
	text          bool
	procs         int
	sources       int
	serverPID     int
	serverMetrics string // the server's Prometheus endpoint, scraped before and after
	warmup        time.Duration
	loops         int
	busyPoll      busyPoll
	timeout       time.Duration
	jsonOut       bool
	htmlFile      string
	quiet         bool
	thresholds    []threshold
	agents        string // controller: split the run over these agents
	token         string // the agents' shared secret

	// Set only in worker processes (see procs.go).
	workerOffset int
	workerTotal  int
}

// maxLoops bounds --loops: each loop is a goroutine with a poller.
const maxLoops = 1024

// defaultOptions returns the defaults of mode; demo runs short by default so
// the README's first command finishes in seconds.
func defaultOptions(mode string) options {
	o := options{
		mode:     mode,
		conns:    100,
		size:     1024,
		duration: 10 * time.Second,
		depth:    1,
		warmup:   time.Second,
		timeout:  10 * time.Second,
	}
	if mode == "demo" {
		o.duration = 5 * time.Second
	}
	if mode == "idle" {
		o.warmup = 0
	}
	return o
}

// newFlagSet registers every shared flag of mode on a fresh FlagSet bound
// to o. worker adds the hidden flags of worker processes.
func newFlagSet(mode string, o *options, worker bool, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wsbench "+mode, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.conns, "conns", o.conns, "number of connections")
	fs.IntVar(&o.size, "size", o.size, "message size in bytes (at least 16: sequence number and timestamp)")
	fs.DurationVar(&o.duration, "duration", o.duration, "measured run time after warmup (idle: how long connections are held)")
	fs.Float64Var(&o.rate, "rate", o.rate, "open loop: messages per second per connection (0 = closed loop, see --depth)")
	fs.IntVar(&o.depth, "depth", o.depth, "closed loop: messages in flight per connection")
	fs.Int64Var(&o.messages, "messages", o.messages, "messages per connection, then stop (0 = until --duration ends)")
	fs.Float64Var(&o.connectRate, "connect-rate", o.connectRate, "new connections per second (0 = as fast as the server accepts)")
	fs.BoolVar(&o.text, "text", o.text, "send text frames (ASCII payloads) instead of binary frames")
	fs.IntVar(&o.procs, "procs", o.procs, "worker processes to spread connections over (0 = 1, more when --conns exceeds the open-files limit)")
	fs.IntVar(&o.sources, "sources", o.sources, "number of source addresses 127.0.0.1..127.0.0.N for loopback targets (0 = one per 10000 connections)")
	fs.IntVar(&o.serverPID, "server-pid", o.serverPID, "sample this process's CPU and RSS during the run (Linux /proc)")
	fs.StringVar(&o.serverMetrics, "server-metrics", o.serverMetrics, "scrape this Prometheus endpoint of the server (surge's metrics package) before and after the run and print its counts next to wsbench's")
	fs.DurationVar(&o.warmup, "warmup", o.warmup, "traffic before measuring starts; not counted in throughput or latency")
	fs.IntVar(&o.loops, "loops", o.loops, "client event loops (0 = GOMAXPROCS)")
	fs.Var(&o.busyPoll, "busy-poll", "how long client loops keep polling after their last event before they park (auto: in open loop with wsbench pinned to as many CPUs as its loops, 1-20ms spanning two sends of a sender; else 0)")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "handshake timeout per connection, and the bound of the final drain and liveness check")
	fs.BoolVar(&o.jsonOut, "json", o.jsonOut, "print the result as JSON (schema: docs/wsbench.md) instead of the table")
	fs.StringVar(&o.htmlFile, "html", o.htmlFile, "write a self-contained HTML report with charts to this file")
	fs.BoolVar(&o.quiet, "quiet", o.quiet, "no progress line")
	fs.StringVar(&o.cpuProfile, "cpuprofile", o.cpuProfile, "write a CPU profile of wsbench itself to this file (go tool pprof)")
	if !worker {
		fs.Var(thresholdFlag{&o.thresholds}, "threshold", "pass/fail condition, repeatable: 'p99<5ms', 'errors==0', 'rate>=10000' (exit status 4 if one fails)")
		fs.StringVar(&o.agents, "agents", o.agents, "run on these agents (host:port,...) instead of local processes; the connections are split between them")
		fs.StringVar(&o.token, "token", o.token, "shared secret of the agents (default $WSBENCH_TOKEN)")
	}
	if worker {
		fs.IntVar(&o.workerOffset, "worker-offset", 0, "first connection index of this worker")
		fs.IntVar(&o.workerTotal, "worker-total", 0, "connections of the whole run")
	}
	return fs
}

// parseArgs parses flags and positional arguments in any order ("echo URL
// --conns 10" and "echo --conns 10 URL"): the flag package stops at the first
// positional argument, so parsing resumes after each one.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return pos, nil
}

// validate checks o and fills derived defaults.
func (o *options) validate() error {
	var errs []string
	if o.conns < 1 {
		errs = append(errs, "--conns must be at least 1")
	}
	if o.size < headerLen {
		errs = append(errs, fmt.Sprintf("--size must be at least %d (sequence number and timestamp)", headerLen))
	}
	if o.size > 64<<20 {
		errs = append(errs, "--size must be at most 64 MiB")
	}
	if o.depth < 1 {
		errs = append(errs, "--depth must be at least 1")
	}
	if o.rate < 0 || o.connectRate < 0 {
		errs = append(errs, "--rate and --connect-rate must not be negative")
	}
	if o.duration < 0 || o.warmup < 0 || o.timeout <= 0 {
		errs = append(errs, "--duration and --warmup must not be negative, --timeout must be positive")
	}
	if o.messages < 0 {
		errs = append(errs, "--messages must not be negative")
	}
	if o.procs < 0 || o.sources < 0 || o.loops < 0 {
		errs = append(errs, "--procs, --sources and --loops must not be negative")
	}
	if o.loops > maxLoops {
		errs = append(errs, fmt.Sprintf("--loops must be at most %d", maxLoops))
	}
	if o.sources > 254 {
		errs = append(errs, "--sources must be at most 254")
	}
	if o.busyPoll.set && o.busyPoll.d < 0 {
		errs = append(errs, "--busy-poll must not be negative")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", errUsage, strings.Join(errs, "; "))
	}
	return nil
}

// resolveBusyPoll settles --busy-poll auto for a run of procs processes:
// autoBusyPoll in open loop when every polling loop has a CPU to itself,
// that is when wsbench is pinned to some of the CPUs and its processes'
// loops do not outnumber them; otherwise 0. Workers get the settled value.
func (o *options) resolveBusyPoll(procs int) {
	if o.busyPoll.set {
		return
	}
	o.busyPoll.set = true
	cpus := pinnedCPUs()
	loops := o.loops
	if loops == 0 {
		loops = runtime.GOMAXPROCS(0)
	}
	if o.rate > 0 && o.mode != "idle" && cpus > 0 && procs*loops <= cpus {
		o.busyPoll.d = autoBusyPoll(o.conns, o.rate)
	}
}

// pinnedCPUs is the number of CPUs wsbench may run on when that is fewer
// than are online (it was pinned with taskset), else 0; a variable so that
// tests can choose.
var pinnedCPUs = cpusPinned

// autoBusyPoll is the open loop's default --busy-poll when wsbench is pinned
// to some of the CPUs (taskset), the sign that it has cores of its own, one
// per polling loop (resolveBusyPoll): long
// enough to span two wake-ups of a sender, so the client loops keep polling
// while messages flow, within 1–20 ms. Parked, the process sleeps in the Go
// runtime's poller, whose millisecond timeouts made the paced senders
// 0.1–1 ms late (more so the faster the server answered, as the process
// idled sooner): at 10,000 connections × 5/s, pinned, the median latency
// measured for one server went from 207 µs to 34 µs with it. Unpinned, a
// polling client takes CPU from a server on the same cores: at 200 × 20/s on
// two shared cores the p90 went from 146 µs to 1.69 ms, so it stays off.
func autoBusyPoll(conns int, rate float64) time.Duration {
	gap := time.Duration(float64(time.Second) * float64(senderGroups(conns)) / (float64(conns) * rate))
	return min(max(2*gap, time.Millisecond), 20*time.Millisecond)
}

// busyPoll is the --busy-poll flag: a duration, or "auto" until set.
type busyPoll struct {
	d   time.Duration
	set bool
}

func (b *busyPoll) String() string {
	if !b.set {
		return "auto"
	}
	return b.d.String()
}

func (b *busyPoll) Set(s string) error {
	if s == "auto" {
		*b = busyPoll{}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*b = busyPoll{d: d, set: true}
	return nil
}

// describe is the one-line summary of the configuration for reports.
func (o *options) describe() string {
	kind := "binary"
	if o.text {
		kind = "text"
	}
	load := fmt.Sprintf("closed loop depth %d", o.depth)
	if o.rate > 0 {
		load = fmt.Sprintf("open loop %g msg/s per conn", o.rate)
	}
	if o.mode == "idle" {
		return fmt.Sprintf("%d conns held %v", o.conns, o.duration)
	}
	run := o.duration.String()
	if o.messages > 0 {
		run = fmt.Sprintf("%d msgs/conn", o.messages)
	}
	d := fmt.Sprintf("%d conns, %d B %s, %s, %s, warmup %v", o.conns, o.size, kind, load, run, o.warmup)
	if o.busyPoll.d > 0 {
		d += fmt.Sprintf(", client busy-poll %v", o.busyPoll.d)
	}
	return d
}
