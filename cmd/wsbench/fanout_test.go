package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/surgews/surge/session"
)

// broadcast is a pub/sub server for fan-out tests: every message goes to
// every session on the same path. With dropEvery > 0 it drops every nth
// copy; with dup it sends each copy twice.
type broadcast struct {
	session.NopHandler
	mu        sync.Mutex
	rooms     map[string][]*session.Session
	n         int
	dropEvery int
	dup       bool
}

func (b *broadcast) OnOpen(s *session.Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rooms == nil {
		b.rooms = map[string][]*session.Session{}
	}
	p := s.Request().Path
	b.rooms[p] = append(b.rooms[p], s)
}

func (b *broadcast) OnClose(s *session.Session, _ session.CloseReason) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := s.Request().Path
	kept := b.rooms[p][:0:0]
	for _, m := range b.rooms[p] {
		if m != s {
			kept = append(kept, m)
		}
	}
	b.rooms[p] = kept
}

func (b *broadcast) OnMessage(s *session.Session, f session.Frame) {
	b.mu.Lock()
	peers := append([]*session.Session(nil), b.rooms[s.Request().Path]...)
	b.mu.Unlock()
	for _, p := range peers {
		b.mu.Lock()
		b.n++
		drop := b.dropEvery > 0 && b.n%b.dropEvery == 0 && bytes.Contains(f.Payload, []byte(stampPrefix))
		b.mu.Unlock()
		if drop {
			continue
		}
		_ = p.Send(context.Background(), f.Clone())
		if b.dup && bytes.Contains(f.Payload, []byte(stampPrefix)) {
			_ = p.Send(context.Background(), f.Clone())
		}
	}
}

func fanoutFile(t *testing.T, base string) string {
	return writeFile(t, "fan.yaml", `url: `+base+`room{{conn % 2}}
fanout:
  subscribers: 6
  publishers: 2
  rooms: 2
  rate: 200
  messages: 25
  subscribe:
    - send: "join {{conn}}."
    - expect: {contains: "join {{conn}}.", timeout: 5s}
  publish: {text: '{"msg":"{{stamp}}","pad":"{{random 4}}"}'}
thresholds: [lost==0, duplicated==0]
`)
}

// TestFanout runs the fan-out scenario against a broadcasting server: every
// subscriber gets every message of its room's publisher, and a server that
// drops or duplicates copies is caught.
func TestFanout(t *testing.T) {
	tests := []struct {
		name     string
		srv      *broadcast
		lost     bool
		dup      bool
		wantCode int
	}{
		{"clean", &broadcast{}, false, false, exitOK},
		{"drops", &broadcast{dropEvery: 7}, true, false, exitThresholds},
		{"duplicates", &broadcast{dup: true}, false, true, exitThresholds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := fanoutFile(t, startServer(t, tc.srv))
			code, out := runCLI(t, "run", file, "--json", "--quiet")
			r := decodeResult(t, out)
			f := r.Fanout
			if f == nil {
				t.Fatalf("no fan-out section: %s", out)
			}
			// 2 publishers × 25 messages, each room has 3 subscribers.
			if f.Published != 50 || f.Expected != 150 || f.Subscribers != 6 {
				t.Errorf("published %d, expected %d, subscribers %d", f.Published, f.Expected, f.Subscribers)
			}
			if (f.Lost > 0) != tc.lost || (f.Duplicated > 0) != tc.dup {
				t.Errorf("lost %d, duplicated %d", f.Lost, f.Duplicated)
			}
			if !tc.lost && f.Deliveries != 150 {
				t.Errorf("deliveries %d", f.Deliveries)
			}
			if tc.lost && f.Deliveries+f.Lost != 150 {
				t.Errorf("deliveries %d + lost %d != 150", f.Deliveries, f.Lost)
			}
			if r.Metrics[deliveryMetric].Count != f.Deliveries || f.DeliveriesPerSec <= 0 {
				t.Errorf("delivery metric n=%d, %v/s", r.Metrics[deliveryMetric].Count, f.DeliveriesPerSec)
			}
			if code != tc.wantCode || r.Errors[kindFanoutWrongRoom] != 0 {
				t.Errorf("exit %d, want %d; errors %v", code, tc.wantCode, r.Errors)
			}
		})
	}
}

func TestSeqWindow(t *testing.T) {
	var w seqWindow
	steps := []struct {
		seq uint64
		new bool
	}{{0, true}, {1, true}, {1, false}, {5, true}, {3, true}, {3, false}, {0, false}, {100, true}, {40, true}, {36, false}, {37, true}, {37, false}}
	for i, s := range steps {
		if got := w.add(s.seq); got != s.new {
			t.Fatalf("step %d: add(%d) = %v, want %v", i, s.seq, got, s.new)
		}
	}
}

func TestParseStamp(t *testing.T) {
	tests := []struct {
		in       string
		pub, seq uint64
		ns       int64
		ok       bool
	}{
		{`{"m":"wsb1.3.17.1700000000000000000"}`, 3, 17, 1700000000000000000, true},
		{"wsb1.0.0.1", 0, 0, 1, true},
		{"xx wsb1.1.2", 0, 0, 0, false},
		{"wsb1.a.2.3", 0, 0, 0, false},
		{"wsb1.1.2.99999999999999999999", 1, 2, 0, false},
		{"no stamp", 0, 0, 0, false},
	}
	for _, tc := range tests {
		pub, seq, ns, ok := parseStamp([]byte(tc.in))
		if ok != tc.ok || (ok && (pub != tc.pub || seq != tc.seq || ns != tc.ns)) {
			t.Errorf("%q: %d %d %d %v", tc.in, pub, seq, ns, ok)
		}
	}
}

func FuzzParseStamp(f *testing.F) {
	f.Add([]byte("wsb1.1.2.3"))
	f.Add([]byte(`{"x":"wsb1.18446744073709551615.1.1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, seq, ns, ok := parseStamp(b)
		if !ok {
			return
		}
		if ns < 0 || !strings.Contains(string(b), stampPrefix) {
			t.Fatalf("%q: %d %d %d", b, pub, seq, ns)
		}
	})
}

// Accounting one fan-out delivery (find the stamp, check the window, record
// the latency) allocates nothing, so receivers keep up with the server.
func TestFanoutDeliverNoAllocs(t *testing.T) {
	spec := &fanoutSpec{Rooms: 2, Publishers: 4}
	r := &scenRun{sts: make([]stageCounters, 1), errors: map[string]int64{}}
	r.ms.hists = []map[string]*hdr.Histogram{{deliveryMetric: newHist()}}
	r.ms.sec = newHist()
	f := &fanState{spec: spec, sent: make([]atomic.Uint64, 4)}
	sub := &fanoutSub{r: r, f: f, room: 1, wins: make([]seqWindow, 2)}
	now := time.Now()
	msg := []byte(`{"text":"wsb1.3.0000000.` + strconv.FormatInt(now.UnixNano()-1000, 10) + `"}`)
	seq := 0
	deliver := func() {
		// Rewrite the 7-digit sequence in place: a new message each time.
		s := strconv.Itoa(seq)
		copy(msg[16+7-len(s):16+7], s)
		seq++
		sub.deliver(now, msg)
	}
	if n := testing.AllocsPerRun(1000, deliver); n != 0 {
		t.Fatalf("%v allocations per delivery", n)
	}
	if f.distinct.Load() != 1001 || f.dups.Load() != 0 || r.errTotal.Load() != 0 {
		t.Errorf("distinct %d, dups %d, errors %v", f.distinct.Load(), f.dups.Load(), r.errors)
	}
}

// Expanding a send template into a reused buffer allocates nothing.
func TestTemplateExpandNoAllocs(t *testing.T) {
	tp, err := compileTemplate(`{"from":{{conn}},"seq":{{seq}},"t":{{now_us}},"r":"{{random 16}}","room":{{conn % 8}}}`, testEnv(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	v := tmplVars{conn: 12, now: time.Now(), text: true, rng: rand.NewPCG(1, 2)}
	buf := tp.expand(nil, &v)
	if n := testing.AllocsPerRun(1000, func() {
		v.seq++
		buf = tp.expand(buf[:0], &v)
	}); n != 0 {
		t.Fatalf("%v allocations per expansion", n)
	}
}
