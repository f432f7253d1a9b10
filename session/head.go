package session

import (
	"bytes"
	"net/http"
	"net/textproto"
	"sync"

	"github.com/surgews/surge/internal/bufpool"
)

// headState is the upgrade request's head, held while the handler opens the
// session so that Request can show every header without the application
// listing them in advance (engine.Config.KeepHeaders keeps some for longer).
// It lives until OnOpen returns (event style), or until the session function
// asks for Incoming or returns (channel style), so an idle session holds
// none of it.
type headState struct {
	raw    []byte       // the request head, request line included
	buf    *bufpool.Buf // raw's pooled storage; nil when raw is borrowed
	parsed http.Header  // raw parsed, on the first Request
}

// The lazy state made only to hold the request head while the handler
// opens the session, and the head's state, come from pools and go back when
// the handler has opened it. Made and dropped at every upgrade, they were
// 272 bytes of garbage per connection, and a server that had just accepted
// thousands kept about that much freed heap resident per connection until
// the scavenger returned it (issue #18: RSS per idle connection).
var (
	openLazyPool = sync.Pool{New: func() any { return new(lazyState) }}
	headPool     = sync.Pool{New: func() any { return new(headState) }}
)

// holdHead keeps head for Request while the handler opens the session. An
// inline handler opens inside Start, while head is still valid, so it is
// borrowed; the others open later and get a pooled copy. Callers hold mu.
func (s *Session) holdHeadLocked(head []byte) (fresh bool) {
	fresh = s.lazy == nil
	if fresh {
		s.lazy = openLazyPool.Get().(*lazyState)
	}
	h := headPool.Get().(*headState)
	h.raw = head
	if s.route.mode != modeInline {
		h.buf = bufpool.Get(len(head))
		h.buf.B = append(h.buf.B, head...)
		h.raw = h.buf.B
	}
	s.lazyState().head = h
	return fresh
}

// dropHead forgets the request head once the handler has opened the
// session. fresh says lazy was made for the head alone: it is dropped too if
// nothing else was put in it, so that an idle session keeps no lazy state.
func (s *Session) dropHead(fresh bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.lazy
	if x == nil || x.head == nil {
		return
	}
	x.dropHeadLocked()
	if fresh && x.unused() {
		// Nothing but the head was ever put in x, and every use of lazy
		// state goes through s under mu: no one else holds x.
		s.lazy = nil
		*x = lazyState{}
		openLazyPool.Put(x)
	}
}

// dropHeadLocked releases the request head; the session's mu is held.
func (x *lazyState) dropHeadLocked() {
	bufpool.Put(x.head.buf)
	*x.head = headState{} // Request copied out the parsed header it gave
	headPool.Put(x.head)
	x.head = nil
}

// unused reports whether x holds nothing; TestLazyStateUnused keeps it in
// step with the fields.
func (x *lazyState) unused() bool {
	return x.in == nil && x.outCh == nil && x.sends == 0 && x.pongEnd == 0 &&
		x.done == nil && x.drain == nil && x.reason == (CloseReason{}) && x.err == nil &&
		!x.hasRsn && x.rawQuery == "" && x.header == nil && x.protocol == "" && x.exts == nil &&
		x.user == nil && x.pingInterval == 0 && x.timeout == 0 && x.maxFrame == 0 &&
		x.masking == 0 && !x.setPing && !x.setTimeout && x.head == nil
}

// header returns every header of the held request head, parsed once.
func (h *headState) header() http.Header {
	if h.parsed == nil {
		h.parsed = parseHead(h.raw)
	}
	return h.parsed
}

// parseHead parses the header fields of a request head that the handshake
// has already validated: the request line is skipped, names are
// canonicalized, values trimmed, repeated fields kept in order, and obsolete
// line folding (RFC 9112 §5.2) joined with a space.
func parseHead(raw []byte) http.Header {
	h := make(http.Header)
	var last string
	first := true
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if first {
			first = false
			continue
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if vs := h[last]; len(vs) > 0 {
				vs[len(vs)-1] += " " + string(bytes.TrimSpace(line))
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		last = textproto.CanonicalMIMEHeaderKey(string(line[:colon]))
		h[last] = append(h[last], string(bytes.Trim(line[colon+1:], " \t")))
	}
	return h
}
