package main

import (
	"context"
	"errors"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// run executes one echo or idle run as o describes, in this process or
// spread over worker processes, and returns what was measured. With a
// cancelled ctx it returns the partial result marked Interrupted.
func run(ctx context.Context, o *options) (*Result, error) {
	var procs int
	var err error
	if o.agents != "" {
		addrs, err := agentAddrs(o.agents)
		if err != nil {
			return nil, err
		}
		procs = min(len(addrs), o.conns)
		o.agents = strings.Join(addrs[:procs], ",")
	} else if procs, err = procsFor(o); err != nil {
		return nil, err
	}
	o.resolveBusyPoll(procs)
	var metricsBefore metricFamilies
	if o.serverMetrics != "" {
		if metricsBefore, err = scrapeMetrics(ctx, o.serverMetrics); err != nil {
			return nil, errors.Join(errUsage, err)
		}
	}
	start := time.Now()
	server := newSampler(o.serverPID, start)
	if o.serverPID != 0 {
		if _, err := readProc(o.serverPID); err != nil {
			return nil, errors.Join(errUsage, err)
		}
	}
	server.take("start")
	stop := make(chan struct{})
	defer close(stop)
	go server.run(time.Second, stop)
	prog := newProgress(o.quiet, start)
	defer prog.clear()
	col := newCollector(start, o.conns, prog)

	var parts []*workerResult
	var runErr error
	if o.agents != "" {
		parts, runErr = runAgents(ctx, o, col, server)
	} else if procs > 1 {
		parts, runErr = runProcs(ctx, o, procs, col, server)
	} else {
		hk := hooks{
			tick:   func(t tick) { col.add(t, t.h) },
			phase:  func(name string) { server.take(name) },
			waitGo: func(context.Context) bool { return true },
		}
		var part *workerResult
		part, runErr = runProcess(ctx, o, o.conns, 0, hk)
		if part != nil {
			parts = append(parts, part)
		}
	}
	server.take("end")
	if len(parts) == 0 {
		return nil, runErr
	}
	res, err := buildResult(o, start, procs, parts, col, server)
	if err != nil {
		return nil, err
	}
	if o.agents != "" {
		res.Agents = len(parts)
	}
	if ctx.Err() != nil {
		res.Interrupted = true
	}
	if o.serverMetrics != "" {
		// The server closes its side a little after ours: wait (bounded)
		// for its connection gauge to come back before the last scrape.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.timeout)
		after, err := waitConnsDrained(wctx, o.serverMetrics, metricsBefore.value("surge_connections", nil))
		cancel()
		if err != nil {
			runErr = errors.Join(runErr, err)
		} else {
			res.ServerMetrics = serverMetricsDelta(o.serverMetrics, metricsBefore, after)
		}
	}
	if errors.Is(runErr, errNoConnections) && res.Connections.Opened > 0 {
		runErr = nil // some workers connected
	}
	return res, runErr
}

// buildResult merges the results of one or more processes.
func buildResult(o *options, start time.Time, procs int, parts []*workerResult, col *collector, server *sampler) (*Result, error) {
	sources, _ := sourcesFor(o.url, o.conns, o.sources)
	r := &Result{
		Schema:  SchemaVersion,
		Mode:    o.mode,
		URL:     o.url,
		Started: start.UTC().Format(time.RFC3339),
		Config: Config{
			Conns: o.conns, Size: o.size, Text: o.text, Depth: o.depth, Rate: o.rate,
			Messages: o.messages, Duration: o.duration.Seconds(), Warmup: o.warmup.Seconds(),
			ConnectRate: o.connectRate, Procs: procs, Sources: sources, Loops: o.loops,
			BusyPoll: o.busyPoll.d.Seconds(),
		},
		Errors:     make(map[string]int64),
		CloseCodes: make(map[string]int64),
		latency:    newHist(),
		handshake:  newHist(),
	}
	var lateness *hdr.Histogram
	if o.rate > 0 && o.mode != "idle" {
		lateness = newHist()
	}
	var window float64
	for _, p := range parts {
		if p.latency == nil {
			if err := mergeEncoded(r.latency, p.Latency); err != nil {
				return nil, err
			}
		} else {
			r.latency.Merge(p.latency)
		}
		switch {
		case lateness == nil:
		case p.lateness != nil:
			lateness.Merge(p.lateness)
		case p.Lateness != "":
			if err := mergeEncoded(lateness, p.Lateness); err != nil {
				return nil, err
			}
		}
		if p.handshake == nil {
			if err := mergeEncoded(r.handshake, p.Handshake); err != nil {
				return nil, err
			}
		} else {
			r.handshake.Merge(p.handshake)
		}
		c := &r.Connections
		c.Attempted += p.Attempted
		c.Opened += p.Opened
		c.Seconds = max(c.Seconds, p.ConnectSecs)
		c.Alive += p.Alive
		m := &r.Messages
		m.Sent += p.Sent
		m.Verified += p.Verified
		m.Received += p.Received
		m.Bytes += p.Bytes
		window = max(window, p.Window)
		for k, v := range p.Errors {
			r.Errors[k] += v
		}
		for k, v := range p.CloseCodes {
			r.CloseCodes[k] += v
		}
		r.Client.CPUSeconds += p.ClientCPU
		r.Client.RSSPeak += p.ClientRSS
		r.Interrupted = r.Interrupted || p.Interrupted
	}
	c := &r.Connections
	c.Failed = c.Attempted - c.Opened
	if c.Seconds > 0 {
		c.Rate = float64(c.Opened) / c.Seconds
	}
	c.Handshake = percentilesOf(r.handshake)
	if o.mode == "idle" {
		c.AliveMethod = "echo"
	}
	r.Seconds = window
	if window > 0 {
		r.Throughput.MessagesPerSec = float64(r.Messages.Received) / window
		r.Throughput.MBPerSec = float64(r.Messages.Bytes) / window / 1e6
		r.Client.CPUCores = r.Client.CPUSeconds / window
	}
	r.Latency = percentilesOf(r.latency)
	r.LatencyHDR = encodeHist(r.latency)
	if lateness != nil {
		pc := percentilesOf(lateness)
		r.SendLateness = &pc
	}
	for k, v := range r.Errors {
		r.ErrorTotal += v
		if len(k) > 7 && k[:7] == "verify_" {
			r.Messages.VerifyErrors += v
		}
	}
	r.Timeline = col.samples()
	if server != nil && server.pid != 0 {
		r.Server = serverStats(server, c.Opened)
	}
	return r, nil
}

// serverStats summarises the sampled server process.
func serverStats(s *sampler, opened int64) *ProcStats {
	ps := &ProcStats{PID: s.pid}
	if cpu, cores, ok := s.cpuBetween("measure_start", "measure_end"); ok {
		ps.CPUSeconds, ps.CPUCores = cpu, cores
	}
	if a, ok := s.mark("start"); ok {
		ps.RSSStart = a.rss
	}
	if b, ok := s.mark("measure_end"); ok {
		ps.RSSEnd = b.rss
	}
	if c, ok := s.mark("connected"); ok && opened > 0 && ps.RSSStart > 0 {
		ps.BytesPerConn = float64(c.rss-ps.RSSStart) / float64(opened)
	}
	s.mu.Lock()
	ps.RSSPeak = s.peakRSS
	ps.Samples = append([]ProcPoint(nil), s.series...)
	s.mu.Unlock()
	return ps
}
