package main

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// collector turns per-second ticks (from this process or merged from the
// workers) into the run's timeline and the progress line. Safe for
// concurrent use.
type collector struct {
	start time.Time
	total int
	prog  *progress

	mu       sync.Mutex
	timeline []Sample
}

func newCollector(start time.Time, total int, prog *progress) *collector {
	return &collector{start: start, total: total, prog: prog}
}

// add records one second; h (µs) may be nil.
func (c *collector) add(t tick, h *hdr.Histogram) {
	s := Sample{
		T:        time.Since(c.start).Seconds(),
		Phase:    t.Phase,
		Conns:    t.Conns,
		Messages: t.Received,
		Errors:   t.Errors,
	}
	if t.Elapsed > 0 {
		s.MsgsPerS = float64(t.Received) / t.Elapsed
	}
	if h != nil && h.TotalCount() > 0 {
		s.P50 = h.ValueAtQuantile(50)
		s.P99 = h.ValueAtQuantile(99)
		s.Max = h.Max()
	}
	c.mu.Lock()
	c.timeline = append(c.timeline, s)
	c.mu.Unlock()
	c.prog.update(s, c.total)
}

func (c *collector) samples() []Sample {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Sample(nil), c.timeline...)
}
