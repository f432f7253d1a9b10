package session_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// deflatePair negotiates permessage-deflate (no context takeover, the
// default) between a client and a server, as the engine does.
func deflatePair(tb testing.TB) (client, server extension.Extension) {
	tb.Helper()
	cf, sf := deflate.New(deflate.Config{Threshold: -1}), deflate.New(deflate.Config{})
	resp, se, ok, err := sf.Accept(cf.Offer())
	if err != nil || !ok {
		tb.Fatalf("Accept: ok %v, %v", ok, err)
	}
	ce, err := cf.Confirm(resp)
	if err != nil {
		tb.Fatalf("Confirm: %v", err)
	}
	return ce, se
}

// compressedMessage returns the wire form of a masked, compressed text
// message of payload, as a client with deflate sends it.
func compressedMessage(tb testing.TB, payload []byte) []byte {
	tb.Helper()
	client, _ := deflatePair(tb)
	z, rsv, err := client.EncodeMessage(nil, payload)
	if err != nil || rsv == 0 {
		tb.Fatalf("EncodeMessage: rsv %d, %v", rsv, err)
	}
	h := frame.Header{Fin: true, Op: frame.OpText, Rsv: rsv, Length: int64(len(z)), Masked: true}
	return append(frame.AppendHeader(nil, &h), z...)
}

// deflateRequest is a server request that negotiated deflate.
func deflateRequest(tb testing.TB) *session.Request {
	_, server := deflatePair(tb)
	return &session.Request{Extensions: []extension.Extension{server}}
}

// BenchmarkReceiveCompressed feeds one compressed single-frame text message
// per op to an inline handler that does nothing: the common path of a
// permessage-deflate session (inflate, UTF-8 check, delivery).
func BenchmarkReceiveCompressed(b *testing.B) {
	for _, n := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("server/text/%d", n), func(b *testing.B) {
			wire := compressedMessage(b, benchPayload(n))
			var count int
			_, ep := newSession(b, session.Config{}, countHandler{n: &count}, seam.Server, &discardDriver{}, deflateRequest(b))
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				// Feed unmasks in place: give it a fresh copy each time.
				if err := ep.Feed(append(scratch[:0], wire...)); err != nil {
					b.Fatal(err)
				}
			}
			if count == 0 {
				b.Fatal("nothing delivered")
			}
		})
	}
}

var scratch = make([]byte, 0, 64<<10)

// fakeLoop is an event loop (seam.Loop) driven by the test: what is posted
// waits until the test runs it, one turn at a time, so a test sees exactly
// what happens between two turns.
type fakeLoop struct {
	mu      sync.Mutex
	q       []seam.Runner
	stopped bool // Post runs the runner at once, as a stopped loop does
}

func (l *fakeLoop) Post(r seam.Runner) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		r.Run()
		return
	}
	l.q = append(l.q, r)
	l.mu.Unlock()
}

// queued returns how many runners wait.
func (l *fakeLoop) queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.q)
}

// turn runs the first posted runner and reports whether there was one.
func (l *fakeLoop) turn() bool {
	l.mu.Lock()
	if len(l.q) == 0 {
		l.mu.Unlock()
		return false
	}
	r := l.q[0]
	l.q = l.q[1:]
	l.mu.Unlock()
	r.Run()
	return true
}

// drain runs turns until nothing is posted and returns how many ran.
func (l *fakeLoop) drain(t *testing.T) int {
	t.Helper()
	n := 0
	for l.turn() {
		if n++; n > 10000 {
			t.Fatal("the decode never ends")
		}
	}
	return n
}

// loopDriver is a memDriver whose session is served by a fakeLoop
// (seam.LoopDriver).
type loopDriver struct {
	*memDriver
	*fakeLoop
}

func newLoopDriver() *loopDriver { return &loopDriver{newMemDriver(), &fakeLoop{}} }

func (d *loopDriver) Loop() seam.Loop { return d.fakeLoop }

// lastPause is the last PauseRead argument, false if none.
func (d *loopDriver) lastPause() bool {
	l := d.pauseLog()
	return len(l) > 0 && l[len(l)-1]
}

// compressible returns n bytes of text that deflate shrinks about 300 times,
// varied by seed so a wrong byte shows.
func compressible(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := bytes.Repeat([]byte("surge "), n/6+1)[:n]
	for i := 0; i < n/(64<<10)+1; i++ {
		b[r.IntN(n)] = 'a' + byte(r.IntN(26))
	}
	return b
}

// TestInflateInSteps: on an event loop, a message that inflates to several
// steps is inflated one step per turn of the loop, with reading paused; the
// message after it in the same read waits, and both arrive whole and in
// order, in every dispatch mode.
func TestInflateInSteps(t *testing.T) {
	after := strings.Repeat("after the big one; ", 8)
	big := compressible(3<<20, 1)
	wire := append(compressedMessage(t, big), compressedMessage(t, []byte(after))...)
	wire = append(wire, encodeFrom(seam.Server, msg(frame.OpText, "plain"))...)
	for _, mode := range []string{"inline", "pool", "channel"} {
		t.Run(mode, func(t *testing.T) {
			d := newLoopDriver()
			cfg := session.Config{MaxMessageSize: 8 << 20}
			var s *session.Session
			var ep seam.Endpoint
			var got func() []string
			switch mode {
			case "channel":
				s, ep = newSession(t, cfg, nil, seam.Server, d, deflateRequest(t))
				var mu sync.Mutex
				var msgs []string
				go func() {
					for f := range s.Incoming() {
						mu.Lock()
						msgs = append(msgs, opTag(f.Op)+string(f.Payload))
						mu.Unlock()
						f.Release()
					}
				}()
				got = func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(msgs) }
			default:
				if mode == "pool" {
					cfg.Dispatch = session.DispatchPool
				}
				rec := newRecorder()
				s, ep = newSession(t, cfg, rec, seam.Server, d, deflateRequest(t))
				got = rec.messages
			}
			defer ep.Closed(io.EOF)
			if err := ep.Feed(bytes.Clone(wire)); err != nil {
				t.Fatal(err)
			}
			if !d.lastPause() {
				t.Fatalf("reading not paused during the decode: pauses %v", d.pauseLog())
			}
			if n, _ := session.RxBuffered(s); n == 0 {
				t.Fatal("the bytes after the big message were not kept")
			}
			turns := 0
			for d.turn() {
				turns++
				if m := got(); len(m) != 0 && turns < 8 {
					t.Fatalf("delivered %d messages after %d turns", len(m), turns)
				}
				if turns > 100 {
					t.Fatal("the decode never ends")
				}
			}
			// 3 MiB in 256 KiB steps, the first one in Feed.
			if want := (3<<20)/(256<<10) - 1; turns < want {
				t.Fatalf("decoded in %d turns, want at least %d", turns, want)
			}
			want := []string{"t:" + string(big), "t:" + after, "t:plain"}
			deadline := time.Now().Add(10 * time.Second)
			for len(got()) < len(want) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if m := got(); !slices.Equal(m, want) {
				t.Fatalf("delivered %d messages (%v...), want the big one, then 2 more", len(m), lens(m))
			}
			if d.lastPause() {
				t.Fatalf("reading still paused: pauses %v", d.pauseLog())
			}
			if n, c := session.RxBuffered(s); n != 0 || c != 0 {
				t.Fatalf("receive side holds %d bytes (%d capacity) after the decode", n, c)
			}
		})
	}
}

func lens(m []string) []int {
	var n []int
	for _, x := range m {
		n = append(n, len(x))
	}
	return n
}

// TestInflateInStepsSplitReads: the same messages fed in random splits,
// with a loop turn after every read, even those that arrive while reading
// is paused (a driver may have read before it saw the pause): the bytes wait
// their turn and the messages come out whole and in order.
func TestInflateInStepsSplitReads(t *testing.T) {
	big := compressible(1<<20, 2)
	var wire []byte
	var want []string
	for i := range 3 {
		small := strings.Repeat(fmt.Sprintf("small %d; ", i), 10)
		wire = append(wire, compressedMessage(t, big)...)
		wire = append(wire, compressedMessage(t, []byte(small))...)
		want = append(want, "t:"+string(big), "t:"+small)
	}
	r := rand.New(rand.NewPCG(9, 9))
	for run := range 20 {
		d := newLoopDriver()
		rec := newRecorder()
		_, ep := newSession(t, session.Config{}, rec, seam.Server, d, deflateRequest(t))
		in := bytes.Clone(wire)
		for len(in) > 0 {
			n := min(len(in), 1+r.IntN(64<<10))
			if err := ep.Feed(in[:n]); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			in = in[n:]
			d.turn()
		}
		d.drain(t)
		if m := rec.messages(); !slices.Equal(m, want) {
			t.Fatalf("run %d: delivered %v bytes, want %v", run, lens(m), lens(want))
		}
		ep.Closed(io.EOF)
	}
}

// TestInflateInStepsLimit: a bomb that inflates past the message limit
// fails with 1009 after about limit/step turns, and nothing is delivered.
func TestInflateInStepsLimit(t *testing.T) {
	d := newLoopDriver()
	rec := newRecorder()
	_, ep := newSession(t, session.Config{MaxMessageSize: 2 << 20}, rec, seam.Server, d, deflateRequest(t))
	defer ep.Closed(io.EOF)
	bomb := compressedMessage(t, make([]byte, 64<<20))
	if err := ep.Feed(bomb); err != nil {
		t.Fatalf("Feed: %v (the decode should go on in later turns)", err)
	}
	turns := d.drain(t)
	if turns < 4 || turns > 12 {
		t.Fatalf("failed after %d turns, want about 2 MiB / 256 KiB", turns)
	}
	if m := rec.messages(); len(m) != 0 {
		t.Fatalf("delivered %v bytes", lens(m))
	}
	fs := d.frames(t)
	if len(fs) != 1 || fs[0].Op != frame.OpClose || frame.CloseCode(uint16(fs[0].Payload[0])<<8|uint16(fs[0].Payload[1])) != frame.CloseMessageTooBig {
		t.Fatalf("wrote %v, want one close frame with 1009", fs)
	}
}

// TestInflateInStepsSessionEnds: a session that ends between two steps
// gives back the decoder and every buffer at the next turn, delivers
// nothing and does not resume reading.
func TestInflateInStepsSessionEnds(t *testing.T) {
	before := bufpool.InUse()
	d := newLoopDriver()
	rec := newRecorder()
	s, ep := newSession(t, session.Config{}, rec, seam.Server, d, deflateRequest(t))
	wire := append(compressedMessage(t, compressible(4<<20, 3)), compressedMessage(t, bytes.Repeat([]byte("next "), 20))...)
	if err := ep.Feed(wire); err != nil {
		t.Fatal(err)
	}
	d.turn()
	ep.Closed(io.ErrUnexpectedEOF)
	if n := d.drain(t); n != 1 {
		t.Fatalf("%d turns after the end, want 1", n)
	}
	if m := rec.messages(); len(m) != 0 {
		t.Fatalf("delivered %v bytes after the end", lens(m))
	}
	if !d.lastPause() {
		t.Fatalf("reading resumed after the end: pauses %v", d.pauseLog())
	}
	if n, c := session.RxBuffered(s); n != 0 || c != 0 {
		t.Fatalf("receive side holds %d bytes (%d capacity)", n, c)
	}
	// Other tests' goroutines may still hold buffers for a moment.
	deadline := time.Now().Add(10 * time.Second)
	for bufpool.InUse() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := bufpool.InUse(); n > before {
		t.Fatalf("%d pooled buffers not given back", n-before)
	}
}

// TestReceiveCompressedNoAllocs: a small compressed message, inflated in
// one step, costs no allocation on an event loop driver either.
func TestReceiveCompressedNoAllocs(t *testing.T) {
	skipIfRace(t)
	wire := compressedMessage(t, benchPayload(16<<10))
	var count int
	_, ep := newSession(t, session.Config{}, countHandler{n: &count}, seam.Server, &loopDiscard{}, deflateRequest(t))
	buf := make([]byte, 0, len(wire))
	feed := func() {
		if err := ep.Feed(append(buf[:0], wire...)); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		feed()
	}
	if a := testing.AllocsPerRun(200, feed); a != 0 {
		t.Fatalf("%v allocs per compressed message, want 0", a)
	}
	if count != 211 { // AllocsPerRun runs feed once more to warm up
		t.Fatalf("delivered %d messages, want 211", count)
	}
}

// loopDiscard is a discardDriver that says it is on an event loop, whose
// loop must never be needed.
type loopDiscard struct{ discardDriver }

func (d *loopDiscard) Loop() seam.Loop { return d }

func (d *loopDiscard) Post(seam.Runner) { panic("a small message was not inflated in one step") }

// TestInflateInStepsStoppedLoop: a loop that stops while a message is
// inflated in steps runs the rest at once (seam.Loop's rule for a stopped
// loop), iteratively: the message and the one after it are still delivered,
// and the stack stays flat.
func TestInflateInStepsStoppedLoop(t *testing.T) {
	d := newLoopDriver()
	var depth int
	rec := newRecorder()
	rec.onMessage = func(*session.Session, session.Frame) {
		var pcs [512]uintptr
		depth = max(depth, runtime.Callers(0, pcs[:]))
	}
	_, ep := newSession(t, session.Config{MaxMessageSize: 64 << 20}, rec, seam.Server, d, deflateRequest(t))
	defer ep.Closed(io.EOF)
	big := compressible(40<<20, 4) // 160 steps: a recursion would show
	after := strings.Repeat("after; ", 20)
	if err := ep.Feed(append(compressedMessage(t, big), compressedMessage(t, []byte(after))...)); err != nil {
		t.Fatal(err)
	}
	d.fakeLoop.mu.Lock()
	d.stopped = true
	d.fakeLoop.mu.Unlock()
	if n := d.drain(t); n != 1 {
		t.Fatalf("%d runners queued after the loop stopped, want the 1 before", n)
	}
	if m := rec.messages(); len(m) != 2 || m[0] != "t:"+string(big) || m[1] != "t:"+after {
		t.Fatalf("delivered %v bytes, want %d and %d", lens(m), len(big)+2, len(after)+2)
	}
	if depth > 100 {
		t.Fatalf("delivered %d frames deep: the steps recursed", depth)
	}
}

// TestInflateInStepsOnePerLoop: messages of several sessions of one loop
// that need steps are inflated one after the other, in the order they
// came, one step per turn: the loop never holds more than one partly
// inflated message, however many peers send bombs at once.
func TestInflateInStepsOnePerLoop(t *testing.T) {
	lp := &fakeLoop{}
	const sessions = 4
	var recs [sessions]*recorder
	var eps [sessions]seam.Endpoint
	msgs := make([][]byte, sessions)
	for i := range sessions {
		recs[i] = newRecorder()
		_, eps[i] = newSession(t, session.Config{}, recs[i], seam.Server, &loopDriver{newMemDriver(), lp}, deflateRequest(t))
		defer eps[i].Closed(io.EOF)
		msgs[i] = compressible(1<<20, uint64(10+i))
	}
	before := bufpool.InUse()
	for i := range sessions {
		if err := eps[i].Feed(compressedMessage(t, msgs[i])); err != nil {
			t.Fatal(err)
		}
	}
	// Each waiting message holds its compressed bytes and an empty output
	// buffer; the first also its decoder's.
	if held := bufpool.InUse() - before; held > 2*sessions+4 {
		t.Fatalf("%d pooled buffers held by %d waiting messages", held, sessions)
	}
	delivered := func() (n int) {
		for _, r := range recs {
			n += len(r.messages())
		}
		return n
	}
	turns := 0
	for {
		if q := lp.queued(); q > 1 {
			t.Fatalf("%d decodes queued on the loop at once, want 1", q)
		}
		// Session i is delivered before session i+1 begins.
		n := delivered()
		for i := range sessions {
			if got := len(recs[i].messages()); got != btoi(i < n) {
				t.Fatalf("after %d turns: session %d has %d messages, %d delivered in all", turns, i, got, n)
			}
		}
		if !lp.turn() {
			break
		}
		if turns++; turns > 1000 {
			t.Fatal("the decodes never end")
		}
	}
	for i, r := range recs {
		if m := r.messages(); len(m) != 1 || m[0] != "t:"+string(msgs[i]) {
			t.Fatalf("session %d: delivered %v bytes", i, lens(m))
		}
	}
	if turns < sessions*((1<<20)/(256<<10)) {
		t.Fatalf("%d turns for %d MiB, want one per 256 KiB at least", turns, sessions)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestInflateInStepsNotBehindBombs: while a loop steps through a bomb, a
// message of another session that inflates in one step is delivered at
// once, not queued behind it.
func TestInflateInStepsNotBehindBombs(t *testing.T) {
	lp := &fakeLoop{}
	bombRec, rec := newRecorder(), newRecorder()
	_, bombEP := newSession(t, session.Config{}, bombRec, seam.Server, &loopDriver{newMemDriver(), lp}, deflateRequest(t))
	defer bombEP.Closed(io.EOF)
	_, ep := newSession(t, session.Config{}, rec, seam.Server, &loopDriver{newMemDriver(), lp}, deflateRequest(t))
	defer ep.Closed(io.EOF)
	if err := bombEP.Feed(compressedMessage(t, make([]byte, 16<<20))); err != nil {
		t.Fatal(err)
	}
	lp.turn()
	medium := compressible(200<<10, 5)
	if err := ep.Feed(compressedMessage(t, medium)); err != nil {
		t.Fatal(err)
	}
	if m := rec.messages(); len(m) != 1 || m[0] != "t:"+string(medium) {
		t.Fatalf("delivered %v bytes while the bomb steps, want the 200 KiB message", lens(m))
	}
	if lp.drain(t) < (16<<20)/(256<<10)-2 {
		t.Fatal("the bomb was not inflated in steps")
	}
}
