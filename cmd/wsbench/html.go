package main

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// The report inlines every chart as SVG and its CSS in the page: it loads
// nothing, so it opens offline and passes a network-less headless browser.
const chartW, chartH = 1000, 320

// svgChart is one rendered chart of the report.
type svgChart struct {
	Title string
	SVG   template.HTML
}

// writeHTMLFile writes the report of r to path.
func writeHTMLFile(path string, r *Result, o *options) error {
	var buf bytes.Buffer
	if err := writeHTML(&buf, r, o); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// writeHTML renders the self-contained report.
func writeHTML(w io.Writer, r *Result, o *options) error {
	var charts chartSet
	addChart := charts.add
	var ts, p50, p99, pmax, rate, conns []float64
	for _, s := range r.Timeline {
		ts = append(ts, s.T)
		p50 = append(p50, float64(s.P50)/1e3)
		p99 = append(p99, float64(s.P99)/1e3)
		pmax = append(pmax, float64(s.Max)/1e3)
		rate = append(rate, s.MsgsPerS)
		conns = append(conns, float64(s.Conns))
	}
	if r.Mode != "idle" {
		if err := addChart("Latency over time (ms, per second)", func(w io.Writer) error {
			return lineChart(w, "ms", ts, []series{{"p50", p50}, {"p99", p99}, {"max", pmax}})
		}); err != nil {
			return err
		}
		if err := addChart("Throughput over time (echoes/s)", func(w io.Writer) error {
			return lineChart(w, "messages/s", ts, []series{{"messages/s", rate}})
		}); err != nil {
			return err
		}
		if err := addChart("Latency histogram (measured window)", func(w io.Writer) error {
			return histChart(w, r.latency)
		}); err != nil {
			return err
		}
	} else {
		if err := addChart("Open connections over time", func(w io.Writer) error {
			return lineChart(w, "connections", ts, []series{{"connections", conns}})
		}); err != nil {
			return err
		}
	}
	if err := addChart("Handshake latency histogram", func(w io.Writer) error {
		return histChart(w, r.handshake)
	}); err != nil {
		return err
	}
	if s := r.Server; s != nil && len(s.Samples) > 1 {
		var st, cores, rss []float64
		for _, p := range s.Samples {
			st = append(st, p.T)
			cores = append(cores, p.Cores)
			rss = append(rss, float64(p.RSS)/(1<<20))
		}
		if err := addChart("Server CPU (cores)", func(w io.Writer) error {
			return lineChart(w, "cores", st, []series{{"cpu cores", cores}})
		}); err != nil {
			return err
		}
		if err := addChart("Server RSS (MiB)", func(w io.Writer) error {
			return lineChart(w, "MiB", st, []series{{"rss", rss}})
		}); err != nil {
			return err
		}
	}
	var table bytes.Buffer
	writeTable(&table, r, o)
	return reportTemplate.Execute(w, map[string]any{
		"R": r, "Summary": table.String(), "Charts": charts,
	})
}

// chartSet is the rendered charts of a report, in order.
type chartSet []svgChart

// add renders one chart and appends it.
func (cs *chartSet) add(title string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("chart %q: %w", title, err)
	}
	*cs = append(*cs, svgChart{Title: title, SVG: template.HTML(b.String())})
	return nil
}

type series struct {
	name string
	ys   []float64
}

var palette = []drawing.Color{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 255},
	{R: 0xd6, G: 0x27, B: 0x28, A: 255},
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 255},
}

// lineChart renders series over xs (seconds) as SVG.
func lineChart(w io.Writer, yname string, xs []float64, ss []series) error {
	if len(xs) == 0 {
		return emptyChart(w, "no samples")
	}
	xmin, xmax := xs[0], xs[len(xs)-1]
	if xmax <= xmin {
		xmax = xmin + 1
	}
	ymax := 0.0
	for _, s := range ss {
		for _, y := range s.ys {
			ymax = math.Max(ymax, y)
		}
	}
	if ymax <= 0 {
		ymax = 1
	}
	g := chart.Chart{
		Width: chartW, Height: chartH,
		Background: chart.Style{Padding: chart.Box{Top: 20, Left: 10, Right: 20, Bottom: 10}},
		XAxis:      chart.XAxis{Name: "seconds", Range: &chart.ContinuousRange{Min: xmin, Max: xmax}},
		YAxis:      chart.YAxis{Name: yname, Range: &chart.ContinuousRange{Min: 0, Max: ymax * 1.1}, ValueFormatter: numberFormat},
	}
	for i, s := range ss {
		xv, yv := xs, s.ys
		if len(xv) == 1 {
			// A single sample still draws as a flat segment.
			xv, yv = []float64{xmin, xmax}, []float64{yv[0], yv[0]}
		}
		g.Series = append(g.Series, chart.ContinuousSeries{
			Name: s.name, XValues: xv, YValues: yv,
			Style: chart.Style{StrokeColor: palette[i%len(palette)], StrokeWidth: 2},
		})
	}
	if len(ss) > 1 {
		g.Elements = []chart.Renderable{chart.Legend(&g)}
	}
	return g.Render(chart.SVG, w)
}

// histBuckets are the 1-2-5 bucket edges of histogram charts, in µs.
func histBuckets() []int64 {
	var e []int64
	for d := int64(1); d <= histMax; d *= 10 {
		e = append(e, d, 2*d, 5*d)
	}
	return e
}

// histChart renders h (µs) as bars over 1-2-5 buckets.
func histChart(w io.Writer, h *hdr.Histogram) error {
	if h == nil || h.TotalCount() == 0 {
		return emptyChart(w, "no samples")
	}
	edges := histBuckets()
	counts := make([]int64, len(edges))
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		i := 0
		for i+1 < len(edges) && edges[i+1] <= b.From {
			i++
		}
		counts[i] += b.Count
	}
	lo, hi := -1, -1
	for i, c := range counts {
		if c > 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	lo, hi = max(0, lo-1), min(len(edges)-1, hi+1)
	var bars []chart.Value
	for i := lo; i <= hi; i++ {
		bars = append(bars, chart.Value{Label: "≥" + fmtMicros(edges[i]), Value: float64(counts[i])})
	}
	bw := max(10, min(60, (chartW-120)/len(bars)-10))
	g := chart.BarChart{
		Width: chartW, Height: chartH, BarWidth: bw,
		// The bar labels are drawn below the canvas: leave them room.
		Background: chart.Style{Padding: chart.Box{Top: 30, Left: 10, Right: 10, Bottom: 40}},
		YAxis:      chart.YAxis{Name: "count", ValueFormatter: numberFormat},
		Bars:       bars,
	}
	return g.Render(chart.SVG, w)
}

// numberFormat labels axes with at most 3 significant decimals.
func numberFormat(v any) string {
	f, ok := v.(float64)
	if !ok {
		return fmt.Sprint(v)
	}
	if math.Abs(f) >= 100 {
		return groupDigits(int64(math.Round(f)))
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}

// emptyChart is a placeholder SVG for a chart without data.
func emptyChart(w io.Writer, msg string) error {
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d 60"><text x="20" y="35">%s</text></svg>`, chartW, template.HTMLEscapeString(msg))
	return err
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>wsbench {{.R.Mode}} {{.R.URL}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow-x:auto}
.chart{margin:18px 0;border:1px solid #ddd;border-radius:6px;padding:8px}
.chart svg{width:100%;height:auto}
h2{font-size:1.1em;margin:4px 0 8px}
</style></head><body>
<h1>wsbench {{.R.Mode}}</h1>
<p>{{.R.URL}} — started {{.R.Started}}{{if .R.Interrupted}} — <b>interrupted</b>{{end}}</p>
<pre>{{.Summary}}</pre>
{{range .Charts}}<div class="chart"><h2>{{.Title}}</h2>{{.SVG}}</div>
{{end}}
</body></html>
`))
