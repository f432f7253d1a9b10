package main

import (
	"bytes"
	"io"
	"os"
	"sort"

	chart "github.com/wcharczuk/go-chart/v2"
)

// writeScenarioHTMLFile writes the report of a scenario run to path.
func writeScenarioHTMLFile(path string, r *Result, sc *scenario) error {
	var buf bytes.Buffer
	if err := writeScenarioHTML(&buf, r, sc); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// writeScenarioHTML renders a scenario run: the timeline, one latency
// histogram per named metric, and per stage the connections, receive rate
// and latency percentiles side by side.
func writeScenarioHTML(w io.Writer, r *Result, sc *scenario) error {
	var charts chartSet
	addChart := charts.add
	var ts, p50, p99, rate, conns []float64
	for _, s := range r.Timeline {
		ts = append(ts, s.T)
		p50 = append(p50, float64(s.P50)/1e3)
		p99 = append(p99, float64(s.P99)/1e3)
		rate = append(rate, s.MsgsPerS)
		conns = append(conns, float64(s.Conns))
	}
	steps := []struct {
		title  string
		render func(io.Writer) error
	}{
		{"Running connections over time", func(w io.Writer) error {
			return lineChart(w, "connections", ts, []series{{"connections", conns}})
		}},
		{"Messages received over time (per second)", func(w io.Writer) error {
			return lineChart(w, "messages/s", ts, []series{{"messages/s", rate}})
		}},
		{"Latency over time, every metric (ms, per second)", func(w io.Writer) error {
			return lineChart(w, "ms", ts, []series{{"p50", p50}, {"p99", p99}})
		}},
	}
	for _, s := range steps {
		if err := addChart(s.title, s.render); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(r.metricHists))
	for name := range r.metricHists {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h := r.metricHists[name]
		if err := addChart("Metric "+name+" (histogram)", func(w io.Writer) error { return histChart(w, h) }); err != nil {
			return err
		}
	}
	if len(r.Stages) > 1 {
		if err := addChart("Per stage: latency p50 / p99 (ms)", func(w io.Writer) error {
			return stageBars(w, r.Stages, func(st *StageResult) []float64 {
				return []float64{float64(st.Latency.P50) / 1e3, float64(st.Latency.P99) / 1e3}
			}, []string{"p50", "p99"})
		}); err != nil {
			return err
		}
		if err := addChart("Per stage: messages received per second", func(w io.Writer) error {
			return stageBars(w, r.Stages, func(st *StageResult) []float64 { return []float64{st.MessagesPer} }, []string{"msg/s"})
		}); err != nil {
			return err
		}
		if err := addChart("Per stage: peak connections", func(w io.Writer) error {
			return stageBars(w, r.Stages, func(st *StageResult) []float64 { return []float64{float64(st.PeakConns)} }, []string{"conns"})
		}); err != nil {
			return err
		}
	}
	var table bytes.Buffer
	writeScenarioTable(&table, r, sc)
	return reportTemplate.Execute(w, map[string]any{"R": r, "Summary": table.String(), "Charts": charts})
}

// stageBars draws one group of bars per stage.
func stageBars(w io.Writer, stages []StageResult, vals func(*StageResult) []float64, names []string) error {
	var bars []chart.Value
	for i := range stages {
		st := &stages[i]
		for k, v := range vals(st) {
			label := st.Name
			if len(names) > 1 {
				label += " " + names[k]
			}
			bars = append(bars, chart.Value{Label: label, Value: v})
		}
	}
	if len(bars) == 0 {
		return emptyChart(w, "no stages")
	}
	// go-chart refuses a chart whose values are all zero.
	all0 := true
	for _, b := range bars {
		all0 = all0 && b.Value == 0
	}
	if all0 {
		return emptyChart(w, "all zero")
	}
	bw := max(10, min(60, (chartW-120)/len(bars)-10))
	g := chart.BarChart{
		Width: chartW, Height: chartH, BarWidth: bw,
		Background: chart.Style{Padding: chart.Box{Top: 30, Left: 10, Right: 10, Bottom: 40}},
		YAxis:      chart.YAxis{ValueFormatter: numberFormat},
		Bars:       bars,
	}
	return g.Render(chart.SVG, w)
}
