package stats

import (
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// metric names read by Take, in the order of Recorder.samples.
var metricNames = [...]string{
	"/gc/heap/allocs:objects",
	"/gc/heap/allocs:bytes",
	"/gc/heap/live:bytes",
}

// Recorder writes Snapshots of its own process to a file. Create it with
// NewRecorder; safe for concurrent use.
type Recorder struct {
	c *Counters

	mu      sync.Mutex
	f       *os.File
	seq     int64
	buf     []byte
	samples []metrics.Sample
	ms      runtime.MemStats
}

// NewRecorder creates (or truncates) the file at path and returns a
// Recorder that appends snapshots of this process, with the traffic of c,
// to it.
func NewRecorder(path string, c *Counters) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	r := &Recorder{c: c, f: f, buf: make([]byte, 0, MaxLine)}
	r.samples = make([]metrics.Sample, len(metricNames))
	for i, n := range metricNames {
		r.samples[i].Name = n
	}
	return r, nil
}

// Take writes one snapshot; with gc set it first runs a full garbage
// collection. It allocates nothing itself (see TestTakeNoAllocs), so the
// counts it reports are the server's own.
func (r *Recorder) Take(gc bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gc {
		runtime.GC()
	}
	metrics.Read(r.samples)
	runtime.ReadMemStats(&r.ms)
	r.seq++
	s := Snapshot{
		Seq:          r.seq,
		UnixNano:     time.Now().UnixNano(),
		GC:           gc,
		AllocObjects: metricUint(r.samples[0]),
		AllocBytes:   metricUint(r.samples[1]),
		HeapLive:     metricUint(r.samples[2]),
		HeapInuse:    r.ms.HeapInuse,
		StackInuse:   r.ms.StackInuse,
		Sys:          r.ms.Sys,
		Goroutines:   int64(runtime.NumGoroutine()),
		Conns:        r.c.Conns(),
		Messages:     r.c.Messages(),
	}
	r.buf = s.AppendJSON(r.buf[:0])
	// One write per line: a reader polling the file sees whole lines (and
	// Parse skips a trailing partial one in any case).
	_, err := r.f.Write(r.buf)
	return err
}

// metricUint reads a counter that a newer runtime might stop publishing as
// a uint64; 0 then rather than a panic.
func metricUint(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}

// Close closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Close()
}
