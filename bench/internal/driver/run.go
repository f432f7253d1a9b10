package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/surgews/surge/bench/internal/servers"
	"github.com/surgews/surge/bench/internal/stats"
)

// snapshotEvery is how often the server is asked for a snapshot during a
// run: often enough for a steady window in a one-second quick run, rarely
// enough that the (stop-the-world) ReadMemStats costs nothing measurable.
const snapshotEvery = 250 * time.Millisecond

// smokeSnapshotEvery is the smoke run's: its 200 ms window needs readings
// enough for a steady window (stats.Window wants three after the warmup).
const smokeSnapshotEvery = 50 * time.Millisecond

// Execute builds the binaries, runs every scenario of o against every
// library with every load generator, each closed-loop scenario in
// o.Rounds rounds (in the order of schedule: rounds inside a scenario,
// libraries inside a round, generators inner, so the peers of one round
// run minutes apart at most), saves the Run
// under ResultsDir/<stamp>/results.json with its charts, and writes the
// report to Docs. It returns the Run even when some results carry an Error.
func Execute(ctx context.Context, o Options) (*Run, error) {
	libs, err := o.libs()
	if err != nil {
		return nil, err
	}
	if o.BenchDir == "" {
		o.BenchDir = "."
	}
	benchDir, err := filepath.Abs(o.BenchDir)
	if err != nil {
		return nil, err
	}
	if o.BinDir == "" {
		d, err := os.MkdirTemp("", "surge-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		o.BinDir = d
	}
	if o.ResultsDir == "" {
		o.ResultsDir = filepath.Join(benchDir, "results")
	}
	if o.Docs == "" {
		o.Docs = filepath.Join(benchDir, "..", "docs", "benchmarks.md")
	}
	pinned := canPin()
	scpu, ccpu := "", ""
	if pinned {
		scpu, ccpu = or(o.ServerCPU, "0"), or(o.ClientCPU, "1")
	}
	if _, err := lookCC("cc"); err == nil {
		o.logf("building echoserver, floorecho, wsbench, rawload and floorc")
	} else {
		o.logf("building echoserver, floorecho, wsbench and rawload")
	}
	bins, err := build(benchDir, o.BinDir)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	stamp := start.UTC().Format("20060102-150405")
	switch {
	case o.Smoke:
		stamp += "-smoke"
	case o.Quick:
		stamp += "-quick"
	}
	outDir := filepath.Join(o.ResultsDir, stamp)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	run := &Run{
		Schema:  Schema,
		Started: start.UTC().Format(time.RFC3339),
		Host:    hostInfo(),
		Settings: Settings{
			Command: o.Command, Duration: o.duration().Seconds(), Warmup: o.warmup().Seconds(),
			Quick: o.Quick, Smoke: o.Smoke, Rounds: o.rounds(), Pinned: pinned, ServerCPU: scpu, ClientCPU: ccpu,
			Generators: o.generators(),
		},
	}
	for _, sc := range Plan(o) {
		if !selected(sc.Name, o.Only) {
			continue
		}
		run.Scenarios = append(run.Scenarios, sc)
	}
	jobs := schedule(run.Scenarios, libs, o)
	pause := 500 * time.Millisecond // let the kernel reap the last run's sockets
	if o.Smoke {
		pause = 100 * time.Millisecond // hundreds of sockets, not thousands
	}
	for k, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		r := runOne(ctx, bins, o, j.sc, j.lib, j.gen, scpu, ccpu, outDir, "")
		r.Round = j.round
		o.logf("[%d/%d] round %d/%d %s", k+1, len(jobs), j.round, j.rounds, r.summary())
		run.Results = append(run.Results, r)
		time.Sleep(pause)
	}
	if o.Profile && ctx.Err() == nil {
		run.Profile = profileSurge(ctx, bins, o, scpu, ccpu, outDir)
	}
	if ctx.Err() == nil && !o.Smoke {
		o.logf("masking micro-benchmarks")
		run.MaskBench = maskBench(ctx, benchDir, scpu, o.Quick)
	}
	run.Finished = time.Now().UTC().Format(time.RFC3339)
	if err := run.Save(filepath.Join(outDir, "results.json")); err != nil {
		return run, err
	}
	if o.Docs != "-" {
		if err := Render(run, o.Docs, outDir); err != nil {
			return run, err
		}
		o.logf("wrote %s and %s", o.Docs, outDir)
	}
	return run, ctx.Err()
}

// libs returns the servers of the run, in report order: o.Libs, or with
// Smoke surge-inline and gorilla, or else every library of servers.Names,
// FloorLib and, when lookCC finds a C compiler to build it, FloorCLib
// (logging that it is skipped when not). It returns an error wrapping
// servers.ErrUnknownLib for a name that is neither a library nor a floor,
// and one wrapping ErrNoCC when o.Libs names FloorCLib on a machine
// without cc, before anything is built or run.
func (o Options) libs() ([]string, error) {
	_, ccErr := lookCC("cc")
	libs := o.Libs
	switch {
	case libs != nil:
	case o.Smoke:
		libs = []string{"surge-inline", "gorilla"}
	default:
		libs = append(servers.Names(), FloorLib)
		if ccErr == nil {
			libs = append(libs, FloorCLib)
		} else {
			o.logf("skipping %s (bench/floorc, the floor in C): no C compiler (cc) on PATH", FloorCLib)
		}
	}
	for _, l := range libs {
		if !slices.Contains(servers.Names(), l) && !isFloor(l) {
			return nil, fmt.Errorf("%w: %q (have %v, floor-MODE for floorecho's modes %v, and %s, bench/floorc built with cc)", servers.ErrUnknownLib, l, servers.Names(), floorModes, FloorCLib)
		}
		if l == FloorCLib && ccErr != nil {
			return nil, fmt.Errorf("%w: %s was asked for (%v)", ErrNoCC, l, ccErr)
		}
	}
	return libs, nil
}

// generatorsOf returns the load generators that run sc: every generator of
// the run for echo and rate, wsbench alone for idle (rawload has no idle
// mode).
func generatorsOf(sc Scenario, o Options) []string {
	if sc.Kind == KindIdle {
		return []string{GenWSBench}
	}
	return o.generators()
}

// runOne runs lib under sc, driven by gen, on a fresh server process.
func runOne(ctx context.Context, bins binaries, o Options, sc Scenario, lib, gen, scpu, ccpu, outDir, profile string) Result {
	r := Result{Lib: lib, Scenario: sc.Name, Generator: gen, Kind: sc.Kind, Conns: sc.Conns, Size: sc.Size, Depth: sc.Depth}
	statsPath := filepath.Join(o.BinDir, lib+"-"+sc.Name+"-"+gen+".stats")
	p, err := startServer(bins, lib, scpu, statsPath, profile)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer p.stop()
	r.ServerCmd = p.line

	var base, full *stats.Snapshot
	if sc.Kind == KindIdle {
		s, err := stats.Request(p.pid, statsPath, true, 20*time.Second)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		base = &s
	}
	var args []string
	if gen == GenRawload {
		args = rawloadArgs(bins.rawload, o, sc, p.addr, p.pid)
	} else {
		args = []string{bins.wsbench, modeOf(sc), "ws://" + p.addr + "/",
			"--conns", strconv.Itoa(sc.Conns),
			"--size", strconv.Itoa(sc.Size),
			"--duration", o.duration().String(),
			"--server-pid", strconv.Itoa(p.pid),
			"--timeout", "30s",
			"--json", "--quiet",
		}
		if sc.Kind != KindIdle {
			args = append(args, "--warmup", o.warmup().String(), "--depth", strconv.Itoa(sc.depth()))
		}
		if sc.Kind == KindRate {
			args = append(args, "--rate", strconv.FormatFloat(sc.Rate, 'g', -1, 64))
		}
	}
	if ccpu != "" {
		args = append([]string{"taskset", "-c", ccpu}, args...)
	}
	r.ClientCmd = strings.Join(args, " ")

	wctx, cancel := context.WithTimeout(ctx, o.warmup()+o.duration()+3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(wctx, args[0], args[1:]...)
	if gen == GenRawload {
		// One epoll loop: like the server, one P (rawload.sh did the same).
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		r.ClientCmd = "GOMAXPROCS=1 " + r.ClientCmd
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		r.Error = err.Error()
		return r
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	every := snapshotEvery
	if o.Smoke {
		every = smokeSnapshotEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-tick.C:
			if isFloor(lib) {
				continue
			}
			_ = syscall.Kill(p.pid, syscall.SIGUSR1)
			if sc.Kind == KindIdle && full == nil {
				full = idleReading(p.pid, statsPath, int64(sc.Conns))
			}
		}
	}
	if !isFloor(lib) { // it writes no snapshots
		_, _ = stats.Request(p.pid, statsPath, false, 5*time.Second)
		r.Snapshots, _ = stats.ReadFile(statsPath)
	}

	if gen == GenRawload {
		// rawload prints its result and exits 0 even when echoes failed the
		// check (they are counted in it); any other exit has no result.
		var w rawloadResult
		if werr != nil {
			r.Error = fmt.Sprintf("%v: %v: %s", ErrRawload, werr, lastLines(stderr.String(), 5))
		} else if err := json.Unmarshal(stdout.Bytes(), &w); err != nil {
			r.Error = fmt.Sprintf("%v: bad JSON: %v: %s", ErrRawload, err, lastLines(stderr.String(), 5))
		} else {
			r.Rawload = json.RawMessage(bytes.TrimSpace(stdout.Bytes()))
			r.fillRawload(&w, sc, o.warmup().Seconds())
		}
		return r
	}

	// wsbench exits 3 when the run finished but counted errors: the result
	// is still on stdout and the errors are in it.
	var ee *exec.ExitError
	if werr != nil && !(errors.As(werr, &ee) && ee.ExitCode() == 3) {
		r.Error = fmt.Sprintf("%v: %v: %s", ErrWSBench, werr, lastLines(stderr.String(), 5))
		return r
	}
	var w wsbenchResult
	if err := json.Unmarshal(stdout.Bytes(), &w); err != nil {
		r.Error = fmt.Sprintf("%v: bad JSON: %v: %s", ErrWSBench, err, lastLines(stderr.String(), 5))
		return r
	}
	r.WSBench = json.RawMessage(bytes.TrimSpace(stdout.Bytes()))
	r.fill(&w, sc, base, full, o.warmup().Seconds())
	if sc.Kind == KindIdle && full == nil {
		r.Error = fmt.Sprintf("server never held all %d connections at once (opened %d)", sc.Conns, r.Opened)
	}
	return r
}

// idleReading returns a post-GC snapshot once the server holds want
// sessions, or nil while it does not yet.
func idleReading(pid int, path string, want int64) *stats.Snapshot {
	ss, err := stats.ReadFile(path)
	if err != nil || len(ss) == 0 || ss[len(ss)-1].Conns != want {
		return nil
	}
	s, err := stats.Request(pid, path, true, 10*time.Second)
	if err != nil || s.Conns != want {
		return nil
	}
	return &s
}

// profileSurge runs surge-inline under the 10,000 × 1 KiB echo load with a
// CPU profile and returns the top of `go tool pprof -top`.
func profileSurge(ctx context.Context, bins binaries, o Options, scpu, ccpu, outDir string) string {
	var sc Scenario
	for _, s := range Plan(Options{Quick: o.Quick, Rate: o.Rate}) {
		if s.Kind == KindEcho && s.Size == 1024 && s.depth() == 1 && s.Conns >= sc.Conns {
			sc = s
		}
	}
	prof := filepath.Join(outDir, "surge-inline.cpu.pprof")
	r := runOne(ctx, bins, o, sc, "surge-inline", GenWSBench, scpu, ccpu, outDir, prof)
	o.logf("[profile] %s", r.summary())
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=45", bins.echoserver, prof).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("pprof failed: %v\n%s", err, out)
	}
	txt := string(out)
	_ = os.WriteFile(filepath.Join(outDir, "surge-inline.cpu.txt"), out, 0o644)
	return txt
}

func modeOf(sc Scenario) string {
	if sc.Kind == KindIdle {
		return "idle"
	}
	return "echo"
}

func (r *Result) summary() string {
	s := fmt.Sprintf("%-16s %-18s %-8s", r.Lib, r.Scenario, r.Gen())
	if r.Error != "" {
		return s + " ERROR " + r.Error
	}
	if r.Kind == KindIdle {
		return s + fmt.Sprintf(" opened %d alive %d, %.0f upgrades/s, RSS %.0f B/conn, heap %.0f B/conn, stack %.0f B/conn, %.2f goroutines/conn",
			r.Opened, r.Alive, r.ConnectRate, r.RSSPerConn, r.HeapPerConn, r.StackPerConn, r.GoroutinesPerConn)
	}
	return s + fmt.Sprintf(" %9.0f msg/s, server %.2f cores, %9.0f msg/core-s, p50 %d µs p99 %d µs, %.3f allocs/msg, errors %d",
		r.MessagesPerSec, r.ServerCores, r.PerCoreSecond, r.P50, r.P99, r.AllocsPerMsg, r.ErrorTotal)
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

func selected(name string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, s := range only {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
