package topic

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"testing"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestPublish covers who gets a publish: subscribers of the topic, on event
// loops or not, in order, minus the excluded session, and nobody else.
func TestPublish(t *testing.T) {
	for _, onLoop := range []bool{false, true} {
		t.Run(fmt.Sprintf("loop=%v", onLoop), func(t *testing.T) {
			var loop *fakeLoop
			if onLoop {
				loop = &fakeLoop{}
			}
			var h Hub
			a, b, c := newTestSession(session.Config{}, loop), newTestSession(session.Config{}, loop), newTestSession(session.Config{}, loop)
			for _, x := range []struct {
				ts    testSession
				topic string
			}{{a, "news"}, {b, "news"}, {b, "news"}, {c, "sport"}} {
				if err := h.Subscribe(x.ts.s, x.topic); err != nil {
					t.Fatal(err)
				}
			}
			must(t, h.Publish("news", frame.OpText, []byte("one"), nil))
			must(t, h.Publish("news", frame.OpBinary, []byte("two"), a.s))
			must(t, h.Publish("sport", frame.OpText, []byte("three"), nil))
			must(t, h.Publish("nobody", frame.OpText, []byte("four"), nil))
			if loop != nil {
				loop.run()
			}
			for _, x := range []struct {
				name string
				ts   testSession
				want []string
			}{
				{"a (excluded once)", a, []string{"one"}},
				{"b (subscribed twice)", b, []string{"one", "two"}},
				{"c (other topic)", c, []string{"three"}},
			} {
				got, code := x.ts.d.messages(t)
				if !slices.Equal(got, x.want) || code != 0 {
					t.Errorf("%s: got %q (close %d), want %q", x.name, got, code, x.want)
				}
			}
			if st := h.Stats(); st.Delivered != 4 || st.Published != 4 || st.Dropped != 0 {
				t.Errorf("stats %+v, want 4 published, 4 delivered", st)
			}
		})
	}
}

// TestPublishRefuses covers messages no session could send.
func TestPublishRefuses(t *testing.T) {
	var h Hub
	ts := newTestSession(session.Config{}, nil)
	must(t, h.Subscribe(ts.s, "t"))
	for _, c := range []struct {
		name    string
		op      frame.Opcode
		payload []byte
	}{
		{"ping", frame.OpPing, nil},
		{"continuation", frame.OpContinuation, []byte("x")},
		{"text not UTF-8", frame.OpText, []byte{0xff, 0xfe}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := h.Publish("t", c.op, c.payload, nil); !errors.Is(err, session.ErrInvalidFrame) {
				t.Fatalf("Publish = %v, want ErrInvalidFrame", err)
			}
		})
	}
	if got, _ := ts.d.messages(t); len(got) != 0 {
		t.Fatalf("refused messages were sent: %q", got)
	}
}

// TestUnsubscribe covers Unsubscribe and the end of a session: both remove
// the subscription from the loop's list, and the topic when it was the last.
func TestUnsubscribe(t *testing.T) {
	loop := &fakeLoop{}
	var h Hub
	a, b := newTestSession(session.Config{}, loop), newTestSession(session.Config{}, loop)
	must(t, h.Subscribe(a.s, "t"))
	must(t, h.Subscribe(b.s, "t"))
	must(t, h.Subscribe(b.s, "u"))
	loop.run()
	if n := h.subscriptions("t"); n != 2 {
		t.Fatalf("%d subscriptions of t, want 2", n)
	}
	h.Unsubscribe(a.s, "t")
	h.Unsubscribe(a.s, "never subscribed")
	must(t, h.Publish("t", frame.OpText, []byte("after"), nil))
	loop.run()
	if got, _ := a.d.messages(t); len(got) != 0 {
		t.Fatalf("unsubscribed session got %q", got)
	}
	if got, _ := b.d.messages(t); !slices.Equal(got, []string{"after"}) {
		t.Fatalf("subscriber got %q", got)
	}
	b.ep.Closed(nil) // the transport is gone: the session ends
	loop.run()
	for _, name := range []string{"t", "u"} {
		if n := h.subscriptions(name); n != 0 {
			t.Errorf("%d subscriptions of %s after the session ended", n, name)
		}
	}
	h.mu.RLock()
	left := len(h.topics)
	h.mu.RUnlock()
	if left != 0 {
		t.Errorf("%d topics left, want none", left)
	}
	if err := h.Subscribe(b.s, "t"); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Subscribe of an ended session = %v, want net.ErrClosed", err)
	}
}

// TestFanoutPerLoop covers loop-aware fan-out: publishes to subscribers on
// two loops post one task to each loop, however many publishes and
// subscribers, and each subscriber gets the publishes in one write.
func TestFanoutPerLoop(t *testing.T) {
	loops := []*fakeLoop{{}, {}}
	var h Hub
	var subs []testSession
	for i := 0; i < 20; i++ {
		ts := newTestSession(session.Config{}, loops[i%2])
		must(t, h.Subscribe(ts.s, "t"))
		subs = append(subs, ts)
	}
	for _, l := range loops {
		l.run()
	}
	before := []int{loops[0].postCount(), loops[1].postCount()}
	want := []string{"m0", "m1", "m2", "m3", "m4"}
	for _, m := range want {
		must(t, h.Publish("t", frame.OpText, []byte(m), nil))
	}
	for i, l := range loops {
		if n := l.postCount() - before[i]; n != 1 {
			t.Errorf("loop %d: %d tasks posted for 5 publishes, want 1", i, n)
		}
		l.run()
	}
	for i, ts := range subs {
		got, _ := ts.d.messages(t)
		if !slices.Equal(got, want) {
			t.Fatalf("subscriber %d got %q, want %q", i, got, want)
		}
		if n := ts.d.calls(); n != 1 {
			t.Errorf("subscriber %d: %d writes for 5 publishes, want 1", i, n)
		}
	}
}

// TestFanoutAcrossTopics: consecutive publishes to different topics also
// reach a session subscribed to several of them in one write, in publish
// order, and each other subscriber gets only its topics' messages, with
// the excluded sender left out.
func TestFanoutAcrossTopics(t *testing.T) {
	loop := &fakeLoop{}
	var h Hub
	both := newTestSession(session.Config{}, loop)
	onlyA := newTestSession(session.Config{}, loop)
	onlyB := newTestSession(session.Config{}, loop)
	must(t, h.Subscribe(both.s, "a"))
	must(t, h.Subscribe(both.s, "b"))
	must(t, h.Subscribe(onlyA.s, "a"))
	must(t, h.Subscribe(onlyB.s, "b"))
	loop.run()
	must(t, h.Publish("a", frame.OpText, []byte("a1"), nil))
	must(t, h.Publish("b", frame.OpText, []byte("b1"), nil))
	must(t, h.Publish("a", frame.OpText, []byte("a2"), onlyA.s))
	must(t, h.Publish("b", frame.OpText, []byte("b2"), nil))
	loop.run()
	for _, c := range []struct {
		name string
		ts   testSession
		want []string
	}{
		{"both", both, []string{"a1", "b1", "a2", "b2"}},
		{"a", onlyA, []string{"a1"}},
		{"b", onlyB, []string{"b1", "b2"}},
	} {
		got, _ := c.ts.d.messages(t)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s got %q, want %q", c.name, got, c.want)
		}
		if n := c.ts.d.calls(); n != 1 {
			t.Errorf("%s: %d writes for its messages of 4 publishes, want 1", c.name, n)
		}
	}
	if st := h.Stats(); st.Delivered != 7 {
		t.Errorf("stats %+v, want 7 delivered", st)
	}
}

// TestSlowSubscriber covers a subscriber that does not read: its
// Backpressure policy applies to it alone and is counted, and the others
// get every message.
func TestSlowSubscriber(t *testing.T) {
	const (
		backlog = 1 << 10
		msgs    = 100
		size    = 100
	)
	for _, c := range []struct {
		name       string
		policy     session.Backpressure
		wantClosed bool
	}{
		{"drop", session.BackpressureDrop, false},
		{"close", session.BackpressureClose, true},
		{"wait closes at twice the limit", session.BackpressureWait, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := session.Config{Backlog: backlog, Backpressure: c.policy}
			loop := &fakeLoop{}
			var h Hub
			slow := newTestSession(cfg, loop)
			slow.d.room = 0 // its peer never reads: the socket takes nothing
			var fast []testSession
			for i := 0; i < 4; i++ {
				ts := newTestSession(cfg, loop)
				must(t, h.Subscribe(ts.s, "t"))
				fast = append(fast, ts)
			}
			must(t, h.Subscribe(slow.s, "t"))
			var want []string
			for i := 0; i < msgs; i++ {
				m := fmt.Sprintf("%0*d", size, i)
				want = append(want, m)
				must(t, h.Publish("t", frame.OpBinary, []byte(m), nil))
				loop.run()
			}
			for i, ts := range fast {
				if got, _ := ts.d.messages(t); !slices.Equal(got, want) {
					t.Fatalf("fast subscriber %d got %d messages, want %d", i, len(got), len(want))
				}
			}
			st := h.Stats()
			if st.Delivered < 4*msgs {
				t.Errorf("delivered %d, want at least %d", st.Delivered, 4*msgs)
			}
			if c.wantClosed {
				if st.Closed != 1 || st.Dropped != 0 {
					t.Errorf("stats %+v, want one subscriber closed and none dropped", st)
				}
				if r := slow.s.CloseReason(); r.Code != frame.ClosePolicyViolation {
					t.Errorf("slow subscriber's close reason %v, want 1008", r)
				}
				return
			}
			// Drop: everything past the backlog limit is dropped, counted.
			if st.Closed != 0 || st.Dropped == 0 || st.Delivered+st.Dropped != 5*msgs {
				t.Errorf("stats %+v, want drops only, all %d accounted for", st, 5*msgs)
			}
			if r := slow.s.CloseReason(); r.Code != 0 {
				t.Errorf("slow subscriber closed (%v) under BackpressureDrop", r)
			}
		})
	}
}

// TestPublishAllocs is the allocation gate: a publish to subscribers on two
// loops, written to every one of them, allocates nothing in steady state.
func TestPublishAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	h, loops, subs := allocFixture(t, 100)
	payload := make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		_ = h.Publish("t", frame.OpBinary, payload, nil)
		_ = h.Publish("t", frame.OpBinary, payload, subs[0].s)
		for _, l := range loops {
			l.run()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per two publishes, want 0", allocs)
	}
	if st := h.Stats(); st.Delivered == 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v: nothing delivered, or drops", st)
	}
}

// TestPublishAcrossTopicsAllocs: publishes that alternate between topics,
// gathered per subscriber, allocate nothing either once the shard's tables
// have grown.
func TestPublishAcrossTopicsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	h, loops, subs := allocFixture(t, 100)
	for _, ts := range subs[:50] {
		must(t, h.Subscribe(ts.s, "u"))
	}
	for _, l := range loops {
		l.run()
	}
	payload := make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		_ = h.Publish("t", frame.OpBinary, payload, nil)
		_ = h.Publish("u", frame.OpBinary, payload, subs[0].s)
		_ = h.Publish("t", frame.OpBinary, payload, nil)
		for _, l := range loops {
			l.run()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per three publishes to two topics, want 0", allocs)
	}
}

// allocFixture returns a hub with n subscribers of "t" on two fake loops
// whose drivers keep no bytes.
func allocFixture(tb testing.TB, n int) (*Hub, []*fakeLoop, []testSession) {
	loops := []*fakeLoop{{}, {}}
	h := &Hub{}
	var subs []testSession
	for i := 0; i < n; i++ {
		ts := newTestSession(session.Config{}, loops[i%2])
		ts.d.discard = true
		if err := h.Subscribe(ts.s, "t"); err != nil {
			tb.Fatal(err)
		}
		subs = append(subs, ts)
	}
	for _, l := range loops {
		l.run()
	}
	return h, loops, subs
}

// BenchmarkPublish measures the hub's own cost of a publish to n subscribers
// on two loops (the drivers take the bytes without a system call): encode
// once, queue, and write to each subscriber.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{100, 10000} {
		for _, size := range []int{64, 1024} {
			b.Run(fmt.Sprintf("subs=%d/size=%d", n, size), func(b *testing.B) {
				h, loops, _ := allocFixture(b, n)
				payload := make([]byte, size)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					_ = h.Publish("t", frame.OpBinary, payload, nil)
					for _, l := range loops {
						l.run()
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
			})
		}
	}
}

// TestSubscriptionBytes measures what a subscription of an idle session
// costs the heap: the hub's records, the session's membership and the loop's
// list slot, for a first and a second topic.
func TestSubscriptionBytes(t *testing.T) {
	const n = 5000
	loops := []*fakeLoop{{}, {}}
	var h Hub
	subs := make([]testSession, n)
	for i := range subs {
		subs[i] = newTestSession(session.Config{}, loops[i%2])
	}
	measure := func(topic string) float64 {
		var before, after runtime.MemStats
		// Twice: the first moves what sync.Pools hold to their victim
		// caches, the second frees it, so that the measured collection
		// does not free it and make the difference negative.
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, ts := range subs {
			_ = h.Subscribe(ts.s, topic)
		}
		for _, l := range loops {
			l.run()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	}
	first, second := measure("first"), measure("second")
	t.Logf("bytes per subscription of an idle session: first topic %.0f, second topic %.0f", first, second)
	if first <= 0 || second <= 0 {
		t.Errorf("a subscription costs %.0f B (first) and %.0f B (second): the heap shrank, so the measurement says nothing", first, second)
	}
	if first > 112 || second > 80 {
		t.Errorf("a subscription costs %.0f B (first) and %.0f B (second), want at most 112 and 80", first, second)
	}
	runtime.KeepAlive(subs)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
