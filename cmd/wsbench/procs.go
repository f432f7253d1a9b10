package main

import (
	"bufio"
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
	Type string `json:"type"`
	Name string `json:"name,omitempty"` // phase
	tick
}

type workerEvent struct {
	w   int
	msg workerMsg
	res *workerResult
	err error // the worker's stdout ended (err may be nil)
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
	events := make(chan workerEvent, 64)
	stdins := make([]io.WriteCloser, n)
	cmds := make([]*exec.Cmd, n)
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
			return nil, fmt.Errorf("start worker: %w", err)
		}
		cmds[i], stdins[i] = cmd, in
		go readWorker(i, out, events)
	}
	var once sync.Once
	stopAll := func() {
		once.Do(func() {
			for _, in := range stdins {
				_, _ = io.WriteString(in, "stop\n")
			}
		})
	}

	live := n
	ready := 0
	measuring := 0
	results := make([]*workerResult, 0, n)
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
				firstErr = fmt.Errorf("worker %d: %w", ev.w, ev.err)
			}
			flush(false)
		case ev.res != nil:
			results = append(results, ev.res)
		case ev.msg.Type == "phase":
			switch ev.msg.Name {
			case "connected":
				ready++
				if ready == n {
					server.take("connected")
					for _, in := range stdins {
						_, _ = io.WriteString(in, "go\n")
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
	for i, c := range cmds {
		_ = stdins[i].Close()
		if err := c.Wait(); err != nil && firstErr == nil && len(results) < n {
			firstErr = fmt.Errorf("worker %d: %w", i, err)
		}
	}
	if len(results) == 0 {
		if firstErr == nil {
			firstErr = errNoConnections
		}
		return nil, firstErr
	}
	return results, nil
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
			res := new(workerResult)
			if err := json.Unmarshal(sc.Bytes(), res); err == nil {
				events <- workerEvent{w: w, res: res}
			}
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
	goCh := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		started := false
		for sc.Scan() {
			if sc.Text() == "go" && !started {
				started = true
				goCh <- true
				continue
			}
			if sc.Text() == "stop" {
				break
			}
		}
		if !started {
			goCh <- false
		}
		cancel()
	}()
	var mu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	write := func(v any) {
		mu.Lock()
		_ = enc.Encode(v)
		mu.Unlock()
	}
	hk := hooks{
		tick: func(t tick) {
			t.Hist = encodeHist(t.h)
			write(t)
		},
		phase: func(name string) { write(workerMsg{Type: "phase", Name: name}) },
		waitGo: func(ctx context.Context) bool {
			select {
			case ok := <-goCh:
				return ok
			case <-ctx.Done():
				return false
			}
		},
	}
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
