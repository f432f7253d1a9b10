package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// maxQueued and maxQueuedBytes bound the messages a connection keeps for
// its next expect; past either the oldest are discarded (counted in
// messages.discarded), so a script that never reads a busy room's
// broadcasts holds bounded memory.
const (
	maxQueued      = 1024
	maxQueuedBytes = 8 << 20
)

// inMsg is one received message with its arrival time.
type inMsg struct {
	at   time.Time
	op   frame.Opcode
	data []byte
}

// vu is one scripted connection. Its handler methods run inline on a loop
// of the Dialer; the script runs on the vu's goroutine. They share the
// queue under mu.
type vu struct {
	session.NopHandler

	r   *scenRun
	id  uint64
	url *tmpl // nil: the scenario's url
	// dials bounds handshakes in flight (nil: the run's).
	dials chan struct{}
	rng   *rand.PCG
	sess  *session.Session

	mu          sync.Mutex
	queue       []inMsg
	queuedBytes int
	notify      chan struct{} // a message arrived or the session ended
	ended       bool
	closing     bool // the script or the run closed the session

	dialed    chan struct{} // closed when the dial ended
	closed    chan struct{} // closed by OnClose
	closeOnce sync.Once
	finished  atomic.Bool   // the goroutine is done
	stopping  atomic.Bool   // ramp-down asked it to stop
	halt      chan struct{} // closed by stopNow
	haltOnce  sync.Once
	// ctx ends when the run stops or stopNow is called: dials and sends
	// blocked on a stalled server end with it.
	ctx    context.Context
	cancel context.CancelFunc

	seq      uint64 // sends so far
	lastSeq  uint64
	lastSend time.Time
	named    map[string]time.Time
	buf      []byte
	want     []byte // an expect's expanded substring, reused
	vars     tmplVars

	// fanout, when set, takes every message after the subscribe steps
	// (fanout.go); it runs on the loop.
	fanout atomic.Pointer[fanoutSub]
}

func newVU(r *scenRun, id uint64) *vu {
	ctx, cancel := context.WithCancel(r.stopCtx)
	return &vu{
		ctx: ctx, cancel: cancel,
		r: r, id: id,
		rng:    rand.NewPCG(uint64(time.Now().UnixNano()), id),
		notify: make(chan struct{}, 1),
		dialed: make(chan struct{}),
		closed: make(chan struct{}),
		halt:   make(chan struct{}),
	}
}

// stopNow ends the vu's script at its next step (ramp-down).
func (v *vu) stopNow() {
	v.stopping.Store(true)
	v.haltOnce.Do(func() { close(v.halt) })
	v.cancel()
}

func (v *vu) wake() {
	select {
	case v.notify <- struct{}{}:
	default:
	}
}

// OnMessage stamps and queues a message (or hands it to the fan-out
// receiver); it runs on the loop and must not block.
func (v *vu) OnMessage(_ *session.Session, f session.Frame) {
	at := time.Now()
	r := v.r
	r.received.Add(1)
	r.sts[r.stage.Load()].received.Add(1)
	if fs := v.fanout.Load(); fs != nil {
		fs.deliver(at, f.Payload)
		return
	}
	m := inMsg{at: at, op: f.Op, data: bytes.Clone(f.Payload)}
	v.mu.Lock()
	drop := 0
	for drop < len(v.queue) && (len(v.queue)-drop >= maxQueued || v.queuedBytes+len(m.data) > maxQueuedBytes) {
		v.queuedBytes -= len(v.queue[drop].data)
		drop++
	}
	if drop > 0 {
		n := copy(v.queue, v.queue[drop:])
		clear(v.queue[n:])
		v.queue = v.queue[:n]
		r.discarded.Add(int64(drop))
	}
	v.queue = append(v.queue, m)
	v.queuedBytes += len(m.data)
	v.mu.Unlock()
	v.wake()
}

// OnError counts why a session failed, unless the run was closing it.
func (v *vu) OnError(_ *session.Session, err error) {
	v.mu.Lock()
	closing := v.closing
	v.mu.Unlock()
	if !closing {
		v.r.countError(sessionErrKind(err), 1)
	}
}

// OnClose records the close code and, if neither the script nor the run
// closed the session, an early close.
func (v *vu) OnClose(_ *session.Session, cr session.CloseReason) {
	v.r.countClose(int(cr.Code))
	v.mu.Lock()
	v.ended = true
	closing := v.closing
	v.mu.Unlock()
	if !closing && !v.r.stopped.Load() {
		v.r.countError(kindClosedEarly, 1)
	}
	v.closeOnce.Do(func() { close(v.closed) })
	v.wake()
}

// run dials and runs the script once, then closes the connection.
func (v *vu) run(ctx context.Context) {
	defer v.finished.Store(true)
	defer v.cancel()
	if !v.dial(ctx) {
		return
	}
	err := v.exec(v.r.sc.Script)
	if err == nil || errors.Is(err, errScriptStop) || errors.Is(err, errScriptAbort) {
		if err == nil {
			v.r.iterations.Add(1)
		}
		v.closeWith(session.CloseReason{Code: frame.CloseNormal, Reason: "wsbench done"})
	} else if errors.Is(err, errScriptClosed) {
		v.r.iterations.Add(1)
	}
}

// dial opens the connection; false if it failed (counted).
func (v *vu) dial(ctx context.Context) bool {
	r := v.r
	defer close(v.dialed)
	dials := v.dials
	if dials == nil {
		dials = r.dials
	}
	select {
	case dials <- struct{}{}:
	case <-r.stop:
		return false
	case <-v.halt:
		return false
	}
	defer func() { <-dials }()
	url, opts := r.dialOptions(v)
	r.attempted.Add(1)
	t0 := time.Now()
	s, err := engine.Dial(v.ctx, url, opts)
	if err != nil {
		if v.ctx.Err() == nil {
			r.countError(dialKind(err), 1)
		}
		return false
	}
	si := r.stage.Load()
	r.ms.record(int(si), handshakeMetric, time.Since(t0).Microseconds())
	r.opened.Add(1)
	r.sts[si].opened.Add(1)
	v.sess = s
	return true
}

// closeWith closes the session and waits (bounded) for the handshake.
func (v *vu) closeWith(cr session.CloseReason) {
	v.mu.Lock()
	v.closing = true
	v.mu.Unlock()
	_ = v.sess.Close(cr)
	t := time.NewTimer(v.r.sc.Timeout)
	defer t.Stop()
	// OnClose, which counts the close code, ends the wait rather than Done,
	// so that the counts are complete when the run reports.
	select {
	case <-v.closed:
	case <-t.C:
		v.sess.Terminate()
	}
}

// stopped reports whether the run or a ramp-down ended the script.
func (v *vu) stopped() bool {
	select {
	case <-v.r.stop:
		return true
	case <-v.halt:
		return true
	default:
		return false
	}
}

// exec runs steps in order.
func (v *vu) exec(steps []step) error {
	for i := range steps {
		if v.stopped() {
			return errScriptStop
		}
		st := &steps[i]
		var err error
		switch st.kind {
		case stepSend:
			err = v.send(st)
		case stepExpect:
			err = v.expect(st)
		case stepThink:
			err = v.think(st)
		case stepLoop:
			err = v.loop(st)
		case stepClose:
			v.closeWith(session.CloseReason{Code: frame.CloseCode(st.code), Reason: st.reason})
			return errScriptClosed
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (v *vu) send(st *step) error {
	r := v.r
	v.vars = tmplVars{conn: v.id, seq: v.seq, now: time.Now(), text: !st.binary, rng: v.rng}
	v.buf = st.body.expand(v.buf[:0], &v.vars)
	f := session.BorrowText(v.buf)
	if st.binary {
		f = session.BorrowBinary(v.buf)
	}
	now := time.Now()
	if err := v.sess.Send(v.ctx, f); err != nil {
		v.mu.Lock()
		ended := v.ended
		v.mu.Unlock()
		if !ended && !v.stopped() {
			r.countError(kindSend, 1)
		}
		return errScriptAbort
	}
	r.sent.Add(1)
	r.sts[r.stage.Load()].sent.Add(1)
	v.lastSeq, v.lastSend = v.seq, now
	v.seq++
	if st.name != "" {
		if v.named == nil {
			v.named = map[string]time.Time{}
		}
		v.named[st.name] = now
	}
	return nil
}

// expect waits for a message that matches st, discarding those that do not.
func (v *vu) expect(st *step) error {
	r := v.r
	vars := tmplVars{conn: v.id, seq: v.lastSeq, now: time.Now(), text: true, rng: v.rng}
	var want []byte
	if st.contains != nil {
		v.want = st.contains.expand(v.want[:0], &vars)
		want = v.want
	}
	var eq string
	if st.jsonEq != nil {
		eq = st.jsonEq.expandString(&vars)
	}
	timer := time.NewTimer(st.timeout)
	defer timer.Stop()
	for {
		v.mu.Lock()
		for len(v.queue) > 0 {
			m := v.queue[0]
			v.queue[0] = inMsg{}
			v.queue = v.queue[1:]
			v.queuedBytes -= len(m.data)
			if matches(st, m.data, want, eq) {
				v.mu.Unlock()
				r.matched.Add(1)
				if st.metric != "" {
					from := v.lastSend
					if st.from != "" {
						from = v.named[st.from]
					}
					if !from.IsZero() {
						r.ms.record(int(r.stage.Load()), st.metric, m.at.Sub(from).Microseconds())
					}
				}
				return nil
			}
		}
		ended := v.ended
		v.mu.Unlock()
		if ended {
			if !r.stopped.Load() {
				r.countError(kindExpectClosed, 1)
			}
			return errScriptAbort
		}
		select {
		case <-v.notify:
		case <-timer.C:
			r.countError(kindExpectTimeout, 1)
			return errScriptAbort
		case <-r.stop:
			return errScriptStop
		case <-v.halt:
			return errScriptStop
		}
	}
}

// matches applies an expect's matcher to a payload.
func matches(st *step, data, want []byte, eq string) bool {
	switch {
	case st.contains != nil:
		return bytes.Contains(data, want)
	case st.regex != nil:
		return st.regex.Match(data)
	case st.jsonPath != nil:
		got, ok := jsonField(data, st.jsonPath)
		if !ok {
			return false
		}
		return st.jsonEq == nil || got == eq
	}
	return false
}

// jsonField finds path in a JSON document and returns the value as text:
// a string as itself, a number as written, true, false, null, or compact
// JSON for objects and arrays.
func jsonField(data []byte, path []string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", false
	}
	for _, key := range path {
		switch x := doc.(type) {
		case map[string]any:
			v, ok := x[key]
			if !ok {
				return "", false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			doc = x[i]
		default:
			return "", false
		}
	}
	switch x := doc.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "null", true
	}
	b, err := json.Marshal(doc)
	return string(b), err == nil
}

func (v *vu) think(st *step) error {
	d := st.min
	if st.max > st.min {
		d += time.Duration(v.rng.Uint64() % uint64(st.max-st.min+1))
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-v.r.stop:
	case <-v.halt:
	}
	return errScriptStop
}

func (v *vu) loop(st *step) error {
	start := time.Now()
	for i := int64(0); st.count == 0 || i < st.count; i++ {
		if st.dur > 0 && time.Since(start) >= st.dur {
			return nil
		}
		if err := v.exec(st.steps); err != nil {
			return err
		}
	}
	return nil
}
