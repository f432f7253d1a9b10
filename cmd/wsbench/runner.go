package main

import (
	"context"
	"os"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// hooks connect a process's run to whoever reports it: the local collector,
// or the parent process through a worker's stdout and stdin.
type hooks struct {
	// tick receives one sample per second; t.h is only valid during the call.
	tick func(t tick)
	// phase is told "connected", "measure_start" and "measure_end".
	phase func(name string)
	// waitGo blocks after the connect phase until traffic may start; false
	// aborts the run.
	waitGo func(ctx context.Context) bool
}

// runner drives the connections of one process through the phases of a run.
type runner struct {
	o     *options
	hk    hooks
	rs    *runState
	cs    []conn
	st    connectStats
	self  *sampler
	total *hdr.Histogram // measured window
	late  *hdr.Histogram // open loop: how late the senders sent, measured window
	sec   interval       // the current second
	tmp   interval
	res   workerResult

	goTime   time.Time
	lastTick time.Time
	k        int
	stop     chan struct{} // closed when the measured window ends
}

// runProcess runs n connections numbered from offset: connect, wait for go,
// traffic or hold, drain, close. It returns what was measured even when ctx
// is cancelled midway (Result.Interrupted).
func runProcess(ctx context.Context, o *options, n, offset int, hk hooks) (*workerResult, error) {
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: o.loops, BusyPoll: o.busyPoll.d})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	total := o.workerTotal
	if total == 0 {
		total = o.conns
	}
	sources, err := sourcesFor(o.url, total, o.sources)
	if err != nil {
		return nil, err
	}
	sendCtx, cancelSends := context.WithCancel(context.Background())
	defer cancelSends()
	r := &runner{
		o: o, hk: hk,
		rs:    newRunState(sendCtx, o),
		self:  newSampler(os.Getpid(), time.Now()),
		total: newHist(),
		late:  newHist(),
		sec:   interval{hist: newHist()},
		tmp:   interval{hist: newHist()},
		stop:  make(chan struct{}),
	}
	r.st.handshake = newHist()
	r.cs = newConns(r.rs, o, n, offset)
	r.res.Type = "result"

	r.connect(ctx, d, sources)
	opened := r.st.opened.Load()
	r.rs.expectDone(opened)
	if opened > 0 && hk.waitGo(ctx) && ctx.Err() == nil {
		r.traffic(ctx)
	}
	r.closeAll()
	r.finish(ctx)
	if opened == 0 {
		return &r.res, errNoConnections
	}
	return &r.res, nil
}

// connect dials every connection, reporting progress once a second.
func (r *runner) connect(ctx context.Context, d *engine.Dialer, sources int) {
	done := make(chan struct{})
	go func() {
		connectAll(ctx, r.o, d, r.cs, sources, &r.st)
		close(done)
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	k := 0
	last := time.Now()
	emit := func() {
		now := time.Now()
		r.hk.tick(tick{Type: "tick", Group: "connect", K: k, Phase: "connect", Elapsed: now.Sub(last).Seconds(),
			Conns: r.st.opened.Load() - r.rs.closedConns.Load(), Errors: r.rs.errorCount()})
		last = now
		k++
	}
	for {
		select {
		case <-t.C:
			emit()
		case <-done:
			emit()
			r.hk.phase("connected")
			return
		}
	}
}

// cut moves what the shards measured into the current second and, in the
// measured window, into the totals.
func (r *runner) cut() {
	r.tmp.hist.Reset()
	r.tmp.verified, r.tmp.received, r.tmp.bytes = 0, 0, 0
	r.rs.drain(&r.tmp)
	r.sec.hist.Merge(r.tmp.hist)
	r.sec.verified += r.tmp.verified
	r.res.Verified += r.tmp.verified
	if r.rs.phase.Load() == phaseMeasure {
		r.total.Merge(r.tmp.hist)
		r.res.Received += r.tmp.received
		r.res.Bytes += r.tmp.bytes
	}
}

// emit ends the current second.
func (r *runner) emit() {
	r.cut()
	now := time.Now()
	ph := phaseNames[r.rs.phase.Load()]
	if r.rs.mode == modeIdle && ph == "measure" {
		ph = "hold"
	}
	r.hk.tick(tick{Type: "tick", Group: "traffic", K: r.k, Phase: ph, Elapsed: now.Sub(r.lastTick).Seconds(),
		Conns: r.st.opened.Load() - r.rs.closedConns.Load(), Received: r.sec.verified,
		Errors: r.rs.errorCount(), h: r.sec.hist})
	r.self.take("")
	r.sec.hist.Reset()
	r.sec.verified = 0
	r.lastTick = now
	r.k++
}

// wait emits a tick every second since go until d passes (d < 0: no limit),
// until also is closed, or ctx ends. It reports false when ctx ended.
func (r *runner) wait(ctx context.Context, d time.Duration, also <-chan struct{}) bool {
	var deadline <-chan time.Time
	if d >= 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		deadline = tm.C
	}
	for {
		next := r.goTime.Add(time.Duration(r.k+1) * time.Second)
		tk := time.NewTimer(time.Until(next))
		select {
		case <-tk.C:
			r.emit()
			continue
		case <-deadline:
		case <-also:
		case <-ctx.Done():
			tk.Stop()
			return false
		}
		tk.Stop()
		return true
	}
}

func (r *runner) setPhase(p int32) {
	r.cut()
	r.rs.phase.Store(p)
}

// traffic runs warmup, the measured window and the drain.
func (r *runner) traffic(ctx context.Context) {
	o, rs := r.o, r.rs
	r.goTime = time.Now()
	r.lastTick = r.goTime
	var senders sync.WaitGroup
	if rs.mode != modeIdle {
		if o.warmup > 0 {
			r.setPhase(phaseWarmup)
		} else {
			r.beginMeasure()
		}
		if rs.mode == modeClosed {
			now := uint64(rs.now())
			for i := range r.cs {
				c := &r.cs[i]
				for j := 0; j < o.depth && c.sess != nil; j++ {
					if !c.sendNext(c.sess, now) {
						break
					}
				}
			}
		} else {
			r.startSenders(&senders)
		}
		if o.warmup > 0 {
			if !r.wait(ctx, o.warmup, nil) {
				r.res.Interrupted = true
			}
			if !r.res.Interrupted {
				r.beginMeasure()
			}
		}
	} else {
		r.beginMeasure()
	}

	if !r.res.Interrupted {
		d := o.duration
		if o.messages > 0 && !o.durationSet {
			d = -1
		}
		var done <-chan struct{} = rs.doneCh
		if rs.mode == modeIdle {
			done = nil // hold the full duration even if every conn ended
		}
		if !r.wait(ctx, d, done) {
			r.res.Interrupted = true
		}
	}
	if rs.mode == modeIdle && !r.res.Interrupted {
		r.liveness(ctx)
	}
	r.cut()
	m := r.self.take("measure_end")
	r.hk.phase("measure_end")
	if s, ok := r.self.mark("measure_start"); ok {
		r.res.Window = m.at.Sub(s.at).Seconds()
		r.res.ClientCPU = m.cpu - s.cpu
	}
	r.setPhase(phaseStopping)
	close(r.stop)
	senders.Wait()
	r.drainInFlight(ctx)
}

func (r *runner) beginMeasure() {
	r.setPhase(phaseMeasure)
	r.self.take("measure_start")
	r.hk.phase("measure_start")
}

// liveness sends one message on every open connection and waits (at most
// --timeout) for each to come back verified.
func (r *runner) liveness(ctx context.Context) {
	now := uint64(r.rs.now())
	for i := range r.cs {
		c := &r.cs[i]
		if c.sess != nil && !c.ended.Load() {
			c.sendNext(c.sess, now)
		}
	}
	r.wait(ctx, r.o.timeout, r.rs.doneCh)
}

// senderGroups is the number of open-loop sender goroutines for conns
// connections.
func senderGroups(conns int) int { return max(1, min(4, conns)) }

// startSenders starts the open-loop senders: a few goroutines, each pacing
// a share of the connections. A message is stamped with the time it was due,
// not the time it left, so a server that stalls the sender is charged for
// the wait (no coordinated omission).
//
// Every connection has the same interval and the first sends are staggered
// by index, so a group's connections stay in due order forever: each sender
// walks them with a cursor and sleeps until the next one is due, O(1) per
// message. (Scanning the whole group on every wake-up cost a core at 10,000
// connections × 5/s, and the load generator's lag showed up as server
// latency.) Each sender records how late it sent every message of the
// measured window: that is the generator's own error, which the latency
// includes, reported as send_lateness.
func (r *runner) startSenders(wg *sync.WaitGroup) {
	groups := senderGroups(len(r.cs))
	interval := int64(float64(time.Second) / r.o.rate)
	start := r.rs.now()
	var mu sync.Mutex // guards r.late
	for g := 0; g < groups; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var idx []int
			var next []int64
			for i := g; i < len(r.cs); i += groups {
				idx = append(idx, i)
				// Stagger first sends over one interval.
				next = append(next, start+interval*int64(i)/int64(len(r.cs)))
			}
			done := make([]bool, len(idx)) // --messages reached
			late := newHist()
			defer func() {
				mu.Lock()
				r.late.Merge(late)
				mu.Unlock()
			}()
			pace := newPacer(r.stop, r.o.busyPoll.d)
			defer pace.close()
			j := 0
			for {
				// Send everything due, in due order; a sender that fell
				// behind catches up here, each message with its own stamp.
				now := r.rs.now()
				for next[j] <= now {
					c := &r.cs[idx[j]]
					if !done[j] && c.sess != nil && !c.ended.Load() {
						if r.rs.phase.Load() == phaseMeasure {
							recordMicros(late, (r.rs.now()-next[j])/nsPerMicro)
						}
						done[j] = !c.sendNext(c.sess, uint64(next[j]))
					}
					next[j] += interval
					if j++; j == len(idx) {
						// A sender that cannot keep up must still stop.
						select {
						case <-r.stop:
							return
						default:
						}
						j = 0
						now = r.rs.now()
					}
				}
				if !pace.sleep(time.Duration(next[j] - r.rs.now())) {
					return
				}
			}
		}()
	}
}

// outstanding counts messages sent but not answered on open connections.
func (r *runner) outstanding() (n int64) {
	for i := range r.cs {
		c := &r.cs[i]
		if c.sess == nil || c.ended.Load() {
			continue
		}
		c.mu.Lock()
		sent := c.sent
		c.mu.Unlock()
		if d := sent - c.recv.Load(); d > 0 {
			n += d
		}
	}
	return n
}

// drainInFlight waits (at most --timeout, less when interrupted) for the
// echoes of messages already sent, so that sent and verified agree.
func (r *runner) drainInFlight(ctx context.Context) {
	limit := r.o.timeout
	if r.res.Interrupted {
		limit = min(limit, time.Second)
	}
	deadline := time.Now().Add(limit)
	for r.outstanding() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := r.outstanding(); n > 0 {
		r.rs.countError(kindUnanswered, n)
	}
	r.cut()
}

// closeAll closes every open session normally and waits (bounded) for the
// closing handshakes.
func (r *runner) closeAll() {
	r.rs.phase.Store(phaseClosing)
	opened := r.st.opened.Load()
	for i := range r.cs {
		if s := r.cs[i].sess; s != nil {
			_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "wsbench done"})
		}
	}
	deadline := time.Now().Add(r.o.timeout)
	for r.rs.closedConns.Load() < opened && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !r.goTime.IsZero() {
		r.emit()
	}
}

// finish fills the process result.
func (r *runner) finish(ctx context.Context) {
	res := &r.res
	if ctx.Err() != nil {
		res.Interrupted = true
	}
	res.Attempted = r.st.attempted
	res.Opened = r.st.opened.Load()
	res.ConnectSecs = r.st.seconds
	for i := range r.cs {
		c := &r.cs[i]
		c.mu.Lock()
		res.Sent += c.sent
		c.mu.Unlock()
		if c.alive.Load() {
			res.Alive++
		}
	}
	if r.rs.mode == modeIdle && !res.Interrupted && !r.goTime.IsZero() {
		var dead int64
		for i := range r.cs {
			c := &r.cs[i]
			if c.sess != nil && !c.alive.Load() && !c.endedEarly.Load() {
				dead++
			}
		}
		if dead > 0 {
			r.rs.countError(kindNotAlive, dead)
		}
	}
	res.Errors, res.CloseCodes = r.rs.snapshotErrors()
	r.self.mu.Lock()
	res.ClientRSS = r.self.peakRSS
	r.self.mu.Unlock()
	res.latency = r.total
	if r.rs.mode == modeOpen {
		res.lateness = r.late
	}
	res.handshake = r.st.handshake
}
