package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// fdReserve is the part of the open-files limit kept for everything but
// connections (listeners, pollers, /proc reads, the Go runtime).
const fdReserve = 500

// procsFor returns the number of processes for o: --procs if set, else as
// many as the open-files limit needs (Go raises the soft limit to the hard
// one at start-up, so that is what one process can hold).
func procsFor(o *options) (int, error) {
	if o.procs > 0 {
		if o.procs > o.conns {
			return o.conns, nil
		}
		return o.procs, nil
	}
	limit := openFilesLimit()
	if limit == 0 {
		return 1, nil
	}
	per := int64(limit) - fdReserve
	if per < 1 {
		per = 1
	}
	if int64(o.conns) <= per {
		return 1, nil
	}
	n := int((int64(o.conns) + per - 1) / per)
	if !o.quiet {
		fmt.Fprintf(os.Stderr, "wsbench: %d connections exceed the open-files limit %d: using %d worker processes\n", o.conns, limit, n)
	}
	return n, nil
}

// workerArgs are the arguments of worker i of n: the run's flags with a
// share of the connections.
func workerArgs(o *options, i, n int, sources int) []string {
	share := o.conns / n
	offset := i * share
	if i == n-1 {
		share = o.conns - offset
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	args := []string{"worker", o.mode, o.url,
		"--conns", strconv.Itoa(share),
		"--size", strconv.Itoa(o.size),
		"--duration", o.duration.String(),
		"--rate", f(o.rate),
		"--depth", strconv.Itoa(o.depth),
		"--messages", strconv.FormatInt(o.messages, 10),
		"--connect-rate", f(o.connectRate / float64(n)),
		"--text=" + strconv.FormatBool(o.text),
		"--sources", strconv.Itoa(sources),
		"--warmup", o.warmup.String(),
		"--loops", strconv.Itoa(o.loops),
		"--busy-poll", o.busyPoll.String(),
		"--timeout", o.timeout.String(),
		"--quiet",
		"--worker-offset", strconv.Itoa(offset),
		"--worker-total", strconv.Itoa(o.conns),
	}
	if o.durationSet {
		args = append(args, "--duration-set")
	}
	return args
}

// workerMsg is one line of a worker's stdout.
type workerMsg struct {
	Type  string `json:"type"`
	Name  string `json:"name,omitempty"`  // phase
	Error string `json:"error,omitempty"` // type "error": an agent refused or failed the run
	tick
}

type workerEvent struct {
	w   int
	msg workerMsg
	res []byte // a result line
	err error  // the worker's stdout ended (err may be nil)
	eof bool
}

// runProcs runs o over n worker processes (this executable with the hidden
// worker subcommand) and merges their per-second ticks and results.
func runProcs(ctx context.Context, o *options, n int, col *collector, server *sampler) ([]*workerResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	sources, err := sourcesFor(o.url, o.conns, o.sources)
	if err != nil {
		return nil, err
	}
	links := make([]workerLink, 0, n)
	for i := 0; i < n; i++ {
		cmd := exec.Command(exe, workerArgs(o, i, n, sources)...)
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			for _, l := range links {
				_ = l.in.Close()
				_ = l.wait()
			}
			return nil, fmt.Errorf("start worker: %w", err)
		}
		links = append(links, workerLink{name: fmt.Sprintf("worker %d", i), in: in, out: out, wait: cmd.Wait})
	}
	return decodeResults[workerResult](driveWorkers(ctx, links, col, server))
}

// workerLink is the two pipes of one worker process or agent connection:
// JSON lines come out, "go" and "stop" go in.
type workerLink struct {
	name string
	in   io.WriteCloser
	out  io.Reader
	wait func() error // after in is closed and out ended
}

// decodeResults decodes the result lines of workers.
func decodeResults[T any](raw [][]byte, err error) ([]*T, error) {
	if len(raw) == 0 {
		return nil, err
	}
	out := make([]*T, 0, len(raw))
	for _, b := range raw {
		v := new(T)
		if derr := json.Unmarshal(b, v); derr != nil {
			return nil, fmt.Errorf("worker result: %w", derr)
		}
		out = append(out, v)
	}
	return out, nil
}

// driveWorkers starts traffic on every link together once all have
// connected, merges their per-second ticks into col, and returns their
// result lines.
func driveWorkers(ctx context.Context, links []workerLink, col *collector, server *sampler) ([][]byte, error) {
	n := len(links)
	events := make(chan workerEvent, 64)
	for i, l := range links {
		go readWorker(i, l.out, events)
	}
	var once sync.Once
	stopAll := func() {
		once.Do(func() {
			for _, l := range links {
				_, _ = io.WriteString(l.in, "stop\n")
			}
		})
	}

	live := n
	ready := 0
	measuring := 0
	results := make([][]byte, 0, n)
	type agg struct {
		t    tick
		h    *hdr.Histogram
		seen int
	}
	pending := map[string]*agg{}
	keyOf := func(t tick) string { return fmt.Sprintf("%s/%09d", t.Group, t.K) }
	flush := func(all bool) {
		keys := make([]string, 0, len(pending))
		for k, a := range pending {
			if all || a.seen >= live {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys) // "connect/..." sorts before "traffic/..."
		for _, k := range keys {
			a := pending[k]
			col.add(a.t, a.h)
			delete(pending, k)
		}
	}
	var firstErr error
	done := ctx.Done()
	for live > 0 {
		var ev workerEvent
		select {
		case <-done:
			stopAll()
			done = nil
			continue
		case ev = <-events:
		}
		switch {
		case ev.eof:
			live--
			if ev.err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", links[ev.w].name, ev.err)
			}
			if ready < n && live < n {
				// A link that ended before connecting must not hold the
				// others at the barrier forever.
				stopAll()
			}
			flush(false)
		case ev.res != nil:
			results = append(results, ev.res)
		case ev.msg.Type == "error":
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %s", links[ev.w].name, ev.msg.Error)
			}
		case ev.msg.Type == "phase":
			switch ev.msg.Name {
			case "connected":
				ready++
				if ready == n {
					server.take("connected")
					for _, l := range links {
						_, _ = io.WriteString(l.in, "go\n")
					}
				}
			case "measure_start":
				if measuring == 0 {
					server.take("measure_start")
				}
				measuring++
			case "measure_end":
				measuring--
				if measuring == 0 {
					server.take("measure_end")
				}
			}
		case ev.msg.Type == "tick":
			t := ev.msg.tick
			a := pending[keyOf(t)]
			if a == nil {
				a = &agg{t: t, h: newHist()}
				a.t.Conns, a.t.Received, a.t.Errors = 0, 0, 0
				pending[keyOf(t)] = a
			}
			a.seen++
			a.t.Conns += t.Conns
			a.t.Received += t.Received
			a.t.Errors += t.Errors
			a.t.Elapsed = max(a.t.Elapsed, t.Elapsed)
			_ = mergeEncoded(a.h, t.Hist)
			flush(false)
		}
	}
	flush(true)
	for _, l := range links {
		_ = l.in.Close()
		if err := l.wait(); err != nil && firstErr == nil && len(results) < n {
			firstErr = fmt.Errorf("%s: %w", l.name, err)
		}
	}
	if len(results) == 0 {
		if firstErr == nil {
			firstErr = errNoConnections
		}
		return nil, firstErr
	}
	return results, firstErr
}

// readWorker forwards the JSON lines of one worker's stdout as events.
func readWorker(w int, r io.Reader, events chan<- workerEvent) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &kind); err != nil {
			continue // not ours: ignore stray output
		}
		if kind.Type == "result" {
			events <- workerEvent{w: w, res: bytes.Clone(sc.Bytes())}
			continue
		}
		var m workerMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		events <- workerEvent{w: w, msg: m}
	}
	events <- workerEvent{w: w, eof: true, err: sc.Err()}
}

// workerMain is the hidden "worker MODE URL flags" subcommand: it runs its
// share, reports JSON lines on stdout, starts traffic on "go" and stops on
// "stop" or end of input.
func workerMain(ctx context.Context, args []string) error {
	return workerServe(ctx, args, os.Stdin, os.Stdout)
}

// workerServe runs the share of an echo or idle run that args describe,
// reading "go" and "stop" from in and writing JSON lines to out: the worker
// process's stdin and stdout, or an agent's connection.
func workerServe(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	if len(args) < 1 {
		return fmt.Errorf("%w: worker needs a mode", errUsage)
	}
	mode := args[0]
	o := defaultOptions(mode)
	fs := newFlagSet("worker "+mode, &o, true, os.Stderr)
	fs.BoolVar(&o.durationSet, "duration-set", false, "--duration was given to the parent")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: worker needs one URL", errUsage)
	}
	o.url = pos[0]
	if err := o.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	write, hk := lineHooks(out, listenGo(in, cancel))
	res, err := runProcess(ctx, &o, o.conns, o.workerOffset, hk)
	if res != nil {
		res.Latency = encodeHist(res.latency)
		if res.lateness != nil {
			res.Lateness = encodeHist(res.lateness)
		}
		res.Handshake = encodeHist(res.handshake)
		write(res)
	}
	if err != nil && res == nil {
		return err
	}
	return nil
}

// lineHooks are the hooks of a process that reports to a controller as
// JSON lines on out (a worker's stdout, an agent's connection) and starts
// traffic when goCh says so; write prints one more line.
func lineHooks(out io.Writer, goCh <-chan bool) (write func(any), hk hooks) {
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	write = func(v any) {
		mu.Lock()
		_ = enc.Encode(v)
		mu.Unlock()
	}
	hk = hooks{
		tick: func(t tick) {
			t.Hist = encodeHist(t.h)
			write(t)
		},
		phase:  func(name string) { write(workerMsg{Type: "phase", Name: name}) },
		waitGo: waitFor(goCh),
	}
	return write, hk
}
