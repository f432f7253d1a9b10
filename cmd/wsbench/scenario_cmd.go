package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// exitThresholds is the exit status of a run whose thresholds failed.
const exitThresholds = 4

// runOptions are the flags of "wsbench run FILE".
type runOptions struct {
	thresholds []threshold
	jsonOut    bool
	htmlFile   string
	quiet      bool
	loops      int
	agents     string // comma-separated host:port of agents
	token      string // shared secret for the agents
	duration   time.Duration
}

func newRunFlagSet(o *runOptions, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wsbench run", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Var(thresholdFlag{&o.thresholds}, "threshold", "pass/fail condition, repeatable: 'p99<5ms', 'rtt.p99<5ms', 'errors==0', 'rate>=10000' (exit status 4 if one fails)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as JSON instead of the table")
	fs.StringVar(&o.htmlFile, "html", "", "write a self-contained HTML report with charts to this file")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	fs.IntVar(&o.loops, "loops", 0, "client event loops (0 = GOMAXPROCS)")
	fs.StringVar(&o.agents, "agents", "", "run on these agents (host:port,host:port,...) instead of in this process; the connections are split between them")
	fs.StringVar(&o.token, "token", "", "shared secret of the agents (default $WSBENCH_TOKEN)")
	fs.DurationVar(&o.duration, "duration", 0, "override the scenario's duration")
	return fs
}

// runCommand is "wsbench run FILE [flags]".
func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o runOptions
	fs := newRunFlagSet(&o, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: run needs exactly one scenario file", errUsage)
	}
	if o.token == "" {
		o.token = os.Getenv("WSBENCH_TOKEN")
	}
	if o.loops < 0 || o.loops > maxLoops {
		return fmt.Errorf("%w: --loops must be in 0..%d", errUsage, maxLoops)
	}
	if o.agents != "" {
		if _, err := agentAddrs(o.agents); err != nil {
			return err
		}
	}
	sc, err := loadScenario(pos[0])
	if err != nil {
		return errors.Join(errUsage, err)
	}
	if o.duration > 0 {
		sc.Duration = o.duration
	}
	ths := append(append([]threshold(nil), sc.Thresholds...), o.thresholds...)
	start := time.Now()
	prog := newProgress(o.quiet, start)
	defer prog.clear()
	total := sc.Connections
	if sc.Fanout != nil {
		total = sc.Fanout.Subscribers + sc.Fanout.Publishers
	}
	for _, st := range sc.Stages {
		total = max(total, st.Target, st.Storm)
	}
	col := newCollector(start, total, prog)
	var parts []*scenPart
	var runErr error
	if o.agents != "" {
		parts, runErr = runScenarioOnAgents(ctx, sc, pos[0], splitList(o.agents), o.token, o.loops, col)
	} else {
		hk := hooks{
			tick:   func(t tick) { col.add(t, t.h) },
			phase:  func(string) {},
			waitGo: func(context.Context) bool { return true },
		}
		var part *scenPart
		part, runErr = runScenarioProcess(ctx, sc, scenShare{0, 1}, o.loops, hk)
		if part != nil {
			parts = append(parts, part)
		}
	}
	prog.clear()
	if len(parts) == 0 {
		return runErr
	}
	res, err := scenarioResult(sc, start, parts, col)
	if err != nil {
		return err
	}
	if o.agents != "" {
		res.Agents = len(parts)
	}
	if ctx.Err() != nil {
		res.Interrupted = true
	}
	if errors.Is(runErr, errNoConnections) && res.Connections.Opened > 0 {
		runErr = nil
	}
	pass := true
	if len(ths) > 0 {
		pass = evaluateThresholds(ths, res)
		res.ThresholdsPass = &pass
	}
	if err := reportScenario(res, sc, &o, stdout); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return runErr
	case !pass:
		return errThresholds
	case res.ErrorTotal > 0 || res.Connections.Failed > 0:
		return errRunErrors
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// reportScenario prints the table or JSON and writes the HTML report.
func reportScenario(res *Result, sc *scenario, o *runOptions, stdout io.Writer) error {
	return emitReport(stdout, res, o.jsonOut, o.htmlFile,
		func(path string) error { return writeScenarioHTMLFile(path, res, sc) },
		func(w io.Writer) { writeScenarioTable(w, res, sc) })
}

// describeScenario is the one-line summary of a scenario.
func describeScenario(sc *scenario) string {
	name := sc.Name
	if name == "" {
		name = sc.file
	}
	switch {
	case sc.Fanout != nil:
		f := sc.Fanout
		return fmt.Sprintf("%s: fan-out %d subscribers, %d publishers × %g msg/s, %d rooms", name, f.Subscribers, f.Publishers, f.Rate, f.Rooms)
	case len(sc.Stages) > 0:
		var ss []string
		for _, st := range sc.Stages {
			switch {
			case st.Storm > 0:
				ss = append(ss, fmt.Sprintf("storm %d %v", st.Storm, st.Duration))
			case st.Rate > 0:
				ss = append(ss, fmt.Sprintf("%g/s %v", st.Rate, st.Duration))
			default:
				ss = append(ss, fmt.Sprintf("→%d %v", st.Target, st.Duration))
			}
		}
		return name + ": stages " + strings.Join(ss, ", ")
	}
	return fmt.Sprintf("%s: %d connections", name, sc.Connections)
}

// writeScenarioTable writes the human summary of a scenario run.
func writeScenarioTable(w io.Writer, r *Result, sc *scenario) {
	status := ""
	if r.Interrupted {
		status = "  (interrupted)"
	}
	fmt.Fprintf(w, "wsbench %s %s%s\n  %s\n\n", r.Mode, r.URL, status, describeScenario(sc))
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	c := r.Connections
	add("Connections", fmt.Sprintf("%s/%s opened", groupDigits(c.Opened), groupDigits(c.Attempted)))
	if r.Agents > 0 {
		add("Agents", fmt.Sprintf("%d", r.Agents))
	}
	add("Handshake", latencyLine(c.Handshake))
	add("Messages", fmt.Sprintf("sent %s  received %s  matched %s  (%s msg/s received over %.2fs)", groupDigits(r.Messages.Sent),
		groupDigits(r.Messages.Received), groupDigits(r.Messages.Verified), groupDigits(int64(r.Throughput.MessagesPerSec)), r.Seconds))
	names := make([]string, 0, len(r.Metrics))
	for name := range r.Metrics {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		add(name, latencyLine(r.Metrics[name].Percentiles))
	}
	if f := r.Fanout; f != nil {
		add("Fan-out", fmt.Sprintf("published %s  deliveries %s/%s expected  %s/s  lost %s  duplicated %s",
			groupDigits(f.Published), groupDigits(f.Deliveries), groupDigits(f.Expected), groupDigits(int64(f.DeliveriesPerSec)),
			groupDigits(f.Lost), groupDigits(f.Duplicated)))
	}
	add("Errors", countsLine(r.Errors, "none"))
	add("Close codes", countsLine(r.CloseCodes, "none"))
	add("Client", fmt.Sprintf("CPU %.2f cores (%.2f cpu-s)  RSS peak %s", r.Client.CPUCores, r.Client.CPUSeconds, fmtBytes(r.Client.RSSPeak)))
	for _, row := range rows {
		fmt.Fprintf(w, "  %-12s %s\n", row[0], row[1])
	}
	if len(r.Stages) > 1 {
		fmt.Fprintf(w, "\n  Stages\n")
		for i := range r.Stages {
			st := &r.Stages[i]
			fmt.Fprintf(w, "  %-12s %5.1f-%5.1fs  %s\n", st.Name, st.Start, st.End, stageLine(st))
		}
	}
	writeThresholds(w, r)
}

// writeThresholds lists each threshold with its verdict.
func writeThresholds(w io.Writer, r *Result) {
	if len(r.Thresholds) == 0 {
		return
	}
	fmt.Fprintf(w, "\n  Thresholds\n")
	for _, t := range r.Thresholds {
		verdict := "pass"
		if !t.Pass {
			verdict = "FAIL"
		}
		val := numberFormat(t.Value)
		if t.Detail == "µs" {
			val = fmtMicros(int64(t.Value))
		} else if t.Detail != "" {
			val += " (" + t.Detail + ")"
		}
		fmt.Fprintf(w, "  %-4s %-24s %s\n", verdict, t.Threshold, val)
	}
}
