package session

import (
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/push"
	"github.com/surgews/surge/internal/seam"
)

// Request is the data of the upgrade request a session came from (Ktor's
// call), as Session.Request returns it.
type Request struct {
	// Path is the request path without the query.
	Path string
	// RawQuery is the query without '?'.
	RawQuery string
	// Remote is the peer's address.
	Remote netip.AddrPort
	// Header holds the request headers. Every header is there while the
	// handler opens the session: in OnOpen (event style), and in a
	// channel-style function until it first asks for Incoming (or calls
	// Receive) or returns, so Host, User-Agent, Cookie or Authorization
	// need no configuration. After that only the headers the server keeps
	// (engine.Config.KeepHeaders) are there, nil if none, so an idle
	// session holds no headers. Read it, do not change it.
	Header http.Header
	// Protocol is the negotiated subprotocol, "" if none.
	Protocol string
	// Extensions are the negotiated extensions, in response order (Ktor's
	// extensions).
	Extensions []extension.Extension
}

// session states and flags, guarded by mu.
const (
	stCloseSent    = 1 << iota // our close frame is queued or written
	stCloseRecv                // the peer's close frame arrived
	stFailed                   // we failed the connection: incoming data is skipped
	stFinished                 // Closed ran: the session is over
	stTransport                // CloseTransport was requested
	stAwaitPong                // a ping is out and its pong has not come
	stPauseQ                   // reading paused: received messages wait for the application
	stPauseOut                 // reading paused: the outgoing backlog is over its limit
	stCloseFlush               // close the transport once the backlog is written
	stPongQueued               // a pong waits in the backlog; later pings need no new one
	stWantWrite                // WantWrite was called and Writable has not come yet
	stClosePending             // Close waits for frames queued in Outgoing before it
	stFailPending              // a failure waits behind messages the application has not handled
	stExtBusy                  // extensions encoded a message since the last timer tick
	stSendFragment             // a fragmented message we send is open
	stSendBinary               // the fragmented message we send (or sent last) is binary
)

// Session.atomicFlags: read without mu.
const (
	flagInline     uint32 = 1 << iota // an inline handler runs on the feeding goroutine
	flagLimit                         // SetMaxFrameSize changed the frame limit
	flagCork                          // Feed runs: writes are batched until it ends
	flagCorkQueued                    // a write was batched while corked
	flagFeedEnd                       // the payload being fed ends Feed's bytes: see writeDirectLocked
	flagInflating                     // a message is inflated in steps: reading stays paused (inflate.go)
)

// Session.recv: the receive side's flags, touched only by the feeding goroutine.
const (
	recvInFrame   = 1 << iota // a header was parsed; its payload is being read
	recvDecode                // the open message carries extension bits: decode at its end
	recvSkip                  // failed or closed by the peer: data is skipped
	recvLost                  // the stream cannot be framed: everything is dropped
	recvBadFrame              // the current frame is the one that failed: skip all of it
	recvStreamed              // Fragments: frames of the open message were delivered
	recvDelivered             // this Feed delivered a message
	recvInflating             // a message is inflated in steps; s.msg keeps the bytes after it
)

// Session is one WebSocket connection, either end (Ktor's
// DefaultWebSocketSession). It holds the RFC 6455 state machine without
// doing I/O; the engine moves its bytes. The engine makes sessions: a route's
// handler or [engine.Dial] gets one ready to use.
//
// All methods are safe for concurrent use: any number of goroutines may send
// while another reads Incoming and a third closes. Frames from concurrent
// Send calls go out whole, never interleaved.
//
// An idle session holds no buffer, no channel and no goroutine: those appear
// only while a message is partly received, the backlog is not empty, or the
// application asks for Incoming, Outgoing or Done.
type Session struct {
	mu    sync.Mutex
	route *route
	drv   seam.Driver

	// Receive side: the feeding goroutine's alone.
	hdr       frame.Header
	remain    int64 // payload bytes of the current frame still to come
	msgLen    int64 // bytes of the open message received so far
	validator frame.Validator
	utf       frame.UTF8
	recv      uint8 // recv* flags
	hlen      uint8 // bytes of a partial header in hbuf
	maskPos   uint8
	msgOp     frame.Opcode // opcode of the open message
	msgRsv    byte         // RSV bits of the open message's first frame
	role      seam.Role
	hbuf      [frame.MaxHeaderSize]byte
	msg       *bufpool.Buf // message being joined; nil when none is open
	ctl       *bufpool.Buf // control frame split over reads; nil otherwise

	// Send and close side: guarded by mu.
	state       uint16
	scheduled   bool          // on a pool's run queue or worker (pool dispatch)
	atomicFlags atomic.Uint32 // flag*: read without mu
	outOff      int           // bytes of out already written
	out         *bufpool.Buf  // backlog; nil when empty
	written     uint64        // bytes handed to the kernel so far, for Flush

	lazy    *lazyState   // rarely used state, allocated on first use
	member  *push.Member // topic subscriptions (prepared.go); nil when none
	waiting *eventQueue  // events waiting for the application; nil when none
	path    *string      // the request path, shared with other sessions of the route (path.go)
	rtt     uint32       // round trip of the last ping's pong, in µs; guarded by mu
}

// route is what the sessions of one route (a server path, or one dial)
// share: their settings, handler and dispatch mode, decided once here.
type route struct {
	cfg     Config
	handler Handler        // event style; nil for channel style
	run     func(*Session) // channel style: started by Start, may be nil
	server  any
	pool    *workerPool // pool dispatch; nil means the process-wide pool
	mode    dispatchMode
	path    atomic.Pointer[string] // the latest session's path, for internPath
}

// dispatchMode is where a session's received messages go.
type dispatchMode uint8

const (
	// modeInline: the event handler runs on the feeding goroutine.
	modeInline dispatchMode = iota
	// modePool: the event handler runs on a worker pool.
	modePool
	// modeChannel: messages go to the Incoming channel.
	modeChannel
)

// newRoute binds a route's sessions; it is seam.NewRoute.
func newRoute(cfg *Config, h Handler, run func(*Session), server any, pool seam.Pool) func(seam.Role, seam.Driver, Request) (*Session, seam.Endpoint) {
	rt := &route{cfg: *cfg, handler: h, run: run, server: server}
	switch {
	case h == nil:
		rt.mode = modeChannel
	case cfg.Dispatch == DispatchPool:
		rt.mode = modePool
		rt.pool, _ = pool.(*workerPool)
	default:
		rt.mode = modeInline
	}
	return func(role seam.Role, d seam.Driver, req Request) (*Session, seam.Endpoint) {
		s := rt.newSession(role, d, &req)
		return s, (*endpoint)(s)
	}
}

// newSession returns a session of the route over d; req may be nil.
func (rt *route) newSession(role seam.Role, d seam.Driver, req *Request) *Session {
	s := &Session{route: rt, drv: d, role: role}
	if req != nil {
		s.path = rt.internPath(req.Path) // the driver holds the peer's address
		if req.RawQuery != "" || req.Header != nil || req.Protocol != "" || len(req.Extensions) > 0 {
			x := s.lazyState()
			x.rawQuery, x.header, x.protocol, x.exts = req.RawQuery, req.Header, req.Protocol, req.Extensions
		}
	}
	cfg := &rt.cfg
	s.validator.MaxFrameSize = cfg.maxFrame()
	switch {
	case role == seam.Server:
		s.validator.Mask = frame.MaskRequired
	case cfg.Masking:
		s.validator.Mask = frame.MaskAny
	default:
		s.validator.Mask = frame.MaskForbidden
	}
	if rt.mode == modeChannel {
		s.lazyState().in = make(chan Frame, cfg.incomingBuffer())
	}
	if s.lazy != nil {
		for _, e := range s.lazy.exts {
			s.validator.AllowedRsv |= e.Rsv()
		}
	}
	return s
}

// lazyState holds what most sessions never need; it is allocated on first
// use, under mu.
type lazyState struct {
	in      chan Frame    // Incoming, when asked for
	outCh   chan Frame    // Outgoing, when asked for
	sends   uint32        // frames the application sent, watched by awaitHandler
	pongEnd int           // end of the queued pong in out, while stPongQueued
	done    chan struct{} // Done, when asked for
	drain   chan struct{} // closed when the backlog makes progress
	reason  CloseReason
	err     error
	hasRsn  bool

	rawQuery string
	header   http.Header
	protocol string
	exts     []extension.Extension
	user     any

	pingInterval time.Duration
	timeout      time.Duration
	maxFrame     int64
	masking      int8 // 0 unset, 1 on, -1 off
	setPing      bool
	setTimeout   bool

	head *headState // the request head, while the handler opens
}

// lazyState returns s.lazy, allocating it. Callers hold mu or own s
// exclusively.
func (s *Session) lazyState() *lazyState {
	if s.lazy == nil {
		s.lazy = &lazyState{}
	}
	return s.lazy
}

// start opens the session: the open event, the channel-style route's
// function, the ping timer. head is the upgrade request's head, valid during
// the call (nil for a client).
func (s *Session) start(head []byte) {
	s.mu.Lock()
	fresh := false
	if head != nil {
		fresh = s.holdHeadLocked(head)
	}
	if d := s.pingIntervalLocked(); d > 0 && s.state&(stCloseSent|stClosePending|stFinished) == 0 {
		s.drv.SetTimer(d)
	}
	s.mu.Unlock()
	switch rt := s.route; rt.mode {
	case modeInline:
		s.callInline(event{kind: evOpen, fresh: fresh})
	case modePool:
		s.enqueue(event{kind: evOpen, fresh: fresh})
	case modeChannel:
		if rt.run != nil {
			go s.runChannel(rt.run)
		}
	}
}

// Request returns the data of the upgrade request s came from, with the
// negotiated subprotocol and extensions.
func (s *Session) Request() Request {
	r := Request{Path: s.pathString(), Remote: s.drv.Remote()}
	s.mu.Lock()
	if x := s.lazy; x != nil {
		r.RawQuery, r.Header, r.Protocol, r.Extensions = x.rawQuery, x.header, x.protocol, x.exts
		if x.head != nil {
			r.Header = x.head.header()
		}
	}
	s.mu.Unlock()
	return r
}

// Server returns the server the session belongs to (Ktor's application): the
// *engine.Server of a server session, nil for a dialled one.
func (s *Session) Server() any { return s.route.server }

// SetValue attaches one application value to the session; Value returns it.
func (s *Session) SetValue(v any) {
	s.mu.Lock()
	s.lazyState().user = v
	s.mu.Unlock()
}

// Value returns the value given to SetValue, or nil.
func (s *Session) Value() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lazy == nil {
		return nil
	}
	return s.lazy.user
}

// PingInterval returns how often the session pings its peer; 0 means never.
func (s *Session) PingInterval() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingIntervalLocked()
}

func (s *Session) pingIntervalLocked() time.Duration {
	if s.lazy != nil && s.lazy.setPing {
		return s.lazy.pingInterval
	}
	return s.route.cfg.PingInterval
}

// SetPingInterval changes how often the session pings its peer; 0 stops pings.
func (s *Session) SetPingInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.lazyState()
	x.pingInterval, x.setPing = d, true
	if s.state&(stCloseSent|stFinished|stAwaitPong) == 0 {
		s.drv.SetTimer(d)
	}
}

// Timeout returns how long a ping waits for its pong and a close for the
// peer's close.
func (s *Session) Timeout() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timeoutLocked()
}

func (s *Session) timeoutLocked() time.Duration {
	if s.lazy != nil && s.lazy.setTimeout && s.lazy.timeout > 0 {
		return s.lazy.timeout
	}
	return s.route.cfg.timeout()
}

// SetTimeout changes the session's Timeout; 0 restores the configured one.
func (s *Session) SetTimeout(d time.Duration) {
	s.mu.Lock()
	x := s.lazyState()
	x.timeout, x.setTimeout = d, true
	s.mu.Unlock()
}

// Masking reports whether the session masks the frames it sends.
func (s *Session) Masking() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maskingLocked()
}

func (s *Session) maskingLocked() bool {
	if s.role == seam.Client {
		return true
	}
	if s.lazy != nil && s.lazy.masking != 0 {
		return s.lazy.masking > 0
	}
	return s.route.cfg.Masking
}

// SetMasking changes whether a server session masks what it sends. A client
// always masks (RFC 6455 §5.3), so on a client it has no effect.
func (s *Session) SetMasking(on bool) {
	s.mu.Lock()
	if on {
		s.lazyState().masking = 1
	} else {
		s.lazyState().masking = -1
	}
	s.mu.Unlock()
}

// MaxFrameSize returns the largest frame payload the session accepts.
func (s *Session) MaxFrameSize() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxFrameLocked()
}

func (s *Session) maxFrameLocked() int64 {
	if s.lazy != nil && s.lazy.maxFrame > 0 {
		return s.lazy.maxFrame
	}
	return s.route.cfg.maxFrame()
}

// SetMaxFrameSize changes the largest frame payload the session accepts; a
// larger frame closes it with 1009. 0 restores the configured limit.
func (s *Session) SetMaxFrameSize(n int64) {
	s.mu.Lock()
	s.lazyState().maxFrame = n
	s.mu.Unlock()
	s.atomicFlags.Or(flagLimit)
}
