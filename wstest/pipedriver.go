package wstest

import (
	"net"
	"sync"
	"time"

	"github.com/surgews/surge/session"
)

// maxPending bounds the bytes the pipe driver has taken from the session but
// not yet handed to the pipe; past it Write returns short and the session
// keeps the rest in its own bounded backlog.
const maxPending = 64 << 10

// pipeReadBuffer is the read buffer of the client end of a pipe.
const pipeReadBuffer = 16 << 10

// pipeDriver runs a client session over a net.Conn (the client end of a
// net.Pipe) with one goroutine that reads and one that writes.
//
// Why not write from Write, as the engine's portable driver does: a net.Pipe
// has no buffer, and the session holds its lock while it calls Write. A
// blocking client write would then wait for the server to read while the
// client's reader waits for that lock to deliver what the server is writing
// at the same moment, and an inline server handler that echoes waits for the
// client's reader: a deadlock the kernel's socket buffers hide over TCP.
// Copying into a bounded buffer keeps the session's lock short.
type pipeDriver struct {
	nc   net.Conn
	sess *session.Session
	wdl  time.Duration // a peer that reads nothing for this long fails the write

	mu      sync.Mutex
	cond    sync.Cond // wakes the writer and a paused reader
	pending []byte    // taken from the session, not yet written
	spare   []byte
	want    bool // the session waits for Writable
	paused  bool
	closing bool // CloseTransport was called, or the transport failed
	timer   *time.Timer
	written chan struct{} // closed when the writer has closed nc
}

func newPipeDriver(nc net.Conn, wdl time.Duration) *pipeDriver {
	d := &pipeDriver{nc: nc, wdl: wdl, written: make(chan struct{})}
	d.cond.L = &d.mu
	return d
}

// start opens s and runs the reader and the writer; pre are bytes read past
// the handshake response.
func (d *pipeDriver) start(s *session.Session, pre []byte) {
	d.sess = s
	s.Start()
	go d.writeLoop()
	go d.readLoop(pre)
}

// Write takes what fits in the pending buffer without blocking.
func (d *pipeDriver) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return 0, net.ErrClosed
	}
	n := min(len(b), maxPending-len(d.pending))
	d.pending = append(d.pending, b[:n]...)
	d.cond.Broadcast()
	return n, nil
}

// WantWrite asks the writer to call Writable once the pending bytes are out.
func (d *pipeDriver) WantWrite() {
	d.mu.Lock()
	d.want = true
	d.mu.Unlock()
	d.cond.Broadcast()
}

// PauseRead stops or resumes the reader.
func (d *pipeDriver) PauseRead(paused bool) {
	d.mu.Lock()
	d.paused = paused
	d.mu.Unlock()
	d.cond.Broadcast()
}

// SetTimer arms a time.Timer: a conversation has one session, so a timing
// wheel would buy nothing.
func (d *pipeDriver) SetTimer(dur time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dur <= 0 {
		if d.timer != nil {
			d.timer.Stop()
		}
		return
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(dur, d.sess.Timer)
		return
	}
	d.timer.Reset(dur)
}

// CloseTransport lets the writer hand over what is pending (the close frame,
// typically) and close the pipe.
func (d *pipeDriver) CloseTransport() {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.cond.Broadcast()
}

// writeLoop writes pending bytes until the transport closes, then closes nc.
func (d *pipeDriver) writeLoop() {
	defer close(d.written)
	d.mu.Lock()
	for {
		for len(d.pending) == 0 && !d.want && !d.closing {
			d.cond.Wait()
		}
		if len(d.pending) > 0 {
			buf := d.pending
			d.pending = d.spare[:0]
			d.mu.Unlock()
			_ = d.nc.SetWriteDeadline(time.Now().Add(d.wdl))
			_, err := d.nc.Write(buf)
			d.mu.Lock()
			d.spare = buf[:0]
			if err != nil {
				d.closing = true
				d.pending = d.pending[:0]
			}
			continue
		}
		if d.want && !d.closing {
			d.want = false
			d.mu.Unlock()
			d.sess.Writable()
			d.mu.Lock()
			continue
		}
		break // closing, and nothing is left to write
	}
	d.mu.Unlock()
	_ = d.nc.Close()
	d.cond.Broadcast()
}

// readLoop feeds the session until the pipe ends, then ends the session.
func (d *pipeDriver) readLoop(pre []byte) {
	if len(pre) > 0 {
		_ = d.sess.Feed(pre)
	}
	buf := make([]byte, pipeReadBuffer)
	var err error
	for {
		d.mu.Lock()
		for d.paused && !d.closing {
			d.cond.Wait()
		}
		d.mu.Unlock()
		var n int
		n, err = d.nc.Read(buf)
		if n > 0 {
			_ = d.sess.Feed(buf[:n])
		}
		if err != nil {
			break
		}
	}
	d.mu.Lock()
	asked := d.closing
	d.mu.Unlock()
	if asked {
		err = nil // our own close ended the read
	}
	d.CloseTransport()
	<-d.written
	d.SetTimer(0)
	d.sess.Closed(err)
}
