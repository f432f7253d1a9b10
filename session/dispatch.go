package session

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/frame"
)

type eventKind uint8

const (
	evOpen eventKind = iota
	evMessage
	evError
	evClose
	evFail // a failure queued behind the messages before it
	evEcho // the answer to the peer's close, queued behind the messages before it
)

// event is one thing for the application: a message, or a handler event.
type event struct {
	kind  eventKind
	fresh bool // evOpen: lazy state was made for the request head alone
	f     Frame
	err   error
}

// deliver hands a complete received message to the application.
func (s *Session) deliver(f Frame) {
	s.countIn(&f)
	s.recv |= recvDelivered
	s.dispatch(event{kind: evMessage, f: f})
}

// dispatch delivers an event, in order with the messages before it, the way
// the route's mode says: on this goroutine, or queued for the pool or for
// Incoming.
func (s *Session) dispatch(ev event) {
	if s.route.mode == modeInline {
		s.callInline(ev)
		return
	}
	s.enqueue(ev)
}

// callInline runs a handler event on the calling (feeding) goroutine.
func (s *Session) callInline(ev event) {
	s.atomicFlags.Or(flagInline)
	s.run(ev)
	s.atomicFlags.And(^flagInline)
}

// run calls the event's Handler method; a panic closes the session with 1011.
func (s *Session) run(ev event) {
	defer func() {
		if r := recover(); r != nil {
			s.panicked(r)
		}
	}()
	h := s.route.handler
	switch ev.kind {
	case evOpen:
		h.OnOpen(s)
		s.dropHead(ev.fresh)
	case evMessage:
		// The handler sees a borrowed view: surge keeps the buffer and
		// releases it when OnMessage returns.
		v := ev.f
		v.buf = nil
		defer ev.f.Release()
		h.OnMessage(s, v)
	case evError:
		h.OnError(s, ev.err)
	case evClose:
		h.OnClose(s, s.CloseReason())
	case evFail:
		s.failNow(ev.err)
	case evEcho:
		s.echoNow(ev.err)
	}
}

func (s *Session) panicked(r any) {
	err := fmt.Errorf("%w: %v", ErrHandlerPanic, r)
	// Called in the recovering defer: the stack still shows the panic.
	s.route.cfg.logger().Error("surge: handler panicked; session closed with 1011",
		"path", s.pathString(), "remote", s.drv.Remote(), "panic", r, "stack", string(debug.Stack()))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state&stFinished != 0 {
		return
	}
	s.closeLocked(CloseReason{Code: frame.CloseInternalError, Reason: "internal error"}, err)
	if s.lazy.err == nil {
		s.lazy.err = err
	}
}

// eventQueue holds the events of a session waiting for room in the Incoming
// channel, or those that arrive while the session already waits for or runs
// on a pool worker (its first waiting event travels in the pool's run queue).
// It exists only while events wait: it comes from a sync.Pool and goes back
// when it drains, so an idle session holds none and a busy one allocates none.
type eventQueue struct {
	q       []event
	qh      int  // index of the next event in q
	pumping bool // a goroutine feeds Incoming from q
}

func (q *eventQueue) len() int { return len(q.q) - q.qh }

// maxKeptQueue bounds the capacity of a queue given back to the pool, so a
// burst does not pin a large array.
const maxKeptQueue = 64

var eventQueues = sync.Pool{New: func() any { return &eventQueue{q: make([]event, 0, 8)} }}

// enqueue queues an event for the pool or for the Incoming channel.
func (s *Session) enqueue(ev event) {
	s.queue(ev)
	if s.route.mode == modePool && s.pool().backlog.Load() >= poolYieldBacklog {
		// Let the workers catch up before reading on. Without this, a
		// feeder that holds its P (an event loop with GOMAXPROCS=1) queues
		// a whole readiness batch of events, each message with its pooled
		// copy, before any worker runs: the copies in flight then peak at
		// the batch, and a batch larger than any before allocates.
		runtime.Gosched()
	}
}

// poolYieldBacklog is the run-queue length at which a feeder yields to the
// pool's workers.
const poolYieldBacklog = 32

func (s *Session) queue(ev event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := s.route.mode == modeChannel
	if channel && (s.waiting == nil || !s.waiting.pumping) {
		// Nothing waits: hand the event straight to the channel.
		switch ev.kind {
		case evMessage:
			select {
			case s.lazy.in <- ev.f:
				return
			default:
			}
		case evClose:
			close(s.lazy.in)
			return
		default:
			return
		}
	} else if channel && ev.kind != evMessage && ev.kind != evClose {
		return
	}
	if !channel && !s.scheduled {
		// The session neither waits for nor runs on a worker: its event
		// travels in the pool's run queue, and no eventQueue is needed. Under
		// request-response traffic that is every event.
		s.scheduled = true
		s.pool().submit(s, ev, true)
		return
	}
	if s.waiting == nil {
		s.waiting = eventQueues.Get().(*eventQueue)
	}
	q := s.waiting
	q.q = append(q.q, ev)
	if channel && !q.pumping {
		q.pumping = true
		go s.pump()
	}
	if q.len() >= s.route.cfg.queueLimit() {
		s.pauseLocked(stPauseQ)
	}
}

// pop takes the next queued event; ok is false when the queue is empty, in
// which case the queue goes back to its pool, the session leaves its pool
// worker and reading resumes.
func (s *Session) pop() (ev event, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.waiting
	if q == nil || q.len() == 0 {
		s.scheduled = false
		if q != nil {
			s.waiting = nil
			q.q, q.qh, q.pumping = q.q[:0], 0, false
			if cap(q.q) <= maxKeptQueue {
				eventQueues.Put(q)
			}
		}
		s.resumeLocked(stPauseQ)
		return event{}, false
	}
	ev = q.q[q.qh]
	q.q[q.qh] = event{}
	q.qh++
	if q.qh >= 32 && q.qh > len(q.q)/2 {
		// A queue that never drains would otherwise grow behind its head.
		n := copy(q.q, q.q[q.qh:])
		clear(q.q[n:])
		q.q, q.qh = q.q[:n], 0
	}
	if q.len() < s.route.cfg.queueLimit()/2 {
		s.resumeLocked(stPauseQ)
	}
	return ev, true
}

// pump moves queued messages into a full Incoming channel, in order. It
// exists only while the application is behind.
func (s *Session) pump() {
	in := s.lazy.in
	for {
		ev, ok := s.pop()
		if !ok {
			return
		}
		switch ev.kind {
		case evClose:
			close(in)
		case evFail:
			s.awaitHandler(in)
			s.failNow(ev.err)
		case evEcho:
			s.awaitHandler(in)
			s.echoNow(ev.err)
		default:
			in <- ev.f
		}
	}
}

// Bounds of awaitHandler.
const (
	handlerDrainLimit = time.Second
	// handlerGrace was 50 ms until a race-detector run beside two busy
	// loops took longer between a channel handler's receive and its Send
	// (conformance 4.2.3 lost its echo); the wait ends at the first Send,
	// so only an application that answers nothing pays all of it.
	handlerGrace = 250 * time.Millisecond
	handlerPoll  = 100 * time.Microsecond
)

// awaitHandler gives a channel-style application the chance to answer the
// messages it was sent before a failure: it waits until Incoming is drained
// (at most handlerDrainLimit), then until the application sends something or
// handlerGrace passes. The application's progress cannot be observed more
// exactly than that; this runs only on the way to failing a connection.
func (s *Session) awaitHandler(in chan Frame) {
	deadline := time.Now().Add(handlerDrainLimit)
	for len(in) > 0 && time.Now().Before(deadline) {
		time.Sleep(handlerPoll)
	}
	s.mu.Lock()
	sends := s.lazy.sends
	s.mu.Unlock()
	deadline = time.Now().Add(handlerGrace)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		moved := s.lazy.sends != sends
		s.mu.Unlock()
		if moved {
			return
		}
		time.Sleep(handlerPoll)
	}
}

// poolBatch bounds the events one session runs before yielding its worker.
const poolBatch = 16

// runQueued runs on a pool worker: first ev when has is set (the event that
// travelled in the run queue), then queued events, up to poolBatch in all. It
// reports whether events remain.
func (s *Session) runQueued(ev event, has bool) bool {
	i := 0
	if has {
		s.run(ev)
		i++
	}
	for ; i < poolBatch; i++ {
		ev, ok := s.pop()
		if !ok {
			return false
		}
		s.run(ev)
	}
	return true
}

func (s *Session) pool() *workerPool {
	if p := s.route.pool; p != nil {
		return p
	}
	defaultPoolOnce.Do(func() { defaultPool = newWorkerPool(0) })
	return defaultPool
}

var (
	defaultPoolOnce sync.Once
	defaultPool     *workerPool
)

// pauseLocked stops reading for reason (stPauseQ or stPauseOut).
func (s *Session) pauseLocked(reason uint16) {
	if s.state&(stPauseQ|stPauseOut) == 0 {
		s.drv.PauseRead(true)
	}
	s.state |= reason
}

// resumeLocked clears reason and resumes reading when no reason is left.
func (s *Session) resumeLocked(reason uint16) {
	if s.state&reason == 0 {
		return
	}
	s.state &^= reason
	if s.state&(stPauseQ|stPauseOut) == 0 && s.state&stFinished == 0 && s.atomicFlags.Load()&flagInflating == 0 {
		s.drv.PauseRead(false)
	}
}

// Incoming returns the channel of received messages of a channel-style
// session, Ktor's incoming: text and binary messages, whole, in order. It is
// closed when the session ends; CloseReason and Err then tell why. Control
// frames are answered by surge and do not appear. If the application stops
// reading, surge stops reading from the peer. An event-style session (one
// with a Handler) returns nil.
func (s *Session) Incoming() <-chan Frame {
	if s.route.mode != modeChannel {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if x := s.lazy; x.head != nil {
		// The function has opened the session and starts receiving: an
		// idle channel-style session keeps no request head.
		x.dropHeadLocked()
	}
	return s.lazy.in
}

// runChannel runs a channel-style route's function on its own goroutine, the
// way Ktor runs a webSocket { } block: when fn returns the session is closed
// normally (1000) unless it is already closing; if fn panics, it is closed
// with 1011. runChannel then drains Incoming until the session has ended, so
// the peer is never left unread.
func (s *Session) runChannel(fn func(*Session)) {
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.panicked(r)
			}
		}()
		fn(s)
	}()
	s.dropHead(false)
	_ = s.Close(CloseReason{Code: frame.CloseNormal})
	if in := s.Incoming(); in != nil {
		for f := range in {
			f.Release()
		}
	}
}

// workerPool runs event-style handlers for sessions under DispatchPool on a
// fixed number of worker goroutines (seam.Pool). Each session's events run one at a time and in
// order; a busy session yields its worker after a few events so that others
// are not starved. A session's first waiting event travels in the run queue
// itself, so request-response traffic needs no per-session queue, and a
// goroutine that feeds sessions yields to the workers whenever 32 sessions
// wait, so received messages held for the workers stay few. Safe for
// concurrent use.
type workerPool struct {
	mu      sync.Mutex
	cond    sync.Cond
	q       []poolItem
	qh      int
	closed  bool
	backlog atomic.Int32 // len(q) - qh, read by feeders without mu
}

// poolItem is a session waiting for a worker, with its first event when the
// session had none queued.
type poolItem struct {
	s   *Session
	ev  event
	has bool
}

// newWorkerPool starts a pool of workers goroutines; workers <= 0 means
// GOMAXPROCS.
func newWorkerPool(workers int) *workerPool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &workerPool{}
	p.cond.L = &p.mu
	for i := 0; i < workers; i++ {
		go p.work()
	}
	return p
}

// Close stops the workers once the queued sessions are run.
func (p *workerPool) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *workerPool) submit(s *Session, ev event, has bool) {
	p.mu.Lock()
	p.q = append(p.q, poolItem{s: s, ev: ev, has: has})
	p.backlog.Store(int32(len(p.q) - p.qh))
	p.mu.Unlock()
	p.cond.Signal()
}

func (p *workerPool) work() {
	for {
		p.mu.Lock()
		for p.qh == len(p.q) && !p.closed {
			p.cond.Wait()
		}
		if p.qh == len(p.q) {
			p.mu.Unlock()
			return
		}
		it := p.q[p.qh]
		p.q[p.qh] = poolItem{}
		p.qh++
		switch {
		case p.qh == len(p.q):
			p.q, p.qh = p.q[:0], 0
		case p.qh >= 64 && p.qh > len(p.q)/2:
			// A queue that never drains would otherwise grow (and
			// reallocate) forever behind its head.
			n := copy(p.q, p.q[p.qh:])
			clear(p.q[n:])
			p.q, p.qh = p.q[:n], 0
		}
		p.backlog.Store(int32(len(p.q) - p.qh))
		p.mu.Unlock()
		if it.s.runQueued(it.ev, it.has) {
			p.submit(it.s, event{}, false)
		}
	}
}
