package stats

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := Snapshot{Seq: 1, UnixNano: 5, GC: true, AllocObjects: 10, AllocBytes: 20, HeapLive: 30,
		HeapInuse: 40, StackInuse: 50, Sys: 60, Goroutines: 7, Conns: 8, Messages: 9}
	line := string(good.AppendJSON(nil))
	tests := []struct {
		name string
		in   string
		n    int
		err  error
	}{
		{name: "empty", in: "", n: 0},
		{name: "one line", in: line, n: 1},
		{name: "two lines", in: line + strings.Replace(line, `"seq":1`, `"seq":2`, 1), n: 2},
		{name: "blank lines skipped", in: "\n" + line + "\n", n: 1},
		{name: "partial last line skipped", in: line + `{"seq":2,"t_ns"`, n: 1},
		{name: "not json", in: "hello\n", err: ErrBadLine},
		{name: "unknown field", in: `{"seq":1,"bogus":1}` + "\n", err: ErrBadLine},
		{name: "seq missing", in: `{"conns":1}` + "\n", err: ErrBadLine},
		{name: "trailing garbage", in: `{"seq":1} {"seq":2}` + "\n", err: ErrBadLine},
		{name: "array", in: "[1]\n", err: ErrBadLine},
		{name: "too long", in: "{" + strings.Repeat(" ", MaxLine+10) + "}\n", err: ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.n {
				t.Fatalf("%d snapshots, want %d", len(got), tt.n)
			}
			if tt.n > 0 && got[0] != good {
				t.Fatalf("got %+v, want %+v", got[0], good)
			}
		})
	}
}

// FuzzParse checks that any input parses without panicking and that
// AppendJSON of any field values reads back unchanged (the reference is the
// struct itself).
func FuzzParse(f *testing.F) {
	s := Snapshot{Seq: 1, AllocObjects: 1 << 63, Goroutines: -1}
	f.Add(string(s.AppendJSON(nil)), int64(3), uint64(4), int64(5), true)
	f.Add("{\"seq\":1}\n{", int64(1), uint64(0), int64(0), false)
	f.Add("\n\n\n", int64(9), uint64(1<<40), int64(-7), false)
	f.Fuzz(func(t *testing.T, in string, seq int64, allocs uint64, conns int64, gc bool) {
		_, _ = Parse(strings.NewReader(in))
		if seq < 1 {
			seq = 1
		}
		want := Snapshot{Seq: seq, AllocObjects: allocs, HeapInuse: allocs / 3, Conns: conns, Messages: -conns, GC: gc}
		got, err := Parse(bytes.NewReader(want.AppendJSON(nil)))
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("round trip of %+v: %+v, %v", want, got, err)
		}
	})
}

func TestTakeNoAllocs(t *testing.T) {
	var c Counters
	r, err := NewRecorder(filepath.Join(t.TempDir(), "s"), &c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := testing.AllocsPerRun(20, func() {
		if err := r.Take(false); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Take allocates %v objects: they would be counted as the server's", n)
	}
}

func TestRecorderCounts(t *testing.T) {
	var c Counters
	path := filepath.Join(t.TempDir(), "s")
	r, err := NewRecorder(path, &c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Take(false); err != nil {
		t.Fatal(err)
	}
	c.Open()
	c.Open()
	c.Closed()
	for range 5 {
		c.Message()
	}
	sink := make([][]byte, 0, 1000)
	for range 1000 {
		sink = append(sink, make([]byte, 64))
	}
	if err := r.Take(true); err != nil {
		t.Fatal(err)
	}
	ss, err := ReadFile(path)
	if err != nil || len(ss) != 2 {
		t.Fatalf("%d snapshots, %v", len(ss), err)
	}
	a, b := ss[0], ss[1]
	if b.Seq != 2 || !b.GC || a.GC || b.Conns != 1 || b.Messages != 5 {
		t.Fatalf("second snapshot %+v", b)
	}
	if d := b.AllocObjects - a.AllocObjects; d < 1000 {
		t.Fatalf("allocation counter moved by %d over 1000 allocations", d)
	}
	if b.HeapLive == 0 || b.HeapInuse == 0 || b.StackInuse == 0 || b.Goroutines < 1 {
		t.Fatalf("memory figures missing: %+v", b)
	}
	_ = sink
}

func TestRequestAndWait(t *testing.T) {
	var c Counters
	path := filepath.Join(t.TempDir(), "s")
	r, err := NewRecorder(path, &c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stop := r.Listen()
	defer stop()
	s, err := Request(os.Getpid(), path, true, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Seq != 1 || !s.GC {
		t.Fatalf("got %+v", s)
	}
	s, err = Request(os.Getpid(), path, false, 5*time.Second)
	if err != nil || s.Seq != 2 || s.GC {
		t.Fatalf("got %+v, %v", s, err)
	}
	if _, err := Wait(path, 2, 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait with no new line: %v", err)
	}
}

func TestWindow(t *testing.T) {
	sec := int64(time.Second)
	// snap makes a reading at t seconds with conns sessions, msgs messages
	// and allocs objects.
	snap := func(t float64, conns, msgs int64, allocs uint64) Snapshot {
		return Snapshot{UnixNano: int64(t * float64(sec)), Conns: conns, Messages: msgs, AllocObjects: allocs}
	}
	tests := []struct {
		name       string
		ss         []Snapshot
		want       int64
		skip       time.Duration
		ok         bool
		a, b       int // indices of the expected window
		perMessage float64
	}{
		{name: "empty", ss: nil, want: 10},
		{name: "never all connected", ss: []Snapshot{snap(0, 5, 0, 0), snap(1, 9, 100, 10)}, want: 10},
		{
			name: "handshakes, warmup and close excluded",
			ss: []Snapshot{
				snap(0, 0, 0, 100),      // before
				snap(0.5, 6, 0, 400),    // connecting: handshake allocations
				snap(1, 10, 0, 700),     // all open
				snap(1.5, 10, 50, 750),  // warmup
				snap(2, 10, 100, 800),   // first steady reading (skip 0.5 s)
				snap(2.5, 10, 200, 800), //
				snap(3, 10, 300, 800),   // last kept
				snap(3.5, 10, 400, 900), // dropped: closes may have begun
				snap(4, 4, 400, 2000),   // closing
			},
			want: 10, skip: 500 * time.Millisecond, ok: true, a: 4, b: 6, perMessage: 0,
		},
		{
			name: "allocating server",
			ss: []Snapshot{
				snap(1, 10, 10, 0), snap(2, 10, 110, 200), snap(3, 10, 210, 400), snap(4, 10, 310, 600), snap(5, 10, 410, 9999),
			},
			want: 10, ok: true, a: 0, b: 3, perMessage: 2,
		},
		{name: "traffic stopped", ss: []Snapshot{snap(1, 10, 10, 0), snap(2, 10, 10, 0), snap(3, 10, 10, 0)}, want: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, ok := Window(tt.ss, tt.want, tt.skip)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if a != tt.ss[tt.a] || b != tt.ss[tt.b] {
				t.Fatalf("window %+v … %+v, want indices %d … %d", a, b, tt.a, tt.b)
			}
			if got := AllocsPerMessage(a, b); got != tt.perMessage {
				t.Fatalf("allocs per message %v, want %v", got, tt.perMessage)
			}
		})
	}
}
