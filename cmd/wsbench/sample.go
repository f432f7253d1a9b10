package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports (the kernel exports that value
// to user space whatever HZ it runs at).
const clockTicks = 100

// procSample is one reading of a process's CPU time and resident memory.
type procSample struct {
	at  time.Time
	cpu float64 // utime+stime, seconds
	rss int64   // VmRSS, bytes
}

// readProc reads /proc/PID/stat and /proc/PID/status.
func readProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields
	// are counted from the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("/proc/%d/stat: malformed times", pid)
	}
	s.cpu = float64(ut+st) / clockTicks
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return s, err
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			fs := bytes.Fields(v)
			if len(fs) >= 1 {
				kb, err := strconv.ParseInt(string(fs[0]), 10, 64)
				if err == nil {
					s.rss = kb << 10
				}
			}
		}
	}
	return s, nil
}

// sampler records readings of one process at marks (phase boundaries) and
// once per tick. The zero pid means no sampling. Safe for concurrent use.
type sampler struct {
	pid int

	mu      sync.Mutex
	start   time.Time
	series  []ProcPoint
	marks   map[string]procSample
	last    procSample
	peakRSS int64
	err     error
}

func newSampler(pid int, start time.Time) *sampler {
	return &sampler{pid: pid, start: start, marks: make(map[string]procSample)}
}

// take reads the process now; with mark != "" the reading is kept under that
// name. It returns the reading (zero when sampling is off or failed).
func (s *sampler) take(mark string) procSample {
	if s == nil || s.pid == 0 {
		return procSample{}
	}
	r, err := readProc(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return procSample{}
	}
	if s.last.at.IsZero() {
		s.series = append(s.series, ProcPoint{T: r.at.Sub(s.start).Seconds(), RSS: r.rss})
	} else if dt := r.at.Sub(s.last.at).Seconds(); dt > 0 {
		s.series = append(s.series, ProcPoint{T: r.at.Sub(s.start).Seconds(), Cores: (r.cpu - s.last.cpu) / dt, RSS: r.rss})
	}
	s.last = r
	s.peakRSS = max(s.peakRSS, r.rss)
	if mark != "" {
		s.marks[mark] = r
	}
	return r
}

func (s *sampler) mark(name string) (procSample, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.marks[name]
	return r, ok
}

// cpuBetween returns the CPU seconds used between two marks and the cores
// that makes on average; ok is false if either mark is missing.
func (s *sampler) cpuBetween(from, to string) (cpu, cores float64, ok bool) {
	a, ok1 := s.mark(from)
	b, ok2 := s.mark(to)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	cpu = b.cpu - a.cpu
	if dt := b.at.Sub(a.at).Seconds(); dt > 0 {
		cores = cpu / dt
	}
	return cpu, cores, true
}

// run takes a reading every interval until stop is closed.
func (s *sampler) run(interval time.Duration, stop <-chan struct{}) {
	if s == nil || s.pid == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.take("")
		case <-stop:
			return
		}
	}
}
