//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"errors"
	"io"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/internal/netpoll"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/internal/timewheel"
	"github.com/surgews/surge/session"
)

// wheelSlots is the number of slots of each loop's timing wheel: with the
// default 10 ms tick one turn is about 10 s, so the usual timeouts need at
// most a couple of rounds.
const wheelSlots = 1024

// acceptBatch bounds the connections one readiness event of a listener
// accepts, so a connection storm cannot starve established sessions.
const acceptBatch = 64

type taskKind uint8

const (
	taskSync         taskKind = iota // re-apply a connection's interest and timer
	taskClose                        // close a connection's transport
	taskAdopt                        // take over an accepted or hijacked fd
	taskDial                         // register a connecting client fd
	taskAdoptSession                 // register a hijacked, upgraded connection
	taskStopAccept                   // close the loop's listener
	taskGoingAway                    // close every session with 1001
	taskStop                         // close everything and end the loop
	taskRun                          // run a seam.Runner (topic fan-out, push_unix.go)
)

// task is a request from another goroutine to the loop.
type task struct {
	kind taskKind
	c    *conn
	fd   int    // taskAdopt's fd; taskAdoptSession: the request head's length at the start of pre
	pre  []byte // bytes already read from an adopted fd
	run  seam.Runner
}

// loop is one event loop: a poller, the connections it owns, a shared read
// buffer and a timing wheel. Everything but the task queue belongs to the
// loop's goroutine.
type loop struct {
	reactor *reactor
	poll    *netpoll.Poller
	buf     []byte
	out     []byte                 // scratch for handshake responses
	heads   map[*conn]*bufpool.Buf // request heads split over reads, until answered
	wheel   *timewheel.Wheel
	lfd     int                   // listener fd, -1 if none
	upgrade handshake.Config      // the server's policy, with Negotiate bound to exts
	exts    []extension.Extension // extensions negotiated by the current upgrade
	handle  func(fd int, ev netpoll.Event)
	fresh   bool // the wheel was advanced since the last wake-up
	fire    func(t *timewheel.Timer)
	busy    time.Time           // when the loop last had events, under BusyPoll
	reads   uint32              // reads so far, for yieldReads
	again   []*conn             // to read on the next turn: see connEdge
	apause  acceptPause         // back-off of the listener after accept failures
	atimer  timewheel.Timer     // ends an accept pause
	stimer  timewheel.Timer     // the next sweepStalled, while a connection waits to write
	stalls  map[*conn]stallMark // the connections waiting to write, for sweepStalled
	ctr     counters.Set        // what the loop and its sessions do, for Stats
	mark    time.Time           // start of the loop's current stretch of work, for ctr's busy time
	parked  time.Time           // when a blocking Wait began; zero once an event came

	mu       sync.Mutex
	stopped  bool // the loop has ended: posted tasks are refused
	tasks    []task
	spare    []task
	sleeping atomic.Bool
}

func newLoop(r *reactor, lfd int) (*loop, error) {
	p, err := netpoll.New(netpoll.Config{})
	if err != nil {
		return nil, err
	}
	l := &loop{
		reactor: r,
		poll:    p,
		buf:     make([]byte, r.cfg.readBufferSize()),
		wheel:   timewheel.New(tick, wheelSlots),
		lfd:     lfd,
	}
	if s := r.srv; s != nil {
		l.upgrade = s.upgradePolicy(&l.exts)
	}
	l.handle = l.event
	l.fire = l.timer
	if lfd >= 0 {
		if err := p.Add(lfd, netpoll.EventRead); err != nil {
			p.Close()
			return nil, err
		}
	}
	return l, nil
}

// post queues a task and wakes the loop if it sleeps.
func (l *loop) post(t task) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		l.refuse(t)
		return
	}
	l.tasks = append(l.tasks, t)
	l.mu.Unlock()
	if l.sleeping.Load() {
		_ = l.poll.Wake()
	}
}

// refuse ends a task posted to a loop that has stopped, so that nothing
// waits for it and no fd leaks.
func (l *loop) refuse(t task) {
	switch t.kind {
	case taskDial:
		_ = netpoll.Close(t.c.fd())
		t.c.flags.Or(flagClosed)
		t.c.dial.done <- dialResult{err: ErrServerClosed}
	case taskAdopt:
		_ = netpoll.Close(t.fd)
	case taskAdoptSession:
		_ = netpoll.Close(t.c.fd())
		t.c.flags.Or(flagClosed)
		t.c.ep.Closed(ErrServerClosed)
	case taskRun:
		t.run.Run() // it releases what it holds; its sessions are closed
	}
}

func (l *loop) run() {
	defer l.reactor.wg.Done()
	l.mark = time.Now()
	for {
		// One clock reading per turn serves the busy-time count and the
		// wheel, which this turn's events then find current (fresh): at
		// 100 × 16 KiB the loop read the clock about seven times per
		// wake-up, 1–2% of its CPU in the vDSO.
		now := time.Now()
		if statsOn {
			l.ctr.BusyNanos.Add(uint64(now.Sub(l.mark)))
			l.mark = now
		}
		next := l.wheel.Advance(now, l.fire)
		l.fresh = true
		// Poll first: under load events are pending, and netpoll's
		// non-blocking poll (like its read and write) skips the
		// scheduler's system-call bookkeeping, which cost the loop 8% of
		// its core in sysmon wake-ups and P hand-offs.
		again := l.readAgain()
		n, err := l.poll.Wait(0, l.handle)
		n += again
		if bp := l.reactor.cfg.BusyPoll; bp > 0 && n == 0 && err == nil && time.Since(l.busy) < bp {
			// Poll again after a yield, which also runs due Go timers;
			// the wheel and the tasks are served as usual.
			if l.after(nil) {
				return
			}
			runtime.Gosched()
			continue
		}
		if n == 0 && err == nil && next != 0 {
			// About to block: first let whatever is runnable here run
			// (handlers and Incoming readers this loop readied, due
			// timers). On Linux Wait usually parks in the scheduler, but
			// with more loops than Ps (or in kevent) it blocks its thread,
			// and the P with it until sysmon takes it back, up to 10 ms
			// later.
			runtime.Gosched()
			l.sleeping.Store(true)
			l.fresh = false // the wheel must catch up after the park
			l.mu.Lock()
			pending := len(l.tasks) > 0
			l.mu.Unlock()
			l.parked = time.Now()
			if next > 0 {
				// The yield may have lasted; the wheel must not fire late.
				next = max(next-l.parked.Sub(now), 0)
			}
			if pending {
				next = 0
			}
			l.ctr.BusyNanos.Add(uint64(l.parked.Sub(l.mark)))
			l.ctr.Park(l.parked)
			n, err = l.poll.Wait(next, l.handle)
			if !l.parked.IsZero() { // woken without an event: a task or a timer
				l.unpark()
			}
		}
		if n > 0 && l.reactor.cfg.BusyPoll > 0 {
			l.busy = time.Now() // the busy-poll window runs from here
		}
		if l.after(err) {
			return
		}
		if n > 0 {
			// A loop that keeps finding events never blocks, so it would
			// keep its P until the next preemption, 10 ms away: the
			// goroutines it readied and everyone else's would wait that
			// long. A yield costs about 80 ns.
			runtime.Gosched()
		}
	}
}

// after finishes one wake-up of the loop: the wheel, then the tasks. It
// reports whether the loop has ended.
func (l *loop) after(err error) bool {
	l.sleeping.Store(false)
	l.advance()
	if err != nil || l.runTasks() {
		l.shutdown()
		return true
	}
	return false
}

// runTasks runs the queued tasks; it reports whether the loop must stop.
func (l *loop) runTasks() bool {
	l.mu.Lock()
	ts := l.tasks
	l.tasks = l.spare[:0]
	l.mu.Unlock()
	stop := false
	for i := range ts {
		t := &ts[i]
		switch t.kind {
		case taskSync:
			if t.c.open() {
				l.sync(t.c)
			}
		case taskClose:
			if t.c.open() {
				l.closeConn(t.c, nil)
			}
		case taskAdopt:
			l.adopt(t.fd, t.pre)
		case taskDial:
			l.startDial(t.c)
		case taskAdoptSession:
			l.adoptUpgraded(t.c, t.pre[:t.fd], t.pre[t.fd:])
		case taskStopAccept:
			l.stopAccept()
		case taskGoingAway:
			l.stopAccept()
			l.reactor.fds.each(l, func(c *conn) {
				if c.ep == nil {
					l.closeConn(c, ErrServerClosed) // still handshaking
				} else {
					c.ep.GoingAway()
				}
			})
		case taskStop:
			stop = true
		case taskRun:
			t.run.Run()
		}
		*t = task{}
	}
	l.mu.Lock()
	l.spare = ts[:0]
	l.mu.Unlock()
	return stop
}

func (l *loop) stopAccept() {
	l.wheel.Stop(&l.atimer)
	if l.lfd >= 0 {
		_ = l.poll.Delete(l.lfd)
		_ = netpoll.Close(l.lfd)
		l.lfd = -1
	}
}

// shutdown closes every connection and the poller.
func (l *loop) shutdown() {
	l.mu.Lock()
	l.stopped = true
	pending := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	for _, t := range pending {
		l.refuse(t)
	}
	l.stopAccept()
	l.reactor.fds.each(l, func(c *conn) { l.closeConn(c, ErrServerClosed) })
	_ = l.poll.Close()
}

// advance brings the wheel's clock to now, once per wake-up and before any
// event is handled, so that timers armed while handling events count from
// the present (the wheel measures from its last Advance). The top of each
// turn advances it; after a park, unpark's clock reading does.
func (l *loop) advance() {
	if !l.fresh {
		// Awake: tasks posted from here on need no wake-up.
		l.sleeping.Store(false)
		l.fresh = true
		now := l.mark
		if !l.parked.IsZero() || now.IsZero() {
			now = time.Now()
		}
		l.wheel.Advance(now, l.fire)
	}
}

// unpark ends the loop's time parked in the poller: busy time runs again,
// from the wake-up that advance then gives the wheel.
func (l *loop) unpark() {
	l.mark = l.ctr.Unpark()
	l.parked = time.Time{}
}

// event handles one readiness event.
func (l *loop) event(fd int, ev netpoll.Event) {
	if !l.parked.IsZero() {
		l.unpark()
	}
	l.advance()
	if fd == l.lfd {
		l.accept()
		return
	}
	c := l.reactor.fds.get(fd)
	if c == nil || c.loop != l {
		// Closed earlier in this batch of events, the fd number maybe
		// already another loop's.
		return
	}
	if c.dial != nil {
		l.dialEvent(c, ev)
		return
	}
	if ev&netpoll.EventWrite != 0 {
		l.writable(c)
		if !c.open() {
			return
		}
	}
	if ev&(netpoll.EventRead|netpoll.EventHup|netpoll.EventErr) != 0 {
		if l.read(c) || connEdge != 0 && ev&(netpoll.EventHup|netpoll.EventErr) != 0 && c.open() {
			// Edge-triggered, nothing reports this socket again: bytes
			// may be left beyond the buffer, or the end of the stream
			// behind the bytes just read.
			l.again = append(l.again, c)
		}
		if l.reads++; l.reads%yieldReads == 0 {
			// Let the goroutines this batch readied run before the
			// next reads: Incoming readers and pool workers each hold a
			// pooled copy of a message until they run, so without it
			// the copies in flight peak at a whole batch (256 events)
			// and every new peak allocates.
			runtime.Gosched()
		}
	}
}

// yieldReads is how many reads a loop makes between yields within a batch.
const yieldReads = 32

func (l *loop) accept() {
	for i := 0; i < acceptBatch; i++ {
		fd, raddr, err := netpoll.Accept(l.lfd)
		if err != nil {
			if !errors.Is(err, netpoll.ErrWouldBlock) {
				// EMFILE and the like: the connection stays queued and
				// the listener readable, so retrying at once would spin.
				l.pauseAccept(err)
			}
			return
		}
		l.apause.reset()
		l.ctr.Accepted.Add(1)
		srv := l.reactor.srv
		if srv.closed.Load() {
			_ = netpoll.Close(fd)
			continue
		}
		if m := l.reactor.maxConns; m > 0 && l.reactor.conns.Load()+srv.portableConns.Load() >= m {
			_, _ = netpoll.Write(fd, resp503)
			_ = netpoll.Close(fd)
			l.ctr.Rejected[counters.StatusBucket(503)].Add(1)
			continue
		}
		// Spread connections of a shared listener over the loops.
		if l.reactor.shared && len(l.reactor.loops) > 1 {
			if o := l.reactor.pick(); o != l {
				o.post(task{kind: taskAdopt, fd: fd})
				continue
			}
		}
		l.add(fd, addrPort(raddr), nil)
	}
}

// pauseAccept stops watching the listener for the next back-off period.
func (l *loop) pauseAccept(err error) {
	wait := l.apause.next()
	_ = l.poll.Delete(l.lfd)
	l.wheel.Schedule(&l.atimer, wait)
	l.reactor.srv.logAcceptPause(err, wait)
}

// resumeAccept watches the listener again after a pause; a connection still
// queued is reported at once and retried.
func (l *loop) resumeAccept() {
	if l.lfd < 0 {
		return
	}
	if err := l.poll.Add(l.lfd, netpoll.EventRead); err != nil {
		l.pauseAccept(err)
	}
}

var resp503 = []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

// adopt takes over an fd accepted by another loop or hijacked from net/http.
func (l *loop) adopt(fd int, pre []byte) {
	var remote netip.AddrPort
	if sa, err := getpeername(fd); err == nil {
		remote = sa
	}
	l.add(fd, remote, pre)
}

// add registers a new connection, waiting for its upgrade request.
func (l *loop) add(fd int, remote netip.AddrPort, pre []byte) {
	_ = netpoll.SetNoDelay(fd, true)
	_ = netpoll.SetKeepAlive(fd, l.reactor.cfg.keepAlive())
	c := &conn{fdNum: int32(fd), loop: l, peer: l.reactor.zones.pack(remote)}
	if err := l.poll.Add(fd, netpoll.EventRead|connEdge); err != nil {
		_ = netpoll.Close(fd)
		return
	}
	c.setInterest(netpoll.EventRead)
	l.register(c)
	l.wheel.Schedule(&c.timer, l.reactor.srv.cfg.handshakeTimeout())
	if len(pre) > 0 {
		l.upgradeConn(c, pre)
	}
}

// register puts c in the reactor's fd table.
func (l *loop) register(c *conn) {
	l.reactor.fds.set(c)
	l.reactor.conns.Add(1)
}

// read reads once into the shared buffer and feeds the bytes on. It
// reports whether an edge-triggered c must be read again on the next turn:
// the read filled the buffer, so more may be waiting.
func (l *loop) read(c *conn) (again bool) {
	n, err := netpoll.Read(c.fd(), l.buf)
	if n > 0 {
		if c.ep == nil {
			if c.flags.Load()&flagLinger == 0 {
				l.upgradeConn(c, l.buf[:n])
			}
		} else {
			if statsOn {
				l.ctr.WireIn.Add(uint64(n))
			}
			_ = c.ep.Feed(l.buf[:n])
		}
	}
	if err != nil && !errors.Is(err, netpoll.ErrWouldBlock) && c.open() {
		l.closeConn(c, err)
	}
	return connEdge != 0 && n == len(l.buf) && c.open()
}

// readAgain reads the connections the previous turn put on the again list,
// as a level-triggered poller would have reported them again, and returns
// how many it read. Those that fill the buffer again go back on the list
// for the turn after, behind the events found meanwhile.
func (l *loop) readAgain() int {
	n := len(l.again)
	if n == 0 {
		return 0
	}
	l.advance()
	done := 0
	for i := range n {
		c := l.again[i]
		l.again[i] = nil
		// Closed since, or its reading paused: resuming re-arms the fd
		// (loop.sync), and the kernel then reports what is pending.
		if !c.open() || c.interest()&netpoll.EventRead == 0 || l.reactor.fds.get(c.fd()) != c {
			continue
		}
		if l.read(c) {
			l.again = append(l.again, c)
		}
		done++
	}
	k := copy(l.again, l.again[n:])
	clear(l.again[k:])
	l.again = l.again[:k]
	return done
}

// upgradeConn collects the request head and answers it in the loop.
func (l *loop) upgradeConn(c *conn, p []byte) {
	data := p
	head := l.heads[c]
	if head != nil {
		head.B = append(head.B, p...)
		data = head.B
	}
	l.exts = nil
	res, out, err := handshake.Upgrade(data, &l.upgrade, l.out[:0])
	l.out = out[:0]
	if errors.Is(err, handshake.ErrIncomplete) {
		if head == nil {
			// Kept by the loop, not in the conn: a head split over reads
			// is rare, and every idle conn would pay 8 bytes for it.
			head = bufpool.Get(2 * len(p))
			head.B = append(head.B, p...)
			if l.heads == nil {
				l.heads = make(map[*conn]*bufpool.Buf)
			}
			l.heads[c] = head
		}
		return
	}
	written := true
	if len(out) > 0 {
		if w, werr := netpoll.Write(c.fd(), out); werr != nil || w < len(out) {
			err = errors.Join(err, io.ErrShortWrite)
			written = false
		}
	}
	mk := l.reactor.srv.match(res.Request.Path)
	if err == nil && mk == nil {
		err = ErrServerClosed // the route went away: cannot happen, routes are only added
	}
	if err != nil {
		if rej, ok := errors.AsType[*handshake.RejectError](err); ok {
			l.ctr.Rejected[counters.StatusBucket(rej.Status)].Add(1)
		}
		if written && len(out) > 0 {
			l.linger(c)
			return
		}
		l.closeConn(c, err)
		return
	}
	req := session.Request{
		Path:       res.Request.Path,
		RawQuery:   res.Request.RawQuery,
		Remote:     c.Remote(),
		Header:     res.Request.Header,
		Protocol:   res.Protocol,
		Extensions: l.exts,
	}
	l.exts = nil
	l.wheel.Stop(&c.timer)
	_, c.ep = mk(seam.Server, c, req)
	l.ctr.Upgraded.Add(1)
	l.ctr.WireIn.Add(uint64(len(data) - res.HeadLen))
	c.ep.Start(data[:res.HeadLen])
	if rest := data[res.HeadLen:]; len(rest) > 0 && c.open() {
		_ = c.ep.Feed(rest)
	}
	l.dropHead(c)
}

// dropHead gives back the part of c's request head kept over reads, if any.
func (l *loop) dropHead(c *conn) {
	if head, ok := l.heads[c]; ok {
		bufpool.Put(head)
		delete(l.heads, c)
	}
}

// linger ends a connection whose handshake was refused as RFC 9112 §9.6
// asks: the answer is written, so shut down writing (FIN after it) and read
// and drop what the peer still sends, the rest of an oversized head for
// example, until it closes or lingerTime passes. Closing at once with
// unread bytes would send an RST, and the peer's kernel might drop our
// answer before the client read it.
func (l *loop) linger(c *conn) {
	c.flags.Or(flagLinger)
	_ = unix.Shutdown(c.fd(), unix.SHUT_WR)
	l.dropHead(c)
	l.wheel.Schedule(&c.timer, lingerTime)
}

// writable hands a writability event to the session.
func (l *loop) writable(c *conn) {
	// Let the session write first: if it still has a backlog it asks again,
	// and the interest is then updated once instead of dropped and re-added.
	c.flags.And(^flagWantWrite)
	if c.ep != nil {
		c.ep.Writable()
	}
	if c.open() {
		l.sync(c)
	}
}

// sync applies the interest and timer the connection's driver calls asked
// for.
func (l *loop) sync(c *conn) {
	c.flags.And(^flagSyncQueued)
	f := c.flags.Load()
	want := netpoll.Event(0)
	if f&flagPaused == 0 {
		want |= netpoll.EventRead
	}
	if f&flagWantWrite != 0 {
		want |= netpoll.EventWrite
	}
	// Edge-triggered, a write interest is set again each time the session
	// asks for it: epoll_ctl then polls the socket and reports it if it
	// is writable already, an edge that would otherwise have passed.
	if want != c.interest() || connEdge != 0 && want&netpoll.EventWrite != 0 {
		if err := l.poll.Modify(c.fd(), want|connEdge); err == nil {
			if want&^c.interest()&netpoll.EventWrite != 0 {
				l.watchStall(c)
			}
			c.setInterest(want)
		}
	}
	if f&flagTimerSet != 0 {
		c.flags.And(^flagTimerSet)
		if n := c.timerD.Load(); n > 0 {
			l.wheel.Schedule(&c.timer, time.Duration(n)*tick)
		} else {
			l.wheel.Stop(&c.timer)
		}
	}
}

// timer handles an expired connection timer.
func (l *loop) timer(t *timewheel.Timer) {
	if t == &l.atimer {
		l.resumeAccept()
		return
	}
	if t == &l.stimer {
		l.sweepStalled()
		return
	}
	c := (*conn)(unsafe.Pointer(t)) // the timer is conn's first field
	if !c.open() {
		return
	}
	if c.flags.Load()&flagTimerSet != 0 {
		// The session re-armed its timer after this deadline was set and
		// the loop has not applied it yet: this expiry is stale.
		l.sync(c)
		return
	}
	if c.ep == nil {
		l.closeConn(c, errHandshakeTimeout)
		return
	}
	c.ep.Timer()
}

// closeConn closes the connection's fd and ends its session.
func (l *loop) closeConn(c *conn, err error) {
	c.mu.Lock()
	if c.flags.Load()&flagClosed != 0 {
		c.mu.Unlock()
		return
	}
	c.flags.Or(flagClosed)
	_ = l.poll.Delete(c.fd())
	if err == nil {
		// A close we chose: drop what the peer sent that we will never
		// read, so the kernel ends with FIN rather than an RST that
		// could destroy our close frame in flight.
		for i := 0; i < 4; i++ {
			if n, rerr := netpoll.Read(c.fd(), l.buf); rerr != nil || n < len(l.buf) {
				break
			}
		}
	}
	_ = netpoll.Close(c.fd())
	c.mu.Unlock()
	l.reactor.fds.clear(c)
	l.wheel.Stop(&c.timer)
	l.dropHead(c)
	if c.ep != nil {
		c.ep.Closed(err)
	}
	if c.dial != nil {
		if err == nil {
			err = ErrServerClosed
		}
		if c.dial.head != nil {
			bufpool.Put(c.dial.head)
			c.dial.head = nil
		}
		c.dial.done <- dialResult{err: err}
		c.dial = nil
	}
	// Last, so that a Stats that no longer counts the connection counts
	// how its session ended.
	l.reactor.conns.Add(-1)
}
