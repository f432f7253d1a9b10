package session

import (
	"sync"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/internal/stepdecode"
)

// inflateStep is the most output a compressed message inflates in one turn
// of its event loop. A decompression bomb inflates up to the message limit
// (32 MiB by default, tens of milliseconds of work); in steps of this size
// the loop serves its other connections every fraction of a millisecond
// instead (issue 16 item 9; docs/reliability.md has the figures). Smaller
// steps cost a loop task each and gain nothing a peer could notice.
const inflateStep = 256 << 10

// decodeInSteps decodes a message with e, the only extension whose bits it
// carries, through stepdecode. A message that does not inflate in one step
// on an event loop is suspended (s.suspend) and nil, nil returned: the rest
// is inflated in later turns of the loop, which serves its other
// connections in between. Without a loop (the net.Conn driver, whose
// goroutine serves this connection alone) it is inflated whole.
func (s *Session) decodeInSteps(e extension.Extension, b *bufpool.Buf, limit int64) (*bufpool.Buf, error) {
	rsv := s.msgRsv & e.Rsv()
	out := bufpool.Get(len(b.B) * 2)
	dec, err := stepdecode.Begin(e, out.B, rsv, b.B, limit)
	if dec == nil && err == nil {
		var res []byte
		if res, err = e.DecodeMessage(out.B, rsv, b.B, limit); err == nil {
			out.B = res
		}
	}
	if dec == nil || err != nil {
		bufpool.Put(b)
		if err != nil {
			bufpool.Put(out)
			return nil, err
		}
		return out, nil
	}
	done, err := dec.Step(inflateStep)
	if err == nil && !done {
		if ld, ok := s.drv.(seam.LoopDriver); ok {
			s.suspend(ld.Loop(), &inflation{dec: dec, src: b, ext: e, rsv: rsv, limit: limit, out: out})
			return nil, nil
		}
		_, err = dec.Step(0)
	}
	bufpool.Put(b)
	if err != nil {
		bufpool.Put(out)
		return nil, err
	}
	out.B = dec.Finish()
	return out, nil
}

// inflation is a received message whose decode yields to its event loop
// between steps. It exists only while such a decode runs or waits, so an
// idle session pays nothing for it; the session itself holds no pointer to
// it (its loop's queue does), and marks the decode with recvInflating.
type inflation struct {
	s *Session
	// dec is the decode in progress; nil while the message waits its turn
	// in the loop's queue, holding only its compressed bytes, src.
	dec   stepdecode.Decoder
	src   *bufpool.Buf
	ext   extension.Extension
	rsv   byte
	limit int64
	out   *bufpool.Buf // the Buf the output goes to (dec's dst)
	op    frame.Opcode
	lp    seam.Loop
	// A loop that has stopped runs what is posted to it at once (seam.Loop):
	// running and again turn that recursion into a loop.
	running, again bool
}

var inflations = sync.Pool{New: func() any { return new(inflation) }}

// queues holds each event loop's decodes in steps, in order: only the
// first one steps, so that a loop holds one partly inflated message at a
// time, as when messages were inflated in one go, however many peers send
// bombs at once (each waiting one holds only its compressed bytes); and a
// turn of the loop does one step beside its connections' events. The map is
// touched only when a message needs more than one step. Every message still
// takes its first step when it arrives, so that one of up to 256 KiB
// inflated is never queued behind bombs; a bomb's first step is done again
// when its turn comes.
var queues struct {
	sync.Mutex
	m map[seam.Loop][]*inflation
}

// suspend hands the rest of a message's decode to the loop: reading pauses
// (bytes the current Feed still holds wait in s.msg, see keepRest), and the
// loop runs one step per turn until the message is done. x has dec, src,
// ext, rsv, limit and out set; it is copied into a pooled inflation.
func (s *Session) suspend(lp seam.Loop, x *inflation) {
	p := inflations.Get().(*inflation)
	*p = *x
	p.s, p.op, p.lp = s, s.msgOp, lp
	s.recv |= recvInflating
	s.atomicFlags.Or(flagInflating)
	s.mu.Lock()
	if s.state&(stPauseQ|stPauseOut) == 0 {
		s.drv.PauseRead(true)
	}
	s.mu.Unlock()
	queues.Lock()
	if queues.m == nil {
		queues.m = make(map[seam.Loop][]*inflation)
	}
	q := queues.m[lp]
	queues.m[lp] = append(q, p)
	queues.Unlock()
	if len(q) > 0 {
		// Another message of this loop steps: wait, keeping only the
		// compressed bytes; the step done is done again later.
		p.dec.Abort()
		p.dec = nil
		return
	}
	bufpool.Put(p.src)
	p.src = nil
	lp.Post(p)
}

// next takes the decode that ended off lp's queue and posts the one after
// it, if any.
func next(lp seam.Loop) {
	queues.Lock()
	q := queues.m[lp]
	q[0] = nil
	q = q[1:]
	if len(q) == 0 {
		delete(queues.m, lp)
	} else {
		queues.m[lp] = q
	}
	queues.Unlock()
	if len(q) > 0 {
		lp.Post(q[0])
	}
}

// keepRest keeps bytes received after a message whose decode is suspended,
// to be fed once it is delivered. s.msg holds them: no other message is open
// until then. Reading is paused meanwhile, so this is at most what one read
// had brought.
func (s *Session) keepRest(p []byte) {
	if s.msg == nil {
		s.msg = bufpool.Get(len(p))
	}
	s.msg = bufpool.Grow(s.msg, len(p))
	s.msg.B = append(s.msg.B, p...)
}

// Run is seam.Runner: one turn of the loop's work on the message. It is
// called on the loop's goroutine, the one that feeds the session, while
// reading is paused, so it owns the receive side as Feed would.
func (p *inflation) Run() {
	if p.running {
		p.again = true // posted to a stopped loop, from turn below
		return
	}
	p.running = true
	for p.turn() {
		if !p.again {
			p.running = false // queued for a later turn of the loop
			return
		}
		p.again = false
	}
}

// turn does one step and reports whether p was posted again; otherwise the
// message is done with and p freed.
func (p *inflation) turn() bool {
	s := p.s
	s.mu.Lock()
	over := s.state&stFinished != 0
	s.mu.Unlock()
	var done bool
	var err error
	if !over && !s.skipping() {
		if p.dec == nil {
			// Its turn in the queue came: begin again.
			p.dec, err = stepdecode.Begin(p.ext, p.out.B, p.rsv, p.src.B, p.limit)
			bufpool.Put(p.src)
			p.src = nil
		}
		if err == nil {
			if done, err = p.dec.Step(inflateStep); err == nil && !done {
				p.lp.Post(p)
				return true
			}
		}
	} else if p.dec != nil {
		// The session ended or failed meanwhile: the message will never
		// be delivered.
		p.dec.Abort()
	}
	if p.src != nil {
		bufpool.Put(p.src)
	}
	out, op, lp := p.out, p.op, p.lp
	if done {
		out.B = p.dec.Finish()
	}
	p.free()
	defer next(lp)
	s.recv &^= recvInflating
	s.atomicFlags.And(^flagInflating)
	if over {
		bufpool.Put(out) // Closed released the bytes kept in s.msg
		return false
	}
	s.atomicFlags.Or(flagCork)
	defer s.uncork()
	rest := s.msg
	s.msg = nil
	if done {
		s.recv &^= recvDelivered
		err = s.deliverDecoded(op, out)
	} else {
		bufpool.Put(out)
	}
	if err != nil {
		_ = s.fail(err)
	}
	if rest != nil {
		_ = s.consume(rest.B)
		bufpool.Put(rest)
	}
	s.resumeFeed()
	return false
}

// resumeFeed resumes reading after a decode in steps, unless another one
// began or another reason to pause holds.
func (s *Session) resumeFeed() {
	if s.recv&recvInflating != 0 {
		return
	}
	s.mu.Lock()
	if s.state&(stPauseQ|stPauseOut|stFinished) == 0 {
		s.drv.PauseRead(false)
	}
	s.mu.Unlock()
}

func (p *inflation) free() {
	*p = inflation{}
	inflations.Put(p)
}
