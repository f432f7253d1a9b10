// Package push is the seam between package topic and package session for
// frames prepared once and written to many sessions: the prepared frame, the
// per-session membership record that ends a session's subscriptions, and the
// hooks that session registers when it is initialised (session cannot export
// them without showing them to applications; topic imports session, so
// session cannot import topic). Package deflate registers ShareKey, which
// lets one compression of a frame serve every session of an agreement.
package push

import (
	"sync"
	"sync/atomic"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// Frame is one data message encoded once, unmasked and uncompressed, in a
// pooled buffer shared by every session it is written to. It is reference
// counted: each holder calls Release once; the last gives the buffer back.
// Sessions copy nothing from it on the common path (their socket takes the
// bytes at once); only a session with a backlog copies the bytes into it.
type Frame struct {
	refs atomic.Int32
	op   frame.Opcode
	hlen int
	buf  *bufpool.Buf

	// The frame's encodings by extensions whose output depends only on
	// their settings (ShareKey): one per distinct agreement among the
	// subscribers, made by the first subscriber that needs it.
	vmu   sync.Mutex
	nvars int
	vars  [maxVariants]variant
}

// maxVariants bounds the encodings one frame keeps; subscribers with yet
// another agreement encode for themselves.
const maxVariants = 4

// variant is one encoding of a Frame: buf.B[off:] is the wire form, or nil
// buf when the extension sends this payload as it is.
type variant struct {
	key any
	buf *bufpool.Buf
	off int
}

var frames = sync.Pool{New: func() any { return new(Frame) }}

// NewFrame encodes a final frame of op (text or binary) with payload, held
// once by the caller.
func NewFrame(op frame.Opcode, payload []byte) *Frame {
	f := frames.Get().(*Frame)
	h := frame.Header{Fin: true, Op: op, Length: int64(len(payload))}
	n := h.Size()
	f.buf = bufpool.Get(n + len(payload))
	f.buf.B = frame.AppendHeader(f.buf.B, &h)
	f.buf.B = append(f.buf.B, payload...)
	f.op, f.hlen = op, n
	f.refs.Store(1)
	return f
}

// Op returns the frame's opcode.
func (f *Frame) Op() frame.Opcode { return f.op }

// Wire returns the encoded frame, header and payload. The caller must not
// change it; it is valid while the caller holds a reference.
func (f *Frame) Wire() []byte { return f.buf.B }

// Payload returns the message payload, under the same rule as Wire.
func (f *Frame) Payload() []byte { return f.buf.B[f.hlen:] }

// Retain adds n references.
func (f *Frame) Retain(n int32) { f.refs.Add(n) }

// Release drops one reference; the last one recycles the frame.
func (f *Frame) Release() {
	switch n := f.refs.Add(-1); {
	case n == 0:
		bufpool.Put(f.buf)
		f.buf = nil
		for i := range f.vars[:f.nvars] {
			bufpool.Put(f.vars[i].buf)
			f.vars[i] = variant{}
		}
		f.nvars = 0
		frames.Put(f)
	case n < 0:
		panic("push: Frame released more often than retained")
	}
}

// Encoded returns the frame's wire form as e encodes it, for an extension
// whose ShareKey is key: made once per key and frame, whoever asks first
// (under the frame's lock: EncodeMessage of such an extension may run on
// any goroutine). ok is false when e failed, or the frame holds
// maxVariants encodings already; the caller then encodes for itself.
func (f *Frame) Encoded(key any, e extension.Extension) (wire []byte, ok bool) {
	f.vmu.Lock()
	defer f.vmu.Unlock()
	for i := range f.vars[:f.nvars] {
		if v := &f.vars[i]; v.key == key {
			if v.buf == nil {
				return f.Wire(), true
			}
			return v.buf.B[v.off:], true
		}
	}
	if f.nvars == maxVariants {
		return nil, false
	}
	p := f.Payload()
	b := bufpool.Get(frame.MaxHeaderSize + len(p) + 64)
	// The payload goes after room for the longest header, which is then
	// written just before it.
	out, rsv, err := e.EncodeMessage(b.B[:frame.MaxHeaderSize], p)
	if err != nil {
		bufpool.Put(b)
		return nil, false
	}
	v := &f.vars[f.nvars]
	f.nvars++
	v.key = key
	if rsv == 0 {
		bufpool.Put(b) // sent as it is (below the threshold, say)
		return f.Wire(), true
	}
	h := frame.Header{Fin: true, Rsv: rsv, Op: f.op, Length: int64(len(out) - frame.MaxHeaderSize)}
	v.off = frame.MaxHeaderSize - h.Size()
	_, _ = frame.PutHeader(out[v.off:], &h)
	b.B = out
	v.buf = b
	return out[v.off:], true
}

// ShareKey is set by package deflate: for an extension whose EncodeMessage
// output depends only on its settings and the payload, and which may be
// called from any goroutine, it returns a comparable key naming those
// settings; nil for one that keeps state between messages (context
// takeover), which its session must encode for itself.
var ShareKey func(e extension.Extension) any

// Result is what became of one delivery to one session.
type Result uint8

const (
	// Written: the frame was written or queued behind the session's backlog.
	Written Result = iota
	// Dropped: the session's backlog was full and its policy drops.
	Dropped
	// Closed: the session's backlog was full and its policy closed it (1008).
	Closed
	// Gone: the session is closing or closed; nothing was written.
	Gone
)

// Member is a session's record of the topics it subscribed to, kept on the
// session so that the session's end drops its subscriptions. Its fields are
// the topic package's; session only stores and hands back the pointer.
type Member struct {
	Mu    sync.Mutex
	First any  // the topic package's first subscription record of a list
	Done  bool // the session ended: no new subscription may be added
}

// The hooks of package session (typed with its types, hence any), set when it
// is initialised; topic asserts them once.
var (
	// Attach returns the Member of a *session.Session, making it on first
	// use; nil once the session has ended:
	//
	//	func(s *session.Session) *Member
	Attach any

	// Deliver writes frames, in order, to a *session.Session, through its
	// write path and backlog policy, and returns one Result per frame in
	// res (len(res) == len(fs)):
	//
	//	func(s *session.Session, fs []*Frame, res []Result, iov [][]byte)
	Deliver any

	// LoopOf returns the event loop serving a *session.Session, nil if none:
	//
	//	func(s *session.Session) seam.Loop
	LoopOf any

	// Ended is set by package topic: session calls it once, outside its
	// lock, when a session with a Member ends.
	Ended func(m *Member)
)
