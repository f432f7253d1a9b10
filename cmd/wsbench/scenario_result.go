package main

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Metric is a named latency metric of a scenario (an expect's metric, or the
// fan-out's delivery latency): percentiles in µs and the histogram for
// tools that merge runs.
type Metric struct {
	Percentiles
	HDR string `json:"hdr,omitempty"`
}

// StageResult is one stage of a scenario run, merged over every process.
type StageResult struct {
	Name        string                 `json:"name"`
	Start       float64                `json:"start_s"` // since traffic started
	End         float64                `json:"end_s"`
	Started     int64                  `json:"started"`    // connections started in the stage
	Opened      int64                  `json:"opened"`     // of which opened
	PeakConns   int64                  `json:"peak_conns"` // running connections at most (sum over processes)
	Sent        int64                  `json:"sent"`
	Received    int64                  `json:"received"`
	Errors      int64                  `json:"errors"`
	MessagesPer float64                `json:"messages_per_s"` // received / stage length
	Handshake   Percentiles            `json:"handshake"`
	Metrics     map[string]Percentiles `json:"metrics"`
	Latency     Percentiles            `json:"latency"` // every named metric together

	metricHists map[string]*hdr.Histogram
	latency     *hdr.Histogram
}

// scenarioResult merges the parts of a scenario run into one report.
func scenarioResult(sc *scenario, start time.Time, parts []*scenPart, col *collector) (*Result, error) {
	r := &Result{
		Schema:      SchemaVersion,
		Mode:        "scenario",
		URL:         sc.URL.expandString(&tmplVars{text: true, rng: rand.NewPCG(1, 1)}),
		Started:     start.UTC().Format(time.RFC3339),
		Config:      Config{Conns: sc.Connections, Duration: sc.Duration.Seconds(), ConnectRate: sc.ConnectRate, Procs: len(parts)},
		Errors:      map[string]int64{},
		CloseCodes:  map[string]int64{},
		Metrics:     map[string]Metric{},
		metricHists: map[string]*hdr.Histogram{},
		latency:     newHist(),
		handshake:   newHist(),
	}
	r.Scenario = sc.Name
	if sc.Fanout != nil {
		r.Mode = "fanout"
		r.Config.Conns = sc.Fanout.Subscribers + sc.Fanout.Publishers
	}
	var window float64
	var fan *FanoutStats
	published := map[string]int64{}
	subscribed := map[string]int64{}
	var firstPub, lastRecv int64
	for _, p := range parts {
		c := &r.Connections
		c.Attempted += p.Attempted
		c.Opened += p.Opened
		r.Messages.Sent += p.Sent
		r.Messages.Received += p.Received
		r.Messages.Verified += p.Matched
		r.Messages.Discarded += p.Discarded
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
		for i, sp := range p.Stages {
			for len(r.Stages) <= i {
				r.Stages = append(r.Stages, StageResult{Name: sp.Name, Start: sp.Start, End: sp.End,
					Metrics: map[string]Percentiles{}, metricHists: map[string]*hdr.Histogram{}, latency: newHist()})
			}
			st := &r.Stages[i]
			st.Start = min(st.Start, sp.Start)
			st.End = max(st.End, sp.End)
			st.Started += sp.Started
			st.Opened += sp.Opened
			st.PeakConns += sp.Peak
			st.Sent += sp.Sent
			st.Received += sp.Received
			st.Errors += sp.Errors
			for name, enc := range sp.Metrics {
				h := st.metricHists[name]
				if h == nil {
					h = newHist()
					st.metricHists[name] = h
				}
				if err := mergeEncoded(h, enc); err != nil {
					return nil, err
				}
			}
		}
		if f := p.Fanout; f != nil {
			if fan == nil {
				fan = &FanoutStats{Publishers: sc.Fanout.Publishers, Rooms: sc.Fanout.Rooms}
			}
			for k, v := range f.Published {
				published[k] += v
			}
			for k, v := range f.Subscribed {
				subscribed[k] += v
				fan.Subscribers += v
			}
			fan.Deliveries += f.Deliveries
			fan.Duplicated += f.Duplicated
			fan.Unstamped += f.Unstamped
			if f.FirstPubNS > 0 && (firstPub == 0 || f.FirstPubNS < firstPub) {
				firstPub = f.FirstPubNS
			}
			lastRecv = max(lastRecv, f.LastRecvNS)
		}
	}
	for i := range r.Stages {
		st := &r.Stages[i]
		for name, h := range st.metricHists {
			if name == handshakeMetric {
				st.Handshake = percentilesOf(h)
				r.handshake.Merge(h)
				continue
			}
			st.Metrics[name] = percentilesOf(h)
			st.latency.Merge(h)
			all := r.metricHists[name]
			if all == nil {
				all = newHist()
				r.metricHists[name] = all
			}
			all.Merge(h)
		}
		st.Latency = percentilesOf(st.latency)
		if d := st.End - st.Start; d > 0 {
			st.MessagesPer = float64(st.Received) / d
		}
	}
	names := make([]string, 0, len(r.metricHists))
	for name := range r.metricHists {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h := r.metricHists[name]
		r.latency.Merge(h)
		r.Metrics[name] = Metric{Percentiles: percentilesOf(h), HDR: encodeHist(h)}
	}
	c := &r.Connections
	c.Failed = c.Attempted - c.Opened
	c.Handshake = percentilesOf(r.handshake)
	r.Seconds = window
	if window > 0 {
		r.Throughput.MessagesPerSec = float64(r.Messages.Received) / window
		r.Client.CPUCores = r.Client.CPUSeconds / window
	}
	r.Latency = percentilesOf(r.latency)
	r.LatencyHDR = encodeHist(r.latency)
	for _, v := range r.Errors {
		r.ErrorTotal += v
	}
	if fan != nil {
		for room, n := range published {
			fan.Published += n
			fan.Expected += n * subscribed[room]
		}
		fan.Lost = max(0, fan.Expected-fan.Deliveries)
		if lastRecv > firstPub && firstPub > 0 {
			fan.DeliveriesPerSec = float64(fan.Deliveries) / (float64(lastRecv-firstPub) / 1e9)
		}
		r.Fanout = fan
	}
	if col != nil {
		r.Timeline = col.samples()
	}
	return r, nil
}

// stageLine is the one-line summary of a stage in the table.
func stageLine(st *StageResult) string {
	s := "conns " + groupDigits(st.Opened) + "/" + groupDigits(st.Started) + " peak " + groupDigits(st.PeakConns) +
		"  recv " + groupDigits(int64(st.MessagesPer)) + "/s  errors " + strconv.FormatInt(st.Errors, 10)
	if st.Latency.Count > 0 {
		s += "  p50 " + fmtMicros(st.Latency.P50) + " p99 " + fmtMicros(st.Latency.P99)
	}
	return s
}
