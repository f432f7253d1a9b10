package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// isTerminal reports whether f is a character device (a terminal), the
// condition for the live progress line.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress prints one live status line, rewritten in place at most once a
// second. A nil *progress prints nothing. Safe for concurrent use.
type progress struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
	last  time.Time
	shown bool
}

// newProgress returns a progress line on stderr when stdout is a terminal
// and quiet is off, else nil.
func newProgress(quiet bool, start time.Time) *progress {
	if quiet || !isTerminal(os.Stdout) {
		return nil
	}
	return &progress{w: os.Stderr, start: start}
}

func (p *progress) update(s Sample, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < time.Second-50*time.Millisecond {
		return
	}
	p.last = now
	line := fmt.Sprintf("[%4.0fs] %-7s conns %d/%d", now.Sub(p.start).Seconds(), s.Phase, s.Conns, total)
	if s.Phase != "connect" && s.Phase != "hold" {
		line += fmt.Sprintf("  %s msg/s  p99 %s", groupDigits(int64(s.MsgsPerS)), fmtMicros(s.P99))
	}
	line += fmt.Sprintf("  errors %d", s.Errors)
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.shown = true
}

// clear removes the progress line before the summary is printed.
func (p *progress) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
