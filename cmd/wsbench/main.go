package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// Exit codes, documented in docs/wsbench.md.
const (
	exitOK     = 0
	exitFail   = 1 // the run could not be done (no connection, I/O error)
	exitUsage  = 2 // bad flags or arguments
	exitErrors = 3 // the run finished but counted errors
)

const usageText = `wsbench: load-test WebSocket servers (echo servers: surge or any other).

Usage:
  wsbench demo [flags]        load-test an in-process surge echo server (5 s)
  wsbench echo URL [flags]    echo load with verified payloads, throughput and latency
  wsbench idle URL [flags]    open and hold connections, then prove each is alive
  wsbench run FILE [flags]    run a scenario file (script, stages, fan-out, thresholds)
  wsbench agent [flags]       serve runs for a controller (wsbench run/echo --agents)
  wsbench help [command]      show the flags of a command

Every command takes the same flags; "wsbench help echo" lists them.
Examples:
  wsbench demo
  wsbench echo ws://127.0.0.1:8080/ --conns 1000 --size 1024 --duration 10s
  wsbench echo ws://127.0.0.1:8080/ --conns 100 --rate 50 --html report.html
  wsbench idle ws://127.0.0.1:8080/ --conns 19000 --server-pid 1234 --json
  wsbench run chat.yaml --threshold 'join.p99<50ms' --threshold 'errors==0'
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(mainArgs(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exitCode maps the error of a command to the process exit code.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errRunErrors):
		return exitErrors
	case errors.Is(err, errThresholds):
		return exitThresholds
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "wsbench:", err)
		return exitUsage
	}
	fmt.Fprintln(stderr, "wsbench:", err)
	return exitFail
}

// mainArgs runs the subcommand named by args[0].
func mainArgs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("%w: no command", errUsage)
	}
	switch cmd := args[0]; cmd {
	case "demo", "echo", "idle":
		return command(ctx, cmd, args[1:], stdout, stderr)
	case "worker":
		return workerMain(ctx, args[1:])
	case "run":
		return runCommand(ctx, args[1:], stdout, stderr)
	case "agent":
		return agentCommand(ctx, args[1:], stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && (args[1] == "run" || args[1] == "agent") {
			fs := newRunFlagSet(&runOptions{}, stdout)
			if args[1] == "agent" {
				fs = newAgentFlagSet(&agentOptions{}, stdout)
			}
			fmt.Fprintf(stdout, "Usage: wsbench %s%s [flags]\n\nFlags (-flag and --flag are the same):\n", args[1], map[bool]string{true: " FILE", false: ""}[args[1] == "run"])
			fs.PrintDefaults()
			return nil
		}
		if len(args) > 1 && (args[1] == "demo" || args[1] == "echo" || args[1] == "idle") {
			o := defaultOptions(args[1])
			fs := newFlagSet(args[1], &o, false, stdout)
			fmt.Fprintf(stdout, "Usage: wsbench %s%s [flags]\n\nFlags (-flag and --flag are the same):\n", args[1], map[bool]string{true: "", false: " URL"}[args[1] == "demo"])
			fs.PrintDefaults()
			return nil
		}
		fmt.Fprint(stdout, usageText)
		return nil
	default:
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

// command parses the flags of demo, echo or idle, runs it and reports.
func command(ctx context.Context, mode string, args []string, stdout, stderr io.Writer) error {
	o := defaultOptions(mode)
	fs := newFlagSet(mode, &o, false, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "duration" {
			o.durationSet = true
		}
	})
	switch {
	case mode == "demo" && len(pos) != 0:
		return fmt.Errorf("%w: demo takes no URL", errUsage)
	case mode != "demo" && len(pos) != 1:
		return fmt.Errorf("%w: %s needs exactly one ws:// or wss:// URL", errUsage, mode)
	case mode != "demo":
		o.url = pos[0]
	}
	if err := o.validate(); err != nil {
		return err
	}
	if o.token == "" {
		o.token = os.Getenv("WSBENCH_TOKEN")
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var res *Result
	if mode == "demo" {
		res, err = runDemo(ctx, &o, stderr)
	} else {
		res, err = run(ctx, &o)
	}
	if res == nil {
		return err
	}
	pass := true
	if len(o.thresholds) > 0 {
		pass = evaluateThresholds(o.thresholds, res)
		res.ThresholdsPass = &pass
	}
	if rerr := report(res, &o, stdout); rerr != nil {
		return rerr
	}
	if err != nil {
		return err
	}
	if !pass {
		return errThresholds
	}
	if res.ErrorTotal > 0 || res.Connections.Failed > 0 {
		return errRunErrors
	}
	return nil
}

// report prints the table or JSON and writes the HTML file if asked.
func report(res *Result, o *options, stdout io.Writer) error {
	return emitReport(stdout, res, o.jsonOut, o.htmlFile,
		func(path string) error { return writeHTMLFile(path, res, o) },
		func(w io.Writer) { writeTable(w, res, o) })
}

// emitReport writes the HTML report to htmlFile if set (with html), then
// the JSON (jsonOut) or the table (with table) to stdout: one order of
// outputs for every mode.
func emitReport(stdout io.Writer, res *Result, jsonOut bool, htmlFile string, html func(string) error, table func(io.Writer)) error {
	if htmlFile != "" {
		if err := html(htmlFile); err != nil {
			return err
		}
	}
	if jsonOut {
		return writeJSON(stdout, res)
	}
	table(stdout)
	if htmlFile != "" {
		fmt.Fprintf(stdout, "\n  HTML report: %s\n", htmlFile)
	}
	return nil
}
