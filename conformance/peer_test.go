package conformance_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
	"github.com/surgews/surge/mask"
)

// peer is the hand-driven side of a conversation with surge: a raw client
// for the server suites, a scripted raw server for the client suite. It
// builds every byte itself (frame.AppendHeader + mask.XORCopy), so nothing
// of package session can hide a bug of its own.
type peer struct {
	nc     net.Conn
	br     *bufio.Reader
	client bool // the peer is the client: it masks, and surge must not
	chop   int  // 0: each send in one write; n: the first bytes in n-byte writes
	// chopAll chops every byte of a send, not only the first oddPrefix.
	chopAll bool
	// deflate says permessage-deflate was negotiated: RSV1 may start a
	// data message, whose payload is then compressed (RFC 7692 §6).
	deflate bool
	// pmd, when set, is the coder of a section 13 case (context takeover,
	// window bits); otherwise each message is coded on its own.
	pmd *pmdState
	// lastRsv is the RSV bits of the first frame of the last message
	// readMessage returned.
	lastRsv byte

	writes  chan []byte   // queued by send, written in order by writer
	flushed chan struct{} // a token per queued write, taken by flush
	wmu     sync.Mutex
	werr    error // first write error; writes after surge closed may fail

	sentClose  bool
	recvClose  bool
	closeOK    bool            // both close frames were exchanged
	firstClose frame.CloseCode // code of the first close frame on the wire, either way
	surgeFirst bool            // surge sent the first close frame
	// peerFramed and peerValid say whether the peer's close frame had a
	// valid header (FIN, no RSV, at most 125 bytes) and a valid payload.
	peerFramed, peerValid bool
	surgeCode             frame.CloseCode // code of the close frame surge sent
	pending               int
}

// peerKey is the masking key of every frame a client peer sends; a fixed
// key keeps failures reproducible.
var peerKey = [4]byte{0x9a, 0x3c, 0x51, 0xe7}

// readTimeout bounds every read that expects something, so that a surge bug
// fails the case instead of hanging the run.
const readTimeout = 5 * time.Second

func newPeer(nc net.Conn, br *bufio.Reader, client bool, chop int, chopAll bool) *peer {
	p := &peer{nc: nc, br: br, client: client, chop: chop, chopAll: chopAll,
		writes: make(chan []byte, 1024), flushed: make(chan struct{}, 1024)}
	go p.writer()
	return p
}

// writer writes queued bytes in order. It runs beside the reader so that a
// burst larger than the socket buffers cannot deadlock against surge's echo.
func (p *peer) writer() {
	for b := range p.writes {
		p.writeChopped(b)
		p.flushed <- struct{}{}
	}
}

// oddPrefix is how many leading bytes of each send go out in chop-sized
// writes; the rest goes in one write, so big messages stay fast.
const oddPrefix = 4096

func (p *peer) writeChopped(b []byte) {
	_ = p.nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
	done := 0
	for done < len(b) {
		n := len(b) - done
		if p.chop > 0 && (done < oddPrefix || p.chopAll) {
			n = min(p.chop, n)
		}
		if _, err := p.nc.Write(b[done : done+n]); err != nil {
			p.wmu.Lock()
			if p.werr == nil {
				p.werr = err
			}
			p.wmu.Unlock()
			return
		}
		done += n
	}
}

// send queues wire bytes.
func (p *peer) send(b []byte) {
	p.pending++
	p.writes <- b
}

// flush waits until every queued write has been attempted.
func (p *peer) flush() {
	for ; p.pending > 0; p.pending-- {
		<-p.flushed
	}
}

// stop ends the writer.
func (p *peer) stop() {
	close(p.writes)
}

// wframe is a frame the peer sends. The mask bit follows the peer's role
// (§5.1) unless flipMask asks for the wrong one.
type wframe struct {
	fin      bool
	rsv      byte
	op       frame.Opcode
	payload  []byte
	flipMask bool
	compress bool // deflate the payload and set RSV1 (RFC 7692 §7.2.1)
}

// encode returns the wire bytes of f as this peer sends it.
func (p *peer) encode(f wframe) []byte {
	if f.compress && p.pmd != nil {
		f.payload, f.rsv = p.pmd.compress(f.payload), f.rsv|frame.Rsv1
	} else if f.compress {
		f.payload, f.rsv = compress(f.payload), f.rsv|frame.Rsv1
	}
	h := frame.Header{Fin: f.fin, Rsv: f.rsv, Op: f.op, Length: int64(len(f.payload))}
	h.Masked = p.client != f.flipMask
	if h.Masked {
		h.Key = peerKey
	}
	b := frame.AppendHeader(make([]byte, 0, h.Size()+len(f.payload)), &h)
	n := len(b)
	b = b[:n+len(f.payload)]
	if h.Masked {
		mask.XORCopy(b[n:], f.payload, h.Key, 0)
	} else {
		copy(b[n:], f.payload)
	}
	return b
}

// maxRead bounds the payload of a frame read from surge, so a bug cannot
// make the test allocate without limit.
const maxRead = 64 << 20

// readFrame reads one frame from surge within d and checks the rules surge
// must follow as a sender: a server never masks, a client always does
// (§5.1), no RSV bits without an extension (§5.2).
func (p *peer) readFrame(d time.Duration) (frame.Header, []byte, error) {
	_ = p.nc.SetReadDeadline(time.Now().Add(d))
	h, pl, err := testwire.ReadFrame(p.br, maxRead)
	var bad *frame.CloseReason
	if errors.As(err, &bad) {
		return h, nil, fmt.Errorf("surge sent a bad header: %w", err)
	}
	if err != nil {
		return h, nil, err // the stream ended, or the frame is over maxRead
	}
	if h.Masked == p.client {
		return h, nil, fmt.Errorf("surge sent a frame with mask bit %v (RFC 6455 §5.1)", h.Masked)
	}
	if h.Rsv != 0 && !(p.deflate && h.Rsv == frame.Rsv1 && (h.Op == frame.OpText || h.Op == frame.OpBinary)) {
		return h, nil, fmt.Errorf("surge sent RSV bits %#x the extensions do not allow there", h.Rsv)
	}
	return h, pl, nil
}

// describe renders a frame for failure messages.
func describe(h frame.Header, pl []byte) string {
	s := fmt.Sprintf("%v fin=%v len=%d", h.Op, h.Fin, len(pl))
	if h.Op == frame.OpClose {
		code, reason, err := frame.ParseClose(pl)
		return fmt.Sprintf("%s code=%d reason=%q err=%v", s, code, reason, err)
	}
	if len(pl) <= 32 {
		return fmt.Sprintf("%s payload=%x", s, pl)
	}
	return s
}

// readMessage reads the next data message, joining fragments (surge may
// fragment what it sends, §5.4). A control frame first is returned as is.
func (p *peer) readMessage(d time.Duration) (frame.Header, []byte, error) {
	h, pl, err := p.readJoined(d)
	p.lastRsv = h.Rsv
	if err == nil && h.Rsv&frame.Rsv1 != 0 {
		if p.pmd != nil {
			pl, err = p.pmd.inflate(pl)
		} else {
			pl, err = inflate(pl)
		}
	}
	return h, pl, err
}

// readJoined reads the next frame, and the rest of its message if it is the
// first fragment of one.
func (p *peer) readJoined(d time.Duration) (frame.Header, []byte, error) {
	h, pl, err := p.readFrame(d)
	if err != nil || h.Op.IsControl() || h.Fin {
		return h, pl, err
	}
	if h.Op == frame.OpContinuation {
		return h, pl, errors.New("surge sent a continuation with no message open")
	}
	msg := pl
	for {
		c, cp, err := p.readFrame(d)
		if err != nil {
			return h, nil, err
		}
		if c.Op != frame.OpContinuation {
			return h, nil, fmt.Errorf("surge sent %s inside a fragmented message", describe(c, cp))
		}
		msg = append(msg, cp...)
		if len(msg) > maxRead {
			return h, nil, errors.New("surge sent a message over 64 MiB")
		}
		if c.Fin {
			h.Fin = true
			return h, msg, nil
		}
	}
}

// noteClose records a close frame going either way.
func (p *peer) noteClose(fromSurge bool, code frame.CloseCode) {
	if !p.sentClose && !p.recvClose {
		p.firstClose, p.surgeFirst = code, fromSurge
	}
	if fromSurge {
		p.recvClose = true
		p.surgeCode = code
	} else {
		p.sentClose = true
	}
	p.closeOK = p.sentClose && p.recvClose
}

// isTimeout reports a read deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// isReset reports a TCP reset, the unclean end a conforming server avoids.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}
