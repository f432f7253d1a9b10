package netpoll

import (
	"math"
	"strings"
	"time"
)

// Event is a bit set of readiness (delivered by [Poller.Wait]) or of interest
// (given to [Poller.Add] and [Poller.Modify]). The zero value means no event
// and, as an interest, "registered but not watched".
type Event uint32

const (
	// EventRead reports that a read will not block: bytes are pending, the
	// peer hung up, or a listening socket has a pending connection.
	EventRead Event = 1 << iota
	// EventWrite reports that a write will not block.
	EventWrite
	// EventHup reports that the peer hung up or shut down its write half
	// (EPOLLRDHUP/EPOLLHUP, EV_EOF). Bytes may still be pending.
	EventHup
	// EventErr reports an error pending on the fd (EPOLLERR, EV_ERROR);
	// fetch it with [SocketError].
	EventErr
	// EventEdge is an interest flag only: the fd is registered
	// edge-triggered (EPOLLET, EV_CLEAR) and is reported again only after
	// new readiness, so the caller must drain it to EAGAIN.
	EventEdge
)

// eventNames is indexed by bit position.
var eventNames = [...]string{"read", "write", "hup", "err", "edge"}

// String returns the set bits joined by "|" ("read|hup"), "none" for zero,
// and unknown bits as hex ("read|0x40").
func (e Event) String() string {
	if e == 0 {
		return "none"
	}
	var sb strings.Builder
	for i, name := range eventNames {
		if e&(1<<i) == 0 {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString(name)
	}
	if rest := e &^ (1<<len(eventNames) - 1); rest != 0 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString("0x")
		const hex = "0123456789abcdef"
		var buf [8]byte
		i := len(buf)
		for v := uint32(rest); v != 0; v >>= 4 {
			i--
			buf[i] = hex[v&0xf]
		}
		sb.Write(buf[i:])
	}
	return sb.String()
}

// DefaultBatch is the number of events one [Poller.Wait] fetches when
// [Config.Batch] is zero: large enough to amortise the system call under load,
// small enough (6 KiB of epoll_event on Linux) to stay cache friendly.
const DefaultBatch = 256

// MaxBatch bounds [Config.Batch] so a misconfiguration cannot allocate an
// unbounded event buffer.
const MaxBatch = 1 << 16

// Config configures [New]. The zero value selects the defaults; New copies
// the struct and never changes the caller's value.
type Config struct {
	// Batch is the number of events fetched per Wait; 0 means
	// [DefaultBatch]. Values outside 0..[MaxBatch] make New fail with
	// [ErrBadConfig].
	Batch int
}

// batch validates c and returns the effective batch size.
func (c Config) batch() (int, error) {
	switch {
	case c.Batch == 0:
		return DefaultBatch, nil
	case c.Batch < 0 || c.Batch > MaxBatch:
		return 0, ErrBadConfig
	}
	return c.Batch, nil
}

// timeoutMillis converts a Wait timeout to the millisecond argument of
// epoll_wait: -1 blocks forever, 0 polls, and a positive duration is rounded
// up so that a sub-millisecond timeout sleeps instead of busy-polling.
func timeoutMillis(d time.Duration) int {
	switch {
	case d < 0:
		return -1
	case d == 0:
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if d > math.MaxInt64-time.Millisecond+1 || ms > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(ms)
}

// The method set shared by every Poller implementation
// (epoll_linux.go, kqueue_bsd.go, poller_other.go):
//
//	func New(cfg Config) (*Poller, error)
//	func (p *Poller) Add(fd int, interest Event) error
//	func (p *Poller) Modify(fd int, interest Event) error
//	func (p *Poller) Delete(fd int) error
//	func (p *Poller) Wait(timeout time.Duration, fn func(fd int, ev Event)) (int, error)
//	func (p *Poller) Wake() error
//	func (p *Poller) Close() error
//
// Poller is a concrete type per OS rather than an interface so that the
// reactor's hot path (Wait, Modify) compiles to direct calls. Its zero value
// is not usable; create one with New. Wait must be called from one goroutine
// at a time (a concurrent call fails with ErrConcurrentWait); Add, Modify,
// Delete, Wake and Close are safe from any goroutine, including from inside
// the Wait callback.
