package session

import (
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// Role says which end of a connection a session is (RFC 6455 §5.1: a client
// masks what it sends, a server does not).
type Role uint8

const (
	// RoleServer expects masked frames and sends unmasked ones (unless the
	// Config asks for masking).
	RoleServer Role = iota
	// RoleClient masks every frame it sends.
	RoleClient
)

// Request is the data of the upgrade request a session came from (Ktor's call):
// what the engine fills in and Session.Request returns.
type Request struct {
	// Path is the request path without the query.
	Path string
	// RawQuery is the query without '?'.
	RawQuery string
	// Remote is the peer's address.
	Remote netip.AddrPort
	// Header holds only the request headers the server was configured to
	// keep; nil otherwise, so an idle session pays nothing for headers.
	Header http.Header
	// Protocol is the negotiated subprotocol, "" if none.
	Protocol string
	// Extensions are the negotiated extensions, in response order.
	Extensions []Extension
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
)

// atomic flags (Session.af).
const (
	afInline uint32 = 1 << iota // an inline handler runs on the feeding goroutine
	afLimit                     // SetMaxFrameSize changed the frame limit
	afCork                      // Feed runs: writes are batched until it ends
	afQueued                    // a write was batched while corked
)

// receive-side flags, touched only by the feeding goroutine.
const (
	rxInFrame  = 1 << iota // a header was parsed; its payload is being read
	rxDecode               // the open message carries extension bits: decode at its end
	rxSkip                 // failed or closed by the peer: data is skipped
	rxLost                 // the stream cannot be framed: everything is dropped
	rxBadFrame             // the current frame is the one that failed: skip all of it
)

// Session is one WebSocket connection, either end (Ktor's WebSocketSession).
// It holds the RFC 6455 state machine without doing I/O: a Driver feeds it
// bytes and writes what it asks. All methods are safe for concurrent use,
// except the driver-facing Feed, which one goroutine calls at a time.
//
// An idle session holds no buffer, no channel and no goroutine: those appear
// only while a message is partly received, the backlog is not empty, or the
// application asks for Incoming, Outgoing or Done.
type Session struct {
	mu  sync.Mutex
	cfg *Config
	drv Driver

	// Receive side: the feeding goroutine's alone.
	hdr     frame.Header
	remain  int64 // payload bytes of the current frame still to come
	msgLen  int64 // bytes of the open message received so far
	vld     frame.Validator
	utf     frame.UTF8
	rx      uint8
	hlen    uint8 // bytes of a partial header in hbuf
	maskPos uint8
	msgOp   frame.Opcode // opcode of the open message
	msgRsv  byte         // RSV bits of the open message's first frame
	role    Role
	hbuf    [frame.MaxHeaderSize]byte
	msg     *bufpool.Buf // message being joined; nil when none is open
	ctl     *bufpool.Buf // control frame split over reads; nil otherwise

	// Send and close side: guarded by mu.
	state   uint16
	sched   bool          // on a pool's run queue or worker (DispatchPool)
	af      atomic.Uint32 // afInline, afLimit: read without mu
	outOff  int           // bytes of out already written
	out     *bufpool.Buf  // backlog; nil when empty
	written uint64        // bytes handed to the kernel so far, for Flush

	x      *extra   // rarely used state, allocated on first use
	evq    *evqueue // events waiting for the application; nil when none
	path   string
	remote netip.AddrPort
}

// extra holds what most sessions never need; it is allocated on first use,
// under mu.
type extra struct {
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
	exts     []Extension
	user     any

	pingInterval time.Duration
	timeout      time.Duration
	maxFrame     int64
	masking      int8 // 0 unset, 1 on, -1 off
	setPing      bool
	setTimeout   bool
}

type eventKind uint8

const (
	evOpen eventKind = iota
	evMessage
	evError
	evClose
	evFail // a failure queued behind the messages before it
)

type event struct {
	kind eventKind
	f    Frame
	err  error
}

// New returns a session of the given role using cfg (which must outlive it and
// not change) and drv. req may be nil. Call Start before the first Feed.
func New(cfg *Config, role Role, drv Driver, req *Request) *Session {
	s := &Session{cfg: cfg, drv: drv, role: role}
	if req != nil {
		s.path, s.remote = req.Path, req.Remote
		if req.RawQuery != "" || req.Header != nil || req.Protocol != "" || len(req.Extensions) > 0 {
			x := s.extra()
			x.rawQuery, x.header, x.protocol, x.exts = req.RawQuery, req.Header, req.Protocol, req.Extensions
		}
	}
	s.vld.MaxFrameSize = cfg.maxFrame()
	switch {
	case role == RoleServer:
		s.vld.Mask = frame.MaskRequired
	case cfg.Masking:
		s.vld.Mask = frame.MaskAny
	default:
		s.vld.Mask = frame.MaskForbidden
	}
	if cfg.Handler == nil {
		s.extra().in = make(chan Frame, cfg.incomingBuffer())
	}
	if s.x != nil {
		for _, e := range s.x.exts {
			s.vld.AllowedRsv |= e.Rsv()
		}
	}
	return s
}

// extra returns s.x, allocating it. Callers hold mu or own s exclusively.
func (s *Session) extra() *extra {
	if s.x == nil {
		s.x = &extra{}
	}
	return s.x
}

// Start opens the session: it delivers the open event and arms the ping timer.
func (s *Session) Start() {
	s.mu.Lock()
	if d := s.pingIntervalLocked(); d > 0 && s.state&(stCloseSent|stClosePending|stFinished) == 0 {
		s.drv.SetTimer(d)
	}
	s.mu.Unlock()
	if h := s.cfg.Handler; h != nil {
		if s.cfg.Dispatch == DispatchInline {
			s.callInline(event{kind: evOpen})
		} else {
			s.enqueue(event{kind: evOpen})
		}
	}
}

// Role reports which end of the connection s is.
func (s *Session) Role() Role { return s.role }

// Request returns the data of the upgrade request s came from.
func (s *Session) Request() Request {
	r := Request{Path: s.path, Remote: s.remote}
	s.mu.Lock()
	if x := s.x; x != nil {
		r.RawQuery, r.Header, r.Protocol, r.Extensions = x.rawQuery, x.header, x.protocol, x.exts
	}
	s.mu.Unlock()
	return r
}

// Protocol returns the negotiated subprotocol, "" if none.
func (s *Session) Protocol() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x == nil {
		return ""
	}
	return s.x.protocol
}

// Extensions returns the negotiated extensions (Ktor's extensions).
func (s *Session) Extensions() []Extension {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x == nil {
		return nil
	}
	return s.x.exts
}

// Server returns the Config's Server value: the server the session belongs to
// (Ktor's application).
func (s *Session) Server() any { return s.cfg.Server }

// SetValue attaches one application value to the session; Value returns it.
func (s *Session) SetValue(v any) {
	s.mu.Lock()
	s.extra().user = v
	s.mu.Unlock()
}

// Value returns the value given to SetValue, or nil.
func (s *Session) Value() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x == nil {
		return nil
	}
	return s.x.user
}

// PingInterval returns how often the session pings its peer; 0 means never.
func (s *Session) PingInterval() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingIntervalLocked()
}

func (s *Session) pingIntervalLocked() time.Duration {
	if s.x != nil && s.x.setPing {
		return s.x.pingInterval
	}
	return s.cfg.PingInterval
}

// SetPingInterval changes how often the session pings its peer; 0 stops pings.
func (s *Session) SetPingInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.extra()
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
	if s.x != nil && s.x.setTimeout && s.x.timeout > 0 {
		return s.x.timeout
	}
	return s.cfg.timeout()
}

// SetTimeout changes the session's Timeout; 0 restores the configured one.
func (s *Session) SetTimeout(d time.Duration) {
	s.mu.Lock()
	x := s.extra()
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
	if s.role == RoleClient {
		return true
	}
	if s.x != nil && s.x.masking != 0 {
		return s.x.masking > 0
	}
	return s.cfg.Masking
}

// SetMasking changes whether a server session masks what it sends. A client
// always masks (RFC 6455 §5.3), so on a client it has no effect.
func (s *Session) SetMasking(on bool) {
	s.mu.Lock()
	if on {
		s.extra().masking = 1
	} else {
		s.extra().masking = -1
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
	if s.x != nil && s.x.maxFrame > 0 {
		return s.x.maxFrame
	}
	return s.cfg.maxFrame()
}

// SetMaxFrameSize changes the largest frame payload the session accepts; a
// larger frame closes it with 1009. 0 restores the configured limit.
func (s *Session) SetMaxFrameSize(n int64) {
	s.mu.Lock()
	s.extra().maxFrame = n
	s.mu.Unlock()
	s.af.Or(afLimit)
}
