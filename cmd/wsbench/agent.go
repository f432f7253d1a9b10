package main

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// wsbench agent runs on each load machine and serves one run at a time for
// a controller ("wsbench run FILE --agents a:7070,b:7070" or "wsbench echo
// URL --agents ..."). The protocol is JSON lines over TCP: the controller
// sends one job line (token, the worker arguments or the scenario text with
// the files and environment values it uses), then "go" or "stop"; the agent
// answers with the worker lines (ticks, phases, result) of procs.go. The
// agent runs nothing but wsbench runs, and reads no local file a job names:
// the controller sends them. It still makes connections to any URL a
// controller asks for, so it listens on loopback unless told otherwise and
// refuses to listen elsewhere without a token.

// defaultAgentAddr is where an agent listens by default.
const defaultAgentAddr = "127.0.0.1:7070"

// maxJobLine bounds the job line (a scenario is at most 4 MiB, and the
// files it uses at most 64 MiB each).
const maxJobLine = 256 << 20

// agentJob is the first line a controller sends.
type agentJob struct {
	Token    string            `json:"token"`
	Kind     string            `json:"kind"` // "worker" (echo, idle) or "scenario"
	Args     []string          `json:"args,omitempty"`
	Scenario string            `json:"scenario,omitempty"` // the YAML text
	File     string            `json:"file,omitempty"`     // its name, for messages
	Files    map[string]string `json:"files,omitempty"`    // files the scenario reads
	Env      map[string]string `json:"env,omitempty"`      // {{env NAME}} values
	Index    int               `json:"index"`
	Count    int               `json:"count"`
	Loops    int               `json:"loops"`
}

// agentOptions are the flags of "wsbench agent".
type agentOptions struct {
	listen  string
	token   string
	noToken bool
}

func newAgentFlagSet(o *agentOptions, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wsbench agent", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.listen, "listen", defaultAgentAddr, "TCP address to serve controllers on; keep it private (loopback, a VPN, or a firewall)")
	fs.StringVar(&o.token, "token", "", "shared secret a controller must send (default $WSBENCH_TOKEN); required unless --listen is loopback")
	fs.BoolVar(&o.noToken, "no-token", false, "allow a non-loopback --listen without a token (anyone who reaches the port can send load anywhere)")
	return fs
}

// agentCommand is "wsbench agent [flags]": it serves until ctx ends.
func agentCommand(ctx context.Context, args []string, stderr io.Writer) error {
	var o agentOptions
	fs := newAgentFlagSet(&o, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: agent takes no arguments", errUsage)
	}
	if o.token == "" {
		o.token = os.Getenv("WSBENCH_TOKEN")
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fmt.Errorf("%w: --listen: %v", errUsage, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && o.token == "" && !o.noToken {
		return fmt.Errorf("%w: --listen %s is not loopback: set --token (or $WSBENCH_TOKEN), or --no-token", errUsage, o.listen)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wsbench agent: listening on %s\n", ln.Addr())
	a := &agent{token: o.token, log: stderr}
	return a.serve(ctx, ln)
}

// agent serves controllers, one run at a time.
type agent struct {
	token string
	log   io.Writer
	busy  atomic.Bool
	runs  atomic.Int64 // runs served, for tests
}

// serve accepts controllers on ln until ctx ends.
func (a *agent) serve(ctx context.Context, ln net.Listener) error {
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			if err := a.handle(ctx, c); err != nil && a.log != nil {
				fmt.Fprintf(a.log, "wsbench agent: %s: %v\n", c.RemoteAddr(), err)
			}
		}()
	}
}

// handle reads one job from c and runs it.
func (a *agent) handle(ctx context.Context, c net.Conn) error {
	br := bufio.NewReaderSize(c, 64<<10)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := readLine(br, maxJobLine)
	if err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Time{})
	refuse := func(err error) error {
		b, _ := json.Marshal(workerMsg{Type: "error", Error: err.Error()})
		_, _ = c.Write(append(b, '\n'))
		return err
	}
	var job agentJob
	if err := json.Unmarshal(line, &job); err != nil {
		return refuse(fmt.Errorf("agent: bad job: %w", err))
	}
	if a.token != "" && subtle.ConstantTimeCompare([]byte(job.Token), []byte(a.token)) != 1 {
		return refuse(errAgentToken)
	}
	if !a.busy.CompareAndSwap(false, true) {
		return refuse(errAgentBusy)
	}
	defer a.busy.Store(false)
	a.runs.Add(1)
	switch job.Kind {
	case "worker":
		if len(job.Args) == 0 || (job.Args[0] != "echo" && job.Args[0] != "idle") {
			return refuse(errors.New("agent: a worker job runs echo or idle"))
		}
		return workerServe(ctx, job.Args, br, c)
	case "scenario":
		return scenarioServe(ctx, &job, br, c)
	}
	return refuse(fmt.Errorf("agent: unknown job kind %q", job.Kind))
}

// readLine reads one line of at most limit bytes.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > limit {
			return nil, fmt.Errorf("agent: job line longer than %d bytes", limit)
		}
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// scenarioServe runs a scenario job's share, reading "go"/"stop" from in and
// writing worker lines to out.
func scenarioServe(ctx context.Context, job *agentJob, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	write, hk := lineHooks(out, listenGo(in, cancel))
	env := &templateEnv{getenv: func(k string) (string, bool) { v, ok := job.Env[k]; return v, ok },
		files: map[string]*lineFile{}, inline: job.Files}
	if env.inline == nil {
		env.inline = map[string]string{}
	}
	sc, err := parseScenario(job.File, []byte(job.Scenario), env)
	if err != nil {
		write(workerMsg{Type: "error", Error: err.Error()})
		return err
	}
	if job.Count < 1 || job.Index < 0 || job.Index >= job.Count || job.Loops < 0 || job.Loops > maxLoops {
		err := fmt.Errorf("agent: bad share %d of %d or loops %d", job.Index, job.Count, job.Loops)
		write(workerMsg{Type: "error", Error: err.Error()})
		return err
	}
	part, err := runScenarioProcess(ctx, sc, scenShare{job.Index, job.Count}, job.Loops, hk)
	if part != nil {
		write(part)
		return nil
	}
	return err
}

// listenGo reads "go" and "stop" lines from in: the returned channel gets
// true on "go", false if input ended (or "stop" came) first; cancel is
// called when input ends or on "stop".
func listenGo(in io.Reader, cancel func()) <-chan bool {
	goCh := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(in)
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
	return goCh
}

func waitFor(goCh <-chan bool) func(context.Context) bool {
	return func(ctx context.Context) bool {
		select {
		case ok := <-goCh:
			return ok
		case <-ctx.Done():
			return false
		}
	}
}

// dialAgents connects to every agent and sends each its job; job(i) makes
// the job of agent i.
func dialAgents(ctx context.Context, addrs []string, job func(i int) agentJob) ([]workerLink, error) {
	var links []workerLink
	fail := func(err error) ([]workerLink, error) {
		for _, l := range links {
			_ = l.wait()
		}
		return nil, err
	}
	for i, addr := range addrs {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("agent %s: %w", addr, err))
		}
		b, err := json.Marshal(job(i))
		if err != nil {
			c.Close()
			return fail(err)
		}
		if _, err := c.Write(append(b, '\n')); err != nil {
			c.Close()
			return fail(fmt.Errorf("agent %s: %w", addr, err))
		}
		tc := c.(*net.TCPConn)
		links = append(links, workerLink{name: "agent " + addr, in: halfCloser{tc}, out: tc, wait: tc.Close})
	}
	return links, nil
}

// halfCloser closes only the writing side, so the agent's last lines
// still arrive.
type halfCloser struct{ c *net.TCPConn }

func (h halfCloser) Write(p []byte) (int, error) { return h.c.Write(p) }
func (h halfCloser) Close() error                { return h.c.CloseWrite() }

// runScenarioOnAgents splits a scenario over agents and merges what they
// measured.
func runScenarioOnAgents(ctx context.Context, sc *scenario, file string, addrs []string, token string, loops int, col *collector) ([]*scenPart, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	links, err := dialAgents(ctx, addrs, func(i int) agentJob {
		return agentJob{Token: token, Kind: "scenario", Scenario: string(text), File: file,
			Files: sc.env.usedFiles, Env: sc.env.usedEnv, Index: i, Count: len(addrs), Loops: loops}
	})
	if err != nil {
		return nil, err
	}
	return decodeResults[scenPart](driveWorkers(ctx, links, col, nil))
}

// runAgents runs an echo or idle run over agents (the controller side of
// --agents for those modes).
func runAgents(ctx context.Context, o *options, col *collector, server *sampler) ([]*workerResult, error) {
	addrs := splitList(o.agents)
	sources, err := sourcesFor(o.url, o.conns, o.sources)
	if err != nil {
		return nil, err
	}
	links, err := dialAgents(ctx, addrs, func(i int) agentJob {
		args := workerArgs(o, i, len(addrs), sources)
		return agentJob{Token: o.token, Kind: "worker", Args: args[1:]}
	})
	if err != nil {
		return nil, err
	}
	return decodeResults[workerResult](driveWorkers(ctx, links, col, server))
}

// agentAddrs validates an --agents list.
func agentAddrs(s string) ([]string, error) {
	addrs := splitList(s)
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("%w: --agents %q: %v", errUsage, a, err)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: --agents is empty", errUsage)
	}
	return addrs, nil
}
