package deflate

import (
	"bytes"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
)

// inflateTail is appended to every received payload: the sync-flush tail
// the sender cut (RFC 7692 §7.2.2), then an empty final stored block, so a
// well-formed message ends the stream with io.EOF and a truncated one is an
// error instead of silently short output.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// decoder is an inflater with its input. Decoders hold no session state, so
// one pool serves every Factory.
type decoder struct {
	fr flate.Resetter
	rd io.Reader
	// in is a *bytes.Reader because klauspost/compress inflates from one
	// several times faster than from another io.ByteReader.
	in bytes.Reader
}

var decoders sync.Pool

func getDecoder() *decoder {
	if v := decoders.Get(); v != nil {
		return v.(*decoder)
	}
	d := &decoder{}
	r := flate.NewReader(&d.in)
	d.rd, d.fr = r, r.(flate.Resetter)
	return d
}

func putDecoder(d *decoder) {
	d.in.Reset(nil)
	decoders.Put(d)
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
func (e *Extension) DecodeMessage(dst []byte, rsv byte, payload []byte, limit int64) ([]byte, error) {
	budget := e.budget(len(payload), limit)
	// The payload and its tail are joined in a pooled buffer: a copy of the
	// compressed bytes, cheap next to inflating them.
	src := bufpool.Get(len(payload) + len(inflateTail))
	src.B = append(append(src.B, payload...), inflateTail...)
	d := getDecoder()
	d.in.Reset(src.B)
	var dict []byte
	if !e.decNCT {
		dict = e.window
	}
	if err := d.fr.Reset(&d.in, dict); err != nil {
		putDecoder(d)
		bufpool.Put(src)
		return dst, ErrCorrupt
	}

	start := len(dst)
	var g growth
	g.orig = dst
	out := dst
	var err error
	for {
		if len(out) == cap(out) {
			out = g.grow(out)
		}
		room := out[len(out):cap(out)]
		// Ask for one byte beyond the budget, to see it is passed without
		// inflating more than that.
		if left := budget - int64(len(out)-start) + 1; int64(len(room)) > left {
			room = room[:left]
		}
		n, rerr := d.rd.Read(room)
		out = out[:len(out)+n]
		if int64(len(out)-start) > budget {
			err = frame.ErrMessageTooBig
			break
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = ErrCorrupt
			break
		}
	}
	putDecoder(d)
	bufpool.Put(src)
	if err != nil {
		g.fail()
		return dst, err
	}
	g.succeed()
	if !e.decNCT {
		e.remember(out[start:])
	}
	return out, nil
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

// grow returns out copied into a pooled buffer with at least twice its
// capacity (and 512 bytes or more).
func (g *growth) grow(out []byte) []byte {
	nb := bufpool.Get(max(2*cap(out), 512))
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
