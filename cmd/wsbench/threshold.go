package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// A threshold is a pass/fail condition on the result, for CI:
//
//	p99<5ms            latency percentile (the run's main latency)
//	rtt.p99<5ms        a named metric's percentile (scenario expect metric)
//	mean<=2ms  max<1s  min, mean and max too; pNN and pNN.N for any quantile
//	errors==0          error_total
//	rate>=10000        messages (fan-out: deliveries) received per second
//	connections>=100   connections opened;  failed==0  connections that failed
//	lost==0  duplicated==0  deliveries>=1000   fan-out counters
//
// Operators: < <= > >= == !=. Latency values take a unit (ns, us, µs, ms, s,
// m); counts and rates are plain numbers.

// threshold is one parsed condition.
type threshold struct {
	src    string
	metric string  // "latency" or a named metric, for stats
	stat   string  // "p99", "mean", ...; "" for a counter
	q      float64 // quantile for pNN
	field  string  // counter name when stat == ""
	op     string
	value  float64 // µs for latency stats
	origin string  // "flag" or "file"
}

// ThresholdResult is one threshold's verdict in the report.
type ThresholdResult struct {
	Threshold string  `json:"threshold"`
	Value     float64 `json:"value"` // µs for latency thresholds
	Pass      bool    `json:"pass"`
	Detail    string  `json:"detail,omitempty"`
}

// thresholdCounters are the fields a counter threshold may name.
var thresholdCounters = map[string]bool{"errors": true, "rate": true, "connections": true, "failed": true,
	"lost": true, "duplicated": true, "deliveries": true}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// parseThreshold parses one condition such as "p99<5ms".
func parseThreshold(s string) (threshold, error) {
	t := threshold{src: strings.TrimSpace(s)}
	src := t.src
	i, op := -1, ""
	for _, o := range thresholdOps {
		if j := strings.Index(src, o); j > 0 && (i < 0 || j < i) {
			i, op = j, o
		}
	}
	if i < 0 {
		return t, fmt.Errorf("%w %q: want NAME OP VALUE, OP one of < <= > >= == !=", errThreshold, s)
	}
	lhs, rhs := strings.TrimSpace(src[:i]), strings.TrimSpace(src[i+len(op):])
	t.op = op
	if strings.ContainsAny(rhs, "<>=!") {
		return t, fmt.Errorf("%w %q: one operator only", errThreshold, s)
	}
	if thresholdCounters[lhs] {
		t.field = lhs
		v, err := strconv.ParseFloat(rhs, 64)
		if err != nil || math.IsNaN(v) {
			return t, fmt.Errorf("%w %q: %q is not a number", errThreshold, s, rhs)
		}
		t.value = v
		return t, nil
	}
	metric, stat := "latency", lhs
	if j := strings.LastIndex(lhs, "."); j > 0 {
		if _, ok := statOf(lhs[j+1:]); ok {
			metric, stat = lhs[:j], lhs[j+1:]
		}
	}
	q, ok := statOf(stat)
	if !ok {
		return t, fmt.Errorf("%w %q: unknown name %q (pNN, mean, min, max, METRIC.pNN, errors, rate, connections, failed, lost, duplicated, deliveries)", errThreshold, s, lhs)
	}
	if metric != "latency" && !metricRE.MatchString(metric) {
		return t, fmt.Errorf("%w %q: bad metric name %q", errThreshold, s, metric)
	}
	t.metric, t.stat, t.q = metric, stat, q
	v, err := parseLatencyValue(rhs)
	if err != nil {
		return t, fmt.Errorf("%w %q: %v", errThreshold, s, err)
	}
	t.value = v
	return t, nil
}

// statOf reports whether s names a latency statistic, and its quantile for
// pNN (p99 = 99, p999 = 99.9, p99.9 = 99.9); -1 for min, -2 mean, -3 max.
func statOf(s string) (float64, bool) {
	switch s {
	case "min":
		return -1, true
	case "mean", "avg":
		return -2, true
	case "max":
		return -3, true
	case "p999":
		return 99.9, true
	case "p9999":
		return 99.99, true
	}
	if len(s) < 2 || s[0] != 'p' {
		return 0, false
	}
	q, err := strconv.ParseFloat(s[1:], 64)
	if err != nil || q <= 0 || q > 100 || strings.ContainsAny(s[1:], "eE+-") {
		return 0, false
	}
	return q, true
}

// parseLatencyValue parses "5ms", "250us", "1µs", "2s" into µs.
func parseLatencyValue(s string) (float64, error) {
	s = strings.ReplaceAll(s, "µ", "u")
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration with a unit (like 5ms, 250us)", s)
	}
	return float64(d) / float64(time.Microsecond), nil
}

// thresholdFlag collects repeated --threshold flags.
type thresholdFlag struct{ list *[]threshold }

func (f thresholdFlag) String() string {
	if f.list == nil {
		return ""
	}
	var s []string
	for _, t := range *f.list {
		s = append(s, t.src)
	}
	return strings.Join(s, ",")
}

func (f thresholdFlag) Set(s string) error {
	t, err := parseThreshold(s)
	if err != nil {
		return err
	}
	t.origin = "flag"
	*f.list = append(*f.list, t)
	return nil
}

// compare applies the threshold's operator.
func (t *threshold) compare(v float64) bool {
	switch t.op {
	case "<":
		return v < t.value
	case "<=":
		return v <= t.value
	case ">":
		return v > t.value
	case ">=":
		return v >= t.value
	case "==":
		return v == t.value
	case "!=":
		return v != t.value
	}
	return false
}

// evaluate checks every threshold against r and stores the verdicts in
// r.Thresholds; it reports whether all held.
func evaluateThresholds(ts []threshold, r *Result) bool {
	ok := true
	r.Thresholds = r.Thresholds[:0]
	for i := range ts {
		t := &ts[i]
		v, detail, have := thresholdValue(t, r)
		res := ThresholdResult{Threshold: t.src, Value: v, Detail: detail}
		res.Pass = have && t.compare(v)
		ok = ok && res.Pass
		r.Thresholds = append(r.Thresholds, res)
	}
	return ok
}

// thresholdValue reads the value a threshold is about; have is false when
// the run has no such value (a metric without samples fails its threshold).
func thresholdValue(t *threshold, r *Result) (v float64, detail string, have bool) {
	if t.stat == "" {
		switch t.field {
		case "errors":
			return float64(r.ErrorTotal), "", true
		case "rate":
			if r.Fanout != nil {
				return r.Fanout.DeliveriesPerSec, "deliveries/s", true
			}
			return r.Throughput.MessagesPerSec, "messages/s", true
		case "connections":
			return float64(r.Connections.Opened), "", true
		case "failed":
			return float64(r.Connections.Failed), "", true
		case "lost", "duplicated", "deliveries":
			if r.Fanout == nil {
				return 0, "not a fan-out run", false
			}
			return map[string]float64{"lost": float64(r.Fanout.Lost), "duplicated": float64(r.Fanout.Duplicated),
				"deliveries": float64(r.Fanout.Deliveries)}[t.field], "", true
		}
		return 0, "unknown", false
	}
	p := r.Latency
	if t.metric != "latency" {
		m, ok := r.Metrics[t.metric]
		if !ok {
			return 0, "no metric " + strconv.Quote(t.metric), false
		}
		p = m.Percentiles
	}
	h := r.latency
	if t.metric != "latency" {
		h = r.metricHists[t.metric]
	}
	if p.Count == 0 {
		return 0, "no samples", false
	}
	switch t.q {
	case -1:
		return float64(p.Min), "µs", true
	case -2:
		return p.Mean, "µs", true
	case -3:
		return float64(p.Max), "µs", true
	}
	if h != nil {
		return float64(h.ValueAtQuantile(t.q)), "µs", true
	}
	return 0, "no histogram", false
}
