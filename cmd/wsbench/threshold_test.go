package main

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		src    string
		metric string
		stat   string
		field  string
		op     string
		value  float64
	}{
		{src: "p99<5ms", metric: "latency", stat: "p99", op: "<", value: 5000},
		{src: "p99.9 <= 250us", metric: "latency", stat: "p99.9", op: "<=", value: 250},
		{src: "rtt.p999<1s", metric: "rtt", stat: "p999", op: "<", value: 1e6},
		{src: "say.mean<2µs", metric: "say", stat: "mean", op: "<", value: 2},
		{src: "errors==0", field: "errors", op: "==", value: 0},
		{src: "rate>=10000", field: "rate", op: ">=", value: 10000},
		{src: "lost!=3", field: "lost", op: "!=", value: 3},
		{src: "max>1ns", metric: "latency", stat: "max", op: ">", value: 0.001},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			th, err := parseThreshold(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if th.metric != tc.metric || th.stat != tc.stat || th.field != tc.field || th.op != tc.op || th.value != tc.value {
				t.Errorf("got %+v", th)
			}
		})
	}
	for _, bad := range []string{"", "p99", "p99<", "p99<5", "p99<<5ms", "errors==x", "nope<1", "p0<1ms", "p101<1ms", "a b.p99<1ms", "p99<5ms<6ms"} {
		if _, err := parseThreshold(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestEvaluateThresholds(t *testing.T) {
	r := &Result{latency: newHist(), metricHists: map[string]*hdr.Histogram{}, ErrorTotal: 2, Metrics: map[string]Metric{}}
	for i := int64(1); i <= 100; i++ {
		recordMicros(r.latency, i*10)
	}
	r.Latency = percentilesOf(r.latency)
	r.Throughput.MessagesPerSec = 500
	h := newHist()
	recordMicros(h, 7)
	r.metricHists["rtt"] = h
	r.Metrics["rtt"] = Metric{Percentiles: percentilesOf(h)}
	tests := []struct {
		src  string
		pass bool
	}{
		{"p99<2ms", true},
		{"p99<1us", false},
		{"p50<=500us", true},
		{"max<1ms", false},
		{"errors==0", false},
		{"errors<=2", true},
		{"rate>=500", true},
		{"rate>500", false},
		{"rtt.p99<10us", true},
		{"nope.p99<1s", false}, // no such metric fails
		{"lost==0", false},     // not a fan-out run
	}
	for _, tc := range tests {
		th, err := parseThreshold(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := evaluateThresholds([]threshold{th}, r); got != tc.pass || r.Thresholds[0].Pass != tc.pass {
			t.Errorf("%s: pass=%v, want %v (%+v)", tc.src, got, tc.pass, r.Thresholds)
		}
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"p99<5ms", "errors==0", "rate>=1e4", "a.p50!=1us", "p99.99>0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := parseThreshold(s)
		if err != nil {
			return
		}
		if th.op == "" || (th.stat == "" && th.field == "") {
			t.Fatalf("%q parsed to %+v", s, th)
		}
		_ = th.compare(1)
	})
}
