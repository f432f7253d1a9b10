package deflate

import (
	"bytes"
	"io"
	"sync"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/inflate"
	"github.com/surgews/surge/internal/stepdecode"
)

// inflateTail is appended to every received payload: the sync-flush tail
// the sender cut (RFC 7692 §7.2.2), then an empty final stored block, so a
// well-formed message ends the stream with io.EOF and a truncated one is an
// error instead of silently short output.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// decoder is an inflater with its input and, while a message is being
// decoded, that message's state. Decoders hold no session state between
// messages, so one pool serves every Factory; a message decoded in steps
// (stepdecode) keeps its decoder across the event loop's turns, and an idle
// session holds none.
type decoder struct {
	// fr is klauspost/compress's inflater with a fix (internal/inflate):
	// upstream's decodes some corrupt streams once it has been used.
	fr inflate.Reader
	in bytes.Reader

	// The message being decoded.
	e      *Extension
	src    *bufpool.Buf // the payload and inflateTail, which in reads
	g      growth
	out    []byte // the caller's dst with the output so far appended
	start  int    // len(dst): where the output begins in out
	budget int64  // the most the output may grow to (Extension.budget)
	// chunks hold the output past out once it is chunkSize or more, and
	// tail counts their bytes.
	chunks []*bufpool.Buf
	tail   int64
	probe  [1]byte
}

var decoders sync.Pool

func getDecoder() *decoder {
	if v := decoders.Get(); v != nil {
		return v.(*decoder)
	}
	return &decoder{}
}

func putDecoder(d *decoder) {
	d.in.Reset(nil)
	if d.src != nil {
		bufpool.Put(d.src)
	}
	for i, c := range d.chunks {
		bufpool.Put(c)
		d.chunks[i] = nil
	}
	// The inflater keeps its window and tables for the next message; its
	// next Reset forgets everything else.
	fr, chunks := d.fr, d.chunks[:0]
	*d = decoder{fr: fr, chunks: chunks}
	decoders.Put(d)
}

// Package session reaches the stepped decode through stepdecode.Begin.
func init() { stepdecode.Begin = beginStepped }

// beginStepped is stepdecode.Begin: e.begin for surge's own extension.
func beginStepped(x extension.Extension, dst []byte, _ byte, payload []byte, limit int64) (stepdecode.Decoder, error) {
	e, ok := x.(*Extension)
	if !ok {
		return nil, nil
	}
	d, err := e.begin(dst, payload, limit)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DecodeMessage appends the inflated payload of a message whose first frame
// had RSV1 to dst (RFC 7692 §7.2.2). It returns frame.ErrMessageTooBig as
// soon as the output passes limit or the expansion cap (Config.MaxExpansion),
// so a decompression bomb costs at most that much memory and work, and
// ErrCorrupt when the payload is not DEFLATE data.
//
// Ownership: when dst lacks room, the output moves to a buffer from surge's
// buffer pool and, on success, dst's array goes back to that pool, so the
// caller must use only the returned slice afterwards (the session does). On
// error dst is returned as it was and is still the caller's.
//
// Under context takeover the inflater is primed with the window kept from
// earlier messages, and the window is updated afterwards; the inflater itself
// is borrowed from a pool for the call. One goroutine at a time may call it.
//
// A session on an event loop does the same work in steps instead, returning
// to the loop between them (internal/stepdecode), so that a long decode does
// not hold up the loop's other connections.
func (e *Extension) DecodeMessage(dst []byte, rsv byte, payload []byte, limit int64) ([]byte, error) {
	d, err := e.begin(dst, payload, limit)
	if err != nil {
		return dst, err
	}
	if _, err := d.Step(0); err != nil {
		return dst, err
	}
	return d.Finish(), nil
}

// begin prepares a decoder to inflate payload after dst.
func (e *Extension) begin(dst []byte, payload []byte, limit int64) (*decoder, error) {
	d := getDecoder()
	d.e = e
	d.budget = e.budget(len(payload), limit)
	// The payload and its tail are joined in a pooled buffer: a copy of the
	// compressed bytes, cheap next to inflating them, which also frees the
	// caller's payload at once.
	d.src = bufpool.Get(len(payload) + len(inflateTail))
	d.src.B = append(append(d.src.B, payload...), inflateTail...)
	d.in.Reset(d.src.B)
	var dict []byte
	if !e.decNCT {
		dict = e.window
	}
	d.fr.Reset(&d.in, dict)
	d.start = len(dst)
	d.g.orig = dst
	d.out = dst
	return d, nil
}

// chunkSize is the size of the buffers the output of a large message goes
// to once it has outgrown one of that size: doubling one buffer would copy
// the output at each doubling, tens of MiB in one go for a bomb at the limit,
// where filling chunks copies nothing until the message is known to be whole
// (Finish), which a bomb never is.
const chunkSize = 1 << 20

// produced is how many bytes of output the decode has made.
func (d *decoder) produced() int64 { return int64(len(d.out)-d.start) + d.tail }

// Step is stepdecode.Decoder.Step: it inflates until the message ends, the
// budget is passed, or (n > 0) about n bytes came out. Moving the output to
// a larger buffer is not counted: it copies less than chunkSize in all.
func (d *decoder) Step(n int) (done bool, err error) {
	work := 0
	for {
		if d.produced() == d.budget {
			// The output is as large as it may be: one more byte, read
			// aside, tells the end of the message from a bomb.
			m, rerr := d.fr.Read(d.probe[:])
			switch {
			case m > 0:
				err = frame.ErrMessageTooBig
			case rerr == io.EOF:
				done = true
			case rerr != nil:
				err = ErrCorrupt
			default:
				continue
			}
			break
		}
		room := d.room()
		if left := d.budget - d.produced(); int64(len(room)) > left {
			room = room[:left]
		}
		m, rerr := d.fr.Read(room)
		if c := len(d.chunks); c > 0 {
			d.chunks[c-1].B = d.chunks[c-1].B[:len(d.chunks[c-1].B)+m]
			d.tail += int64(m)
		} else {
			d.out = d.out[:len(d.out)+m]
		}
		work += m
		if rerr == io.EOF {
			done = true
			break
		}
		if rerr != nil {
			err = ErrCorrupt
			break
		}
		if n > 0 && work >= n {
			break
		}
	}
	if err != nil {
		d.Abort()
	}
	return done, err
}

// room returns where the next output goes, making room when the current
// buffer is full.
func (d *decoder) room() []byte {
	if c := len(d.chunks); c > 0 {
		last := d.chunks[c-1]
		if len(last.B) == cap(last.B) {
			last = bufpool.Get(chunkSize)
			d.chunks = append(d.chunks, last)
		}
		return last.B[len(last.B):cap(last.B)]
	}
	if len(d.out) == cap(d.out) {
		if cap(d.out)-d.start >= chunkSize {
			d.chunks = append(d.chunks, bufpool.Get(chunkSize))
			return d.chunks[0].B[:0:cap(d.chunks[0].B)]
		}
		d.out = d.g.grow(d.out, min(max(2*cap(d.out), 512), d.start+int(d.budget)))
	}
	return d.out[len(d.out):cap(d.out)]
}

// Finish is stepdecode.Decoder.Finish.
func (d *decoder) Finish() []byte {
	if len(d.chunks) > 0 {
		// Join the chunks: the one copy of a large message's bytes.
		out := d.g.grow(d.out, len(d.out)+int(d.tail))
		for _, c := range d.chunks {
			out = append(out, c.B...)
		}
		d.out = out
	}
	d.g.succeed()
	out := d.out
	if e := d.e; !e.decNCT {
		e.remember(out[d.start:])
	}
	putDecoder(d)
	return out
}

// Abort is stepdecode.Decoder.Abort.
func (d *decoder) Abort() {
	d.g.fail()
	putDecoder(d)
}

// budget is the most a payload of n bytes may inflate to.
func (e *Extension) budget(n int, limit int64) int64 {
	if x := e.f.s.maxExpansion; x > 0 {
		if c := max(int64(x)*int64(n), ExpansionAllowance); c < limit {
			return c
		}
	}
	return limit
}

// remember keeps the last 2^decBits bytes of the inflated stream, all the
// peer's next message may refer to.
func (e *Extension) remember(msg []byte) {
	w := 1 << e.decBits
	if len(msg) >= w {
		e.window = append(e.window[:0], msg[len(msg)-w:]...)
		return
	}
	if keep := w - len(msg); len(e.window) > keep {
		n := copy(e.window, e.window[len(e.window)-keep:])
		e.window = e.window[:n]
	}
	e.window = append(e.window, msg...)
}

// growth moves DecodeMessage's output into pooled buffers as it grows, so
// that inflating allocates nothing once the pool is warm.
type growth struct {
	orig []byte       // the caller's dst
	cur  *bufpool.Buf // the pooled buffer out lives in; nil while in orig
}

// grow returns out copied into a pooled buffer of size bytes or more
// (size > cap(out)).
func (g *growth) grow(out []byte, size int) []byte {
	nb := bufpool.Get(size)
	nb.B = append(nb.B, out...)
	if g.cur != nil {
		bufpool.Put(g.cur)
	}
	g.cur = nb
	return nb.B
}

// succeed hands the caller's array to the pool in exchange for the one the
// output now lives in; the caller keeps only the returned slice.
func (g *growth) succeed() {
	if g.cur == nil {
		return
	}
	g.cur.B = g.orig[:0]
	bufpool.Put(g.cur)
}

// fail gives back the pooled buffer; the caller keeps its dst.
func (g *growth) fail() {
	if g.cur != nil {
		bufpool.Put(g.cur)
	}
}
