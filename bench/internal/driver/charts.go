package driver

import (
	"bytes"
	"fmt"
	"os"

	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// bar is one bar of a chart.
type bar struct {
	label string
	value float64
	surge bool // drawn in surge's colour
}

var (
	surgeColor = drawing.ColorFromHex("1f77b4")
	peerColor  = drawing.ColorFromHex("9e9e9e")
)

// barChart renders bars as an SVG file at path. go-chart needs at least two
// bars with distinct values to draw a range, so fewer is an error.
func barChart(path, title, unit string, bars []bar) error {
	if len(bars) < 2 {
		return fmt.Errorf("driver: chart %q needs two bars, have %d", title, len(bars))
	}
	c := chart.BarChart{
		Title:      title,
		Width:      110*len(bars) + 140,
		Height:     420,
		BarWidth:   70,
		BarSpacing: 30,
		Background: chart.Style{Padding: chart.Box{Top: 50, Left: 20, Right: 20, Bottom: 20}},
		YAxis: chart.YAxis{
			Name:           unit,
			ValueFormatter: func(v any) string { return human(v.(float64)) },
		},
	}
	lo := 0.0
	hi := 0.0
	for _, b := range bars {
		col := peerColor
		if b.surge {
			col = surgeColor
		}
		hi = max(hi, b.value)
		c.Bars = append(c.Bars, chart.Value{
			Label: b.label, Value: b.value,
			Style: chart.Style{FillColor: col, StrokeColor: col, StrokeWidth: 1},
		})
	}
	c.YAxis.Range = &chart.ContinuousRange{Min: lo, Max: hi * 1.1}
	var buf bytes.Buffer
	if err := c.Render(chart.SVG, &buf); err != nil {
		return fmt.Errorf("driver: chart %q: %w", title, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// human formats v with a k/M suffix for axis labels.
func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
