package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/session"
)

// A scenario run: every connection ("virtual user", vu) is a goroutine that
// dials and walks the script, while the run's goroutine shapes the load
// (fixed connections, ramping stages, arrivals, storms) and cuts a sample
// every second. Messages are received by an event-style handler that runs
// inline on the Dialer's loops: it stamps the arrival time there, so a reply
// that arrives while the script is thinking is still timed when it arrived.

// handshakeMetric holds the handshake latencies beside the named metrics;
// "handshake" is a reserved metric name.
const handshakeMetric = "handshake"

// maxArrivalConns bounds connections running at once under an arrival-rate
// stage, per process: past it an arrival is dropped (kindArrivalDropped)
// rather than growing without bound against a server that stalls.
const maxArrivalConns = 20000

// stormDialsInFlight is the handshakes in flight of a storm stage.
const stormDialsInFlight = 1024

// scenShare says which part of a run one process does: part index of count.
type scenShare struct {
	index, count int
}

// of returns this part's share of n: parts differ by at most one and sum
// to n.
func (s scenShare) of(n int) int {
	return n*(s.index+1)/s.count - n*s.index/s.count
}

// first returns the first of n items that fall to this part.
func (s scenShare) first(n int) int { return n * s.index / s.count }

// scenPart is what one process measured in a scenario run; the last JSON
// line an agent or worker prints, merged by the controller.
type scenPart struct {
	Type        string           `json:"type"` // "result"
	Attempted   int64            `json:"attempted"`
	Opened      int64            `json:"opened"`
	ConnectSecs float64          `json:"connect_s"`
	Sent        int64            `json:"sent"`
	Received    int64            `json:"received"`
	Matched     int64            `json:"matched"`
	Discarded   int64            `json:"discarded"`
	Iterations  int64            `json:"iterations"`
	Window      float64          `json:"window_s"`
	Stages      []stagePart      `json:"stages"`
	Errors      map[string]int64 `json:"errors"`
	CloseCodes  map[string]int64 `json:"close_codes"`
	ClientCPU   float64          `json:"client_cpu_s"`
	ClientRSS   int64            `json:"client_rss_peak"`
	Interrupted bool             `json:"interrupted"`
	Fanout      *fanoutPart      `json:"fanout,omitempty"`
}

// stagePart is one stage of one process.
type stagePart struct {
	Name     string            `json:"name"`
	Start    float64           `json:"start_s"` // since traffic started
	End      float64           `json:"end_s"`
	Started  int64             `json:"started"`
	Opened   int64             `json:"opened"`
	Sent     int64             `json:"sent"`
	Received int64             `json:"received"`
	Errors   int64             `json:"errors"`
	Peak     int64             `json:"peak_conns"`
	Metrics  map[string]string `json:"metrics"` // name → HdrHistogram V2 base64 (µs)
}

// stageCounters are one stage's live counters.
type stageCounters struct {
	started, opened, sent, received, errors atomic.Int64
	peak                                    atomic.Int64
	start, end                              time.Duration
}

// metricSet holds the histograms of named metrics per stage, and the
// current second's samples of every named metric for the live view.
type metricSet struct {
	mu    sync.Mutex
	hists []map[string]*hdr.Histogram // per stage
	sec   *hdr.Histogram
	secN  int64
}

func (m *metricSet) record(stage int, name string, us int64) {
	m.mu.Lock()
	h := m.hists[stage][name]
	if h == nil {
		h = newHist()
		m.hists[stage][name] = h
	}
	recordMicros(h, us)
	if name != handshakeMetric {
		recordMicros(m.sec, us)
	}
	m.mu.Unlock()
}

// scenRun is one process's share of a scenario run.
type scenRun struct {
	sc    *scenario
	share scenShare
	d     *engine.Dialer
	opts  engine.DialOptions // template, copied per dial
	hk    hooks

	base  time.Time // traffic start
	stage atomic.Int32
	sts   []stageCounters
	ms    metricSet

	tickK int // samples emitted (the run's goroutine only)

	running atomic.Int64
	ids     atomic.Uint64 // staged runs: the next local vu number
	dials   chan struct{} // handshakes in flight

	sent, received, matched, discarded, iterations atomic.Int64
	opened, attempted                              atomic.Int64

	mu         sync.Mutex
	errors     map[string]int64
	closeCodes map[string]int64
	errTotal   atomic.Int64

	stop chan struct{} // closed at the end of the run: scripts stop
	// stopCtx ends with stop (or the caller's ctx): the parent of every
	// connection's context, so dials and blocked sends end with the run.
	stopCtx    context.Context
	stopCancel context.CancelFunc
	stopped    atomic.Bool
}

// newScenRun prepares the dial options of sc.
func newScenRun(sc *scenario, share scenShare, loops int, hk hooks) (*scenRun, error) {
	d, err := engine.NewDialer(engine.ReactorConfig{Loops: loops})
	if err != nil {
		return nil, err
	}
	r := &scenRun{
		sc: sc, share: share, d: d, hk: hk,
		errors: map[string]int64{}, closeCodes: map[string]int64{},
		stop:  make(chan struct{}),
		dials: make(chan struct{}, maxDialsInFlight),
	}
	r.opts = engine.DialOptions{
		Protocols:        sc.Subprotocols,
		HandshakeTimeout: sc.Timeout,
		Dialer:           d,
		Session: session.Config{
			Dispatch:       session.DispatchInline,
			MaxMessageSize: sc.MaxMessage,
		},
	}
	if sc.Compression {
		r.opts.Extensions = []extension.Factory{deflate.New(deflate.Config{})}
	}
	if sc.CAFile != "" || sc.Insecure {
		tc := &tls.Config{InsecureSkipVerify: sc.Insecure} //nolint:gosec // asked for with tls.insecure
		if sc.CAFile != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(sc.CAPEM) {
				d.Close()
				return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate", sc.CAFile)
			}
			tc.RootCAs = pool
		}
		r.opts.TLSConfig = tc
	}
	stages := sc.Stages
	if len(stages) == 0 {
		stages = []stage{{Name: "run", Target: -1}}
	}
	r.sts = make([]stageCounters, len(stages))
	r.ms.hists = make([]map[string]*hdr.Histogram, len(stages))
	for i := range r.ms.hists {
		r.ms.hists[i] = map[string]*hdr.Histogram{}
	}
	r.ms.sec = newHist()
	return r, nil
}

func (r *scenRun) close() { r.d.Close() }

func (r *scenRun) countError(kind string, n int64) {
	r.mu.Lock()
	r.errors[kind] += n
	r.mu.Unlock()
	r.errTotal.Add(n)
	r.sts[r.stage.Load()].errors.Add(n)
}

func (r *scenRun) countClose(code int) {
	r.mu.Lock()
	r.closeCodes[strconv.Itoa(code)]++
	r.mu.Unlock()
}

// dialOptions returns the options of connection id, headers expanded.
func (r *scenRun) dialOptions(v *vu) (string, *engine.DialOptions) {
	o := r.opts
	o.Handler = v
	vars := tmplVars{conn: v.id, now: time.Now(), text: true, rng: v.rng}
	if len(r.sc.Headers) > 0 {
		o.Header = make(http.Header, len(r.sc.Headers))
		for _, h := range r.sc.Headers {
			o.Header.Add(h.Name, h.Value.expandString(&vars))
		}
	}
	u := r.sc.URL
	if v.url != nil {
		u = v.url
	}
	return u.expandString(&vars), &o
}

// runScenarioProcess runs this process's share of sc: connect (fixed
// connections), wait for go, shape the load, and return what it measured.
func runScenarioProcess(ctx context.Context, sc *scenario, share scenShare, loops int, hk hooks) (*scenPart, error) {
	r, err := newScenRun(sc, share, loops, hk)
	if err != nil {
		return nil, err
	}
	r.stopCtx, r.stopCancel = context.WithCancel(ctx)
	defer r.stopCancel()
	defer r.close()
	if sc.Fanout != nil {
		return r.runFanout(ctx)
	}
	self := newSampler(os.Getpid(), time.Now())
	r.base = time.Now()
	var vus sync.WaitGroup
	starting := make(chan struct{}) // closed when no more connections start
	if len(sc.Stages) == 0 {
		// Every connection starts together after go: connections and
		// scripts are one (the connect phase is part of the script's
		// first iteration), so the barrier is before dialing.
		if !r.begin(ctx, self, 0) {
			return nil, errNotStarted
		}
		n := share.of(sc.Connections)
		first := share.first(sc.Connections)
		r.sts[0].start = 0
		done := make(chan struct{})
		go func() {
			r.startFixed(ctx, n, first, &vus)
			close(starting)
			vus.Wait()
			close(done)
		}()
		r.tickUntil(ctx, sc.Duration, done)
	} else {
		close(starting)
		if !r.begin(ctx, self, 0) {
			return nil, errNotStarted
		}
		r.runStages(ctx, &vus)
	}
	r.stopped.Store(true)
	close(r.stop)
	r.stopCancel()
	// No connection starts once startFixed has returned, which it does
	// at stop: only then may vus be waited for.
	<-starting
	// Scripts end at their next step; dials end at their timeout.
	waited := make(chan struct{})
	go func() { vus.Wait(); close(waited) }()
	r.tickUntil(context.Background(), sc.Timeout+time.Second, waited)
	return r.end(ctx, self)
}

// begin reports this process connected (or ready to connect), waits for
// the controller's go and settle, and starts the measured window; false if
// the run was called off.
func (r *scenRun) begin(ctx context.Context, self *sampler, settle time.Duration) bool {
	r.hk.phase("connected")
	if !r.hk.waitGo(ctx) {
		return false
	}
	if settle > 0 && !r.sleepUntil(ctx, time.Now().Add(settle)) {
		return false
	}
	self.take("measure_start")
	r.base = time.Now()
	r.hk.phase("measure_start")
	return true
}

// end closes the measured window and returns what the process measured.
func (r *scenRun) end(ctx context.Context, self *sampler) (*scenPart, error) {
	m := self.take("measure_end")
	r.hk.phase("measure_end")
	r.sts[r.stage.Load()].end = time.Since(r.base)
	part := r.part(ctx)
	if s, ok := self.mark("measure_start"); ok {
		part.Window = m.at.Sub(s.at).Seconds()
		part.ClientCPU = m.cpu - s.cpu
	}
	self.mu.Lock()
	part.ClientRSS = self.peakRSS
	self.mu.Unlock()
	if part.Opened == 0 {
		return part, errNoConnections
	}
	return part, nil
}

// startFixed starts n connections numbered from first at the scenario's
// connect_rate (this process's share of it).
func (r *scenRun) startFixed(ctx context.Context, n, first int, vus *sync.WaitGroup) {
	rate := r.sc.ConnectRate / float64(r.share.count)
	start := time.Now()
	for i := 0; i < n; i++ {
		if rate > 0 {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if !r.sleepUntil(ctx, at) {
				return
			}
		}
		select {
		case <-r.stop:
			return
		default:
		}
		r.startVU(ctx, uint64(first+i), vus, nil)
	}
}

// sleepUntil waits until at; false if the run stopped first.
func (r *scenRun) sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.stop:
	case <-ctx.Done():
	}
	return false
}

// nextID numbers connections of staged runs: part index + parts × k, unique
// over every process.
func (r *scenRun) nextID() uint64 {
	k := r.ids.Add(1) - 1
	return uint64(r.share.index) + uint64(r.share.count)*k
}

// startVU starts one connection's goroutine; cancel, if not nil, receives
// its cancel function (ramp-down stops the newest connections).
func (r *scenRun) startVU(ctx context.Context, id uint64, vus *sync.WaitGroup, onCancel func(*vu)) *vu {
	return r.startVUWith(ctx, id, vus, onCancel, r.dials)
}

// startVUWith is startVU with the semaphore of handshakes in flight.
func (r *scenRun) startVUWith(ctx context.Context, id uint64, vus *sync.WaitGroup, onCancel func(*vu), dials chan struct{}) *vu {
	v := newVU(r, id)
	v.dials = dials
	st := &r.sts[r.stage.Load()]
	st.started.Add(1)
	peak := r.running.Add(1)
	for p := st.peak.Load(); peak > p && !st.peak.CompareAndSwap(p, peak); p = st.peak.Load() {
	}
	if onCancel != nil {
		onCancel(v)
	}
	vus.Add(1)
	go func() {
		defer vus.Done()
		defer r.running.Add(-1)
		v.run(ctx)
	}()
	return v
}

// tickUntil emits a sample every second until d passes (0: no limit), done
// is closed, or ctx ends.
func (r *scenRun) tickUntil(ctx context.Context, d time.Duration, done <-chan struct{}) {
	var deadline <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		deadline = t.C
	}
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	last := time.Now()
	for {
		select {
		case <-tk.C:
			last = r.emitTick(last)
			continue
		case <-deadline:
		case <-done:
		case <-ctx.Done():
		}
		r.emitTick(last)
		return
	}
}

// emitTick hands the last second's sample to the hooks.
func (r *scenRun) emitTick(last time.Time) time.Time {
	now := time.Now()
	r.ms.mu.Lock()
	h := r.ms.sec
	r.ms.sec = newHist()
	r.ms.mu.Unlock()
	recv := r.received.Load()
	si := r.stage.Load()
	name := "run"
	if int(si) < len(r.sc.Stages) {
		name = r.sc.Stages[si].Name
	}
	// K counts samples, so that a controller lines up the n-th sample of
	// every agent.
	k := r.tickK
	r.tickK++
	r.hk.tick(tick{Type: "tick", Group: "traffic", K: k, Phase: name,
		Elapsed: now.Sub(last).Seconds(), Conns: r.running.Load(), Received: recv - r.ms.secN,
		Errors: r.errTotal.Load(), h: h})
	r.ms.secN = recv
	return now
}

// runStages drives the load shape stage by stage.
func (r *scenRun) runStages(ctx context.Context, vus *sync.WaitGroup) {
	var mu sync.Mutex
	var live []*vu // ramping connections, oldest first
	track := func(v *vu) {
		mu.Lock()
		live = append(live, v)
		mu.Unlock()
	}
	// alive drops ended and stopping connections from live and returns
	// how many run on (those ramp-down already stopped are not counted
	// again while they close).
	alive := func() int {
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for _, v := range live {
			if !v.finished.Load() && !v.stopping.Load() {
				live[k] = v
				k++
			}
		}
		clear(live[k:])
		live = live[:k]
		return k
	}
	prevTarget := 0
	prevRate := 0.0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastTick := time.Now()
	for i, st := range r.sc.Stages {
		r.sts[r.stage.Load()].end = time.Since(r.base)
		r.stage.Store(int32(i))
		r.sts[i].start = time.Since(r.base)
		// The connections a stage inherits count toward its peak.
		r.sts[i].peak.Store(r.running.Load())
		begin := time.Now()
		end := begin.Add(st.Duration)
		if st.Storm > 0 {
			n := r.share.of(st.Storm)
			r.storm(ctx, n, vus)
		}
		// Arrivals: the k-th arrival of the whole run (every process) is due
		// when the integral of the rate reaches k; this process starts those
		// with k % count == index. A ramp goes linearly from the previous
		// rate stage's rate (k6 ramping-arrival-rate), else the rate holds.
		fromRate := st.Rate
		if st.Ramp {
			fromRate = prevRate
		}
		var arrived int64
		target := st.Target
		for {
			if ctx.Err() != nil {
				break
			}
			// The last pass is at the stage's end, however late the timer
			// woke, so a ramp reaches its target and arrivals their count
			// within the stage.
			now := time.Now()
			last := !now.Before(end)
			if last {
				now = end
			}
			if target >= 0 {
				frac := float64(now.Sub(begin)) / float64(st.Duration)
				want := r.share.of(int(math.Round(float64(prevTarget) + float64(target-prevTarget)*frac)))
				have := alive()
				for ; have < want; have++ {
					r.startVU(ctx, r.nextID(), vus, track)
				}
				if have > want {
					mu.Lock()
					for j := len(live) - 1; j >= 0 && have > want; j-- {
						if !live[j].stopping.Load() {
							live[j].stopNow()
							have--
						}
					}
					mu.Unlock()
				}
			}
			wake := now.Add(50 * time.Millisecond)
			if st.Rate > 0 {
				el := now.Sub(begin).Seconds()
				d := st.Duration.Seconds()
				total := int64(fromRate*el + (st.Rate-fromRate)*el*el/(2*d))
				due := int64(0)
				if idx := int64(r.share.index); total > idx {
					due = (total - idx + int64(r.share.count) - 1) / int64(r.share.count)
				}
				for ; arrived < due; arrived++ {
					if r.running.Load() >= maxArrivalConns {
						r.countError(kindArrivalDropped, 1)
					} else {
						r.startVU(ctx, r.nextID(), vus, nil)
					}
				}
				rateNow := fromRate + (st.Rate-fromRate)*el/d
				if gap := time.Duration(float64(time.Second) * float64(r.share.count) / max(rateNow, 1e-3)); gap < 50*time.Millisecond {
					wake = now.Add(max(gap, time.Millisecond))
				}
			}
			if last {
				break
			}
			if wake.After(end) {
				wake = end
			}
			t := time.NewTimer(time.Until(wake))
			select {
			case <-t.C:
			case <-tick.C:
				lastTick = r.emitTick(lastTick)
			case <-ctx.Done():
			}
			t.Stop()
		}
		if target >= 0 {
			prevTarget = target
		}
		if st.Rate > 0 {
			prevRate = st.Rate
		}
		if ctx.Err() != nil {
			return
		}
	}
	r.emitTick(lastTick)
}

// storm opens n connections at once, with more handshakes in flight than
// usual, and returns when every dial has ended.
func (r *scenRun) storm(ctx context.Context, n int, vus *sync.WaitGroup) {
	dials := make(chan struct{}, stormDialsInFlight)
	var dialed sync.WaitGroup
	for i := 0; i < n; i++ {
		v := r.startVUWith(ctx, r.nextID(), vus, nil, dials)
		dialed.Add(1)
		go func() {
			defer dialed.Done()
			select {
			case <-v.dialed:
			case <-r.stop:
			}
		}()
	}
	dialed.Wait()
}

// part collects what the process measured.
func (r *scenRun) part(ctx context.Context) *scenPart {
	p := &scenPart{
		Type:        "result",
		Attempted:   r.attempted.Load(),
		Opened:      r.opened.Load(),
		Sent:        r.sent.Load(),
		Received:    r.received.Load(),
		Matched:     r.matched.Load(),
		Discarded:   r.discarded.Load(),
		Iterations:  r.iterations.Load(),
		Interrupted: ctx.Err() != nil,
	}
	r.mu.Lock()
	p.Errors = maps2(r.errors)
	p.CloseCodes = maps2(r.closeCodes)
	r.mu.Unlock()
	stages := r.sc.Stages
	if len(stages) == 0 {
		stages = []stage{{Name: "run"}}
	}
	r.ms.mu.Lock()
	defer r.ms.mu.Unlock()
	for i, st := range stages {
		c := &r.sts[i]
		sp := stagePart{Name: st.Name, Start: c.start.Seconds(), End: c.end.Seconds(),
			Started: c.started.Load(), Opened: c.opened.Load(), Sent: c.sent.Load(),
			Received: c.received.Load(), Errors: c.errors.Load(), Peak: c.peak.Load(),
			Metrics: map[string]string{}}
		if sp.End < sp.Start {
			sp.End = sp.Start
		}
		for name, h := range r.ms.hists[i] {
			sp.Metrics[name] = encodeHist(h)
		}
		p.Stages = append(p.Stages, sp)
	}
	return p
}

func maps2(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
