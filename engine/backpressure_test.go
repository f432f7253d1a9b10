//go:build unix

package engine_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// sendChunk is the frame size the stuck-peer tests send; backlogLimit is the
// per-session Backlog they configure.
const (
	sendChunk    = 16 << 10
	backlogLimit = 64 << 10
	// heapSlack bounds how much the Go heap may grow while a peer does not
	// read: the backlog, a frame or two, pooled buffers and test noise, but
	// far less than the bytes the sender tries to push.
	heapSlack = 16 << 20
	// sendCap stops a sender that never meets backpressure.
	sendCap = 512 << 20
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// dialNonReader connects a raw client with a small receive buffer that
// completes the handshake and then never reads.
func dialNonReader(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: ioTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	c := wrapRaw(t, nc)
	c.write(upgradeRequest("/flood"))
	c.expectSwitch()
	return nc
}

// flooder is a channel-style handler that sends until Send fails and
// reports the error and how many bytes went out.
// The handler stays open after reporting until the test closes hold, since a
// channel-style session is closed when its function returns.
type flooder struct {
	sess chan *session.Session
	res  chan error
	hold chan struct{}
	sent atomic.Int64
}

func newFlooder(t *testing.T) *flooder {
	f := &flooder{sess: make(chan *session.Session, 1), res: make(chan error, 1), hold: make(chan struct{})}
	t.Cleanup(func() { close(f.hold) })
	return f
}

func (f *flooder) run(s *session.Session) {
	f.sess <- s
	payload := make([]byte, sendChunk)
	for f.sent.Load() < sendCap {
		if err := s.Send(context.Background(), session.BorrowBinary(payload)); err != nil {
			f.res <- err
			f.wait(s)
			return
		}
		f.sent.Add(sendChunk)
	}
	f.res <- errors.New("no backpressure after sendCap bytes")
	f.wait(s)
}

func (f *flooder) wait(s *session.Session) {
	select {
	case <-f.hold:
	case <-s.Done():
	}
}

func TestNonReadingPeerDrop(t *testing.T) {
	srv := engine.New(engine.Config{
		Reactor: engine.ReactorConfig{Loops: 1},
		Session: session.Config{Backlog: backlogLimit, Backpressure: session.BackpressureDrop},
	})
	fl := newFlooder(t)
	srv.HandleSession("/flood", fl.run)
	addr := startServer(t, srv)
	before := heapInUse()
	dialNonReader(t, addr)

	var err error
	select {
	case err = <-fl.res:
	case <-time.After(20 * time.Second):
		t.Fatalf("Send never failed; %d bytes sent", fl.sent.Load())
	}
	if !errors.Is(err, session.ErrBacklogFull) {
		t.Fatalf("Send returned %v after %d bytes, want ErrBacklogFull", err, fl.sent.Load())
	}
	s := <-fl.sess
	// Further sends keep being dropped and cost nothing.
	for i := 0; i < 200; i++ {
		if err := s.Send(context.Background(), session.BorrowBinary(make([]byte, sendChunk))); !errors.Is(err, session.ErrBacklogFull) {
			t.Fatalf("send %d after the backlog filled: %v", i, err)
		}
	}
	if grew := int64(heapInUse()) - int64(before); grew > heapSlack {
		t.Fatalf("heap grew by %d bytes for a peer that does not read (limit %d)", grew, heapSlack)
	}
	t.Logf("%d bytes accepted before ErrBacklogFull (kernel buffers plus the %d-byte backlog)", fl.sent.Load(), backlogLimit)
}

func TestNonReadingPeerWait(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{Backlog: backlogLimit}})
	fl := newFlooder(t)
	srv.HandleSession("/flood", fl.run)
	addr := startServer(t, srv)
	before := heapInUse()
	dialNonReader(t, addr)
	s := <-fl.sess

	// Send blocks once the kernel buffers and the backlog are full: wait
	// until no progress is made for a while.
	last, still := int64(-1), 0
	deadline := time.Now().Add(20 * time.Second)
	for still < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("Send never blocked; %d bytes sent", fl.sent.Load())
		}
		select {
		case err := <-fl.res:
			t.Fatalf("Send returned %v after %d bytes, want it to block", err, fl.sent.Load())
		case <-time.After(30 * time.Millisecond):
		}
		if n := fl.sent.Load(); n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
	if grew := int64(heapInUse()) - int64(before); grew > heapSlack {
		t.Fatalf("heap grew by %d bytes while Send waited (limit %d)", grew, heapSlack)
	}
	s.Terminate()
	select {
	case err := <-fl.res:
		if err == nil || errors.Is(err, session.ErrBacklogFull) {
			t.Fatalf("blocked Send returned %v after Terminate, want a closed error", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("blocked Send did not return after Terminate")
	}
	waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
	if r := s.CloseReason(); r.Code != frame.CloseAbnormal {
		t.Fatalf("close reason %v, want 1006", r)
	}
}

func TestNonReadingPeerWaitContext(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{Backlog: backlogLimit}})
	res := make(chan error, 1)
	srv.HandleSession("/flood", func(s *session.Session) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		payload := make([]byte, sendChunk)
		for sent := 0; sent < sendCap; sent += sendChunk {
			if err := s.Send(ctx, session.BorrowBinary(payload)); err != nil {
				res <- err
				return
			}
		}
		res <- nil
	})
	addr := startServer(t, srv)
	dialNonReader(t, addr)
	select {
	case err := <-res:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send returned %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send ignored its context")
	}
}
