// Package netpoll is surge's readiness poller: one [Poller] over epoll(7) on
// Linux and kqueue(2) on macOS and the BSDs, plus the few non-blocking socket
// calls the reactor needs ([Listen], [Accept], [Connect], [Read], [Write],
// [Writev], [DetachFD]). It is the only OS-specific code of the engine and
// knows nothing of WebSocket (RFC 6455 framing lives in package frame).
//
// # Why our own poller
//
// The Go runtime's netpoller only reports readiness to a goroutine parked in
// Read or Write, so asking it "which of these million idle connections has
// bytes?" costs a goroutine and a buffer per connection. A reactor instead
// registers every fd with one Poller per loop and asks [Poller.Wait] for the
// ready ones; an idle connection then costs only its fd and its session.
//
// # Living with the Go scheduler
//
// On Linux, [Read], [Write], [Writev] and a zero-timeout Wait are raw system
// calls: they never block, so they skip the runtime's system-call
// bookkeeping, whose cost under load was mostly sysmon taking the loop's P
// away and waking threads for nothing. For the same reason the fd must be
// non-blocking. A Wait that has to block does not block its thread: a
// duplicate of the epoll fd is registered with the runtime's own poller (an
// epoll fd is readable while it has events to report) and Wait parks its
// goroutine there, so an idle loop holds neither a thread nor a P, and the
// process's other goroutines and timers run at once even with GOMAXPROCS=1.
// [Poller.Wake] readies a parked Wait itself (an expired deadline), since
// the runtime looks at its poller only when a P runs out of work or every
// 10 ms. For the same reason a Wait parks only while the process's open
// Pollers do not outnumber its Ps: a busy loop that yields after every batch
// never lets its P run dry, and a parked neighbour then waited ~8 ms for
// readiness; with more Pollers than Ps, Wait blocks in epoll_wait. On the
// BSDs Wait always blocks in kevent(2).
//
// # Level- versus edge-triggered
//
// Registrations are level-triggered unless the interest includes
// [EventEdge]. Level triggering is the default for both listeners and
// connections because surge's reactor reads at most one buffer per ready fd
// per Wait, for fairness between busy and quiet connections: with level
// triggering an fd that still holds bytes is simply reported again by the
// next Wait, whereas edge triggering would force the loop to drain every fd
// to EAGAIN (or to keep its own "still ready" list) or risk never hearing of
// the remaining bytes. Listeners are level-triggered so an accept loop can
// stop after a bounded number of accepts and still be told about the rest.
// [EventEdge] (EPOLLET, EV_CLEAR) is offered per fd for callers that always
// drain, where it saves the kernel re-queueing the fd after every Wait.
//
// # Event mapping
//
//	Event       epoll (Linux)              kqueue (BSD)
//	EventRead   EPOLLIN                   EVFILT_READ
//	EventWrite  EPOLLOUT                   EVFILT_WRITE
//	EventHup    EPOLLRDHUP, EPOLLHUP       EV_EOF
//	EventErr    EPOLLERR                   EV_ERROR, EV_EOF with Fflags set
//
// An interest of [EventRead] also asks for peer hang-up (EPOLLRDHUP), since a
// read would return io.EOF; [EventHup] may be given on its own to watch for
// hang-up without read interest. [EventErr] and EPOLLHUP are always reported
// by the kernel and need not be asked for. A reported [EventHup] does not mean
// the read buffer is empty: keep reading until [Read] returns io.EOF.
//
// On kqueue the read and write filters are separate kernel events: Wait merges
// them when they arrive next to each other, but an fd may be delivered twice in
// one batch (once per filter). epoll delivers each fd at most once per Wait.
//
// # Closing
//
// [Poller.Close] may be called from any goroutine, also while Wait blocks and
// also from inside the Wait callback. Every method holds a reference on the
// poller's kernel fds while it uses them; Close only marks the poller closed
// and wakes Wait, and whichever goroutine drops the last reference (usually
// the Wait goroutine as it returns [ErrClosed], or Close itself when nobody
// waits) closes the epoll/kqueue fd and the wake-up fd. So an fd number is
// never closed while a system call may still be using it, and never reused
// by another open(2) underneath a running epoll_wait or epoll_ctl. Methods
// called after Close return [ErrClosed].
//
// Registered fds are not closed by the poller: the caller owns them. Close an
// fd only after [Poller.Delete] (or accept that the kernel drops the
// registration on the last close of the file). When the callback of one fd
// closes another fd whose number is then reused, the remainder of the same
// batch may still report the old file under that number: a reactor that
// closes fds from within the callback should defer the close (or the reuse)
// until Wait has returned.
//
// # Allocation
//
// Wait, Wake, Add, Modify, Delete, Read, Write and Writev do not allocate on
// success or on [ErrWouldBlock]; Wait keeps its event buffer in the Poller and
// the callback is a func value the caller keeps. Tests gate this with
// testing.AllocsPerRun. Other errors are wrapped with os.NewSyscallError and
// may allocate.
//
// # Portability
//
// On systems other than Linux, macOS, DragonFly, FreeBSD, NetBSD and OpenBSD
// the package compiles but [New] returns [ErrUnsupported]; surge's engine then
// falls back to its portable net.Conn driver. The socket helpers exist only
// on the supported systems.
package netpoll
