package main

import (
	"context"
	"io"
	"testing"
	"time"
)

func TestEchoCountsAndVerifies(t *testing.T) {
	cases := []struct {
		name  string
		depth int
		rate  float64
		text  bool
		procs int
	}{
		{name: "closed depth 1 binary", depth: 1},
		{name: "closed depth 4 text", depth: 4, text: true},
		{name: "open loop", depth: 1, rate: 200},
		{name: "two worker processes", depth: 2, procs: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := startServer(t, &corruptEcho{})
			o := testOptions("echo", url)
			o.depth, o.rate, o.text, o.procs = tc.depth, tc.rate, tc.text, tc.procs
			o.messages = 50
			res := runT(t, o)
			want := int64(o.conns) * o.messages
			if res.Connections.Opened != int64(o.conns) {
				t.Fatalf("opened %d, want %d", res.Connections.Opened, o.conns)
			}
			if res.Messages.Sent != want || res.Messages.Verified != want {
				t.Fatalf("sent %d verified %d, want %d each", res.Messages.Sent, res.Messages.Verified, want)
			}
			if res.ErrorTotal != 0 {
				t.Fatalf("errors %v", res.Errors)
			}
			if res.CloseCodes["1000"] != int64(o.conns) {
				t.Fatalf("close codes %v", res.CloseCodes)
			}
			if res.Latency.Count != res.Messages.Received || res.Latency.Count == 0 {
				t.Fatalf("latency count %d, received %d", res.Latency.Count, res.Messages.Received)
			}
			if res.Config.Procs != max(1, tc.procs) {
				t.Fatalf("procs %d", res.Config.Procs)
			}
		})
	}
}

// A server that corrupts one payload must be caught, and only that one.
func TestEchoReportsCorruption(t *testing.T) {
	cases := []struct {
		name string
		at   int
		xor  byte
		kind string
		alt  string // another acceptable kind, if any
	}{
		{name: "pattern byte", at: 40, xor: 1, kind: kindVerifyPayload},
		{name: "last byte", at: 63, xor: 0x20, kind: kindVerifyPayload},
		{name: "sequence byte", at: 7, xor: 1, kind: kindVerifyOrder},
		// A flipped timestamp bit either leaves the header alphabet ('A'^1
		// is '@') or shifts the pattern phase, depending on the clock:
		// both are the one verification error wanted.
		{name: "timestamp byte", at: 15, xor: 1, kind: kindVerifyPayload, alt: kindVerifyHeader},
		{name: "header byte outside alphabet", at: 0, xor: 0x80, kind: kindVerifyHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := startServer(t, &corruptEcho{n: 10, at: tc.at, xor: tc.xor})
			o := testOptions("echo", url)
			o.messages = 20
			res := runT(t, o)
			if res.Messages.VerifyErrors != 1 || res.Errors[tc.kind]+res.Errors[tc.alt] != 1 {
				t.Fatalf("verify errors %d, errors %v; want 1 %s", res.Messages.VerifyErrors, res.Errors, tc.kind)
			}
			if res.Messages.Verified != res.Messages.Sent-1 {
				t.Fatalf("verified %d of %d sent", res.Messages.Verified, res.Messages.Sent)
			}
			if res.ErrorTotal != 1 {
				t.Fatalf("error total %d: %v", res.ErrorTotal, res.Errors)
			}
		})
	}
}

func TestDemoFinishes(t *testing.T) {
	o := defaultOptions("demo")
	o.conns = 10
	o.duration = 700 * time.Millisecond
	o.warmup = 200 * time.Millisecond
	o.quiet = true
	o.jsonOut = true // keeps the banner off stderr
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := runDemo(ctx, &o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("demo took %v", el)
	}
	if res.Messages.Received == 0 || res.Throughput.MessagesPerSec <= 0 {
		t.Fatalf("demo measured nothing: %+v", res.Messages)
	}
	if res.Seconds < 0.6 || res.Seconds > 3 {
		t.Fatalf("measured window %.2fs, want about 0.7s", res.Seconds)
	}
	if res.ErrorTotal != 0 {
		t.Fatalf("errors %v", res.Errors)
	}
}

// TestOpenLoopPaces checks that --rate sends what it promises: conns × rate ×
// duration messages, give or take the run's edges, every one verified.
func TestOpenLoopPaces(t *testing.T) {
	url := startServer(t, &corruptEcho{})
	o := testOptions("echo", url)
	o.conns, o.rate, o.duration = 40, 50, time.Second
	defer pinnedAs(1)()
	res := runT(t, o)
	// Senders run from the first connection until the run stops them,
	// which under -race on a loaded machine can be a few hundred
	// milliseconds after the measured second (the measured window itself
	// then lasts 1.3 s on two CPUs), so the promise is per second the
	// window really lasted; a pacing bug is off by 2x.
	window := max(o.duration.Seconds(), res.Seconds)
	want := float64(o.conns) * o.rate * window // 2,000 for an exact second
	if got := float64(res.Messages.Sent); got < 0.75*want || got > 1.35*want {
		t.Fatalf("sent %v messages, want about %v", got, want)
	}
	if res.Messages.Verified != res.Messages.Sent || res.ErrorTotal != 0 {
		t.Fatalf("verified %d of %d, errors %v", res.Messages.Verified, res.Messages.Sent, res.Errors)
	}
	// Every send of the measured window has its lateness recorded, and a
	// pinned open loop busy-polls by default.
	sl := res.SendLateness
	if sl == nil || sl.Count < int64(0.5*want) || sl.Count > res.Messages.Sent {
		t.Fatalf("send lateness %+v for %d sent, want about %v samples", sl, res.Messages.Sent, want)
	}
	if want := autoBusyPoll(o.conns, o.rate).Seconds(); res.Config.BusyPoll != want || want == 0 {
		t.Fatalf("busy_poll_s %v, want the open-loop default %v", res.Config.BusyPoll, want)
	}
}

// TestAutoBusyPoll: the open loop's default spans two wake-ups of a sender
// (4 senders share the connections), within 1–20 ms.
func TestAutoBusyPoll(t *testing.T) {
	for _, tt := range []struct {
		conns int
		rate  float64
		want  time.Duration
	}{
		{conns: 10000, rate: 5, want: time.Millisecond},    // a sender every 80 µs
		{conns: 1000, rate: 1, want: 8 * time.Millisecond}, // every 4 ms
		{conns: 2, rate: 100, want: 20 * time.Millisecond}, // every 10 ms, capped
		{conns: 10, rate: 1, want: 20 * time.Millisecond},  // every 400 ms, capped
		{conns: 1, rate: 1000, want: 2 * time.Millisecond}, // one sender, every 1 ms
		{conns: 100000, rate: 100, want: time.Millisecond}, // floor
	} {
		if got := autoBusyPoll(tt.conns, tt.rate); got != tt.want {
			t.Errorf("autoBusyPoll(%d, %v) = %v, want %v", tt.conns, tt.rate, got, tt.want)
		}
	}
}

// pinnedAs makes wsbench see itself pinned to cpus CPUs (0: not pinned)
// until the returned function restores the real check.
func pinnedAs(cpus int) (restore func()) {
	old := pinnedCPUs
	pinnedCPUs = func() int { return cpus }
	return func() { pinnedCPUs = old }
}

// TestBusyPollFlag: --busy-poll defaults to a window in open loop only, and
// only when wsbench is pinned to CPUs and its processes' loops do not
// outnumber them; an explicit value wins, and a negative one is a usage
// error.
func TestBusyPollFlag(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		cpus  int // pinned to this many CPUs; 0: not pinned
		procs int
		want  time.Duration
		bad   bool
	}{
		{name: "closed loop default", args: nil, cpus: 1, want: 0},
		{name: "open loop default, pinned", args: []string{"--rate", "5", "--loops", "1"}, cpus: 1, want: autoBusyPoll(100, 5)},
		{name: "open loop default, not pinned", args: []string{"--rate", "5", "--loops", "1"}, want: 0},
		{name: "open loop default, two procs on one CPU", args: []string{"--rate", "5", "--loops", "1"}, cpus: 1, procs: 2, want: 0},
		{name: "open loop default, two procs on two CPUs", args: []string{"--rate", "5", "--loops", "1"}, cpus: 2, procs: 2, want: autoBusyPoll(100, 5)},
		{name: "open loop default, more loops than CPUs", args: []string{"--rate", "5", "--loops", "3"}, cpus: 2, want: 0},
		{name: "open loop off", args: []string{"--rate", "5", "--busy-poll", "0"}, cpus: 1, want: 0},
		{name: "open loop on, not pinned", args: []string{"--rate", "5", "--busy-poll", "3ms"}, want: 3 * time.Millisecond},
		{name: "closed loop on", args: []string{"--busy-poll", "250us"}, want: 250 * time.Microsecond},
		{name: "auto", args: []string{"--rate", "5", "--loops", "1", "--busy-poll", "2ms", "--busy-poll", "auto"}, cpus: 1, want: autoBusyPoll(100, 5)},
		{name: "negative", args: []string{"--busy-poll", "-1ms"}, bad: true},
		{name: "not a duration", args: []string{"--busy-poll", "fast"}, bad: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer pinnedAs(tt.cpus)()
			o := defaultOptions("echo")
			fs := newFlagSet("echo", &o, false, io.Discard)
			_, err := parseArgs(fs, append(tt.args, "ws://127.0.0.1:1/"))
			if err == nil {
				err = o.validate()
			}
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want error %v", err, tt.bad)
			}
			if tt.bad {
				return
			}
			o.resolveBusyPoll(max(tt.procs, 1))
			if o.busyPoll.d != tt.want {
				t.Fatalf("busy-poll %v, want %v", o.busyPoll.d, tt.want)
			}
			// A worker process gets the settled value.
			w := defaultOptions("echo")
			if err := w.busyPoll.Set(o.busyPoll.String()); err != nil || w.busyPoll.d != tt.want {
				t.Fatalf("worker flag %q: %v, %v", o.busyPoll.String(), w.busyPoll.d, err)
			}
		})
	}
}
