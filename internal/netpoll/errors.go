package netpoll

import (
	"errors"
	"fmt"
	"net"
)

// ErrClosed is returned by every [Poller] method once [Poller.Close] has been
// called, and by a [Poller.Wait] that was blocked when Close was called. It
// wraps [net.ErrClosed], so errors.Is(err, net.ErrClosed) holds too.
var ErrClosed = fmt.Errorf("netpoll: poller closed: %w", net.ErrClosed)

// ErrUnsupported is returned by [New] and by every [Poller] method on
// systems without epoll or kqueue. It wraps [errors.ErrUnsupported].
var ErrUnsupported = fmt.Errorf("netpoll: no epoll or kqueue on this system: %w", errors.ErrUnsupported)

// ErrConcurrentWait is returned by [Poller.Wait] when another Wait on the same
// Poller is still running: Wait owns the poller's event buffer and must be
// called from one goroutine at a time.
var ErrConcurrentWait = errors.New("netpoll: concurrent Wait on one Poller")

// ErrBadConfig is returned by [New] when [Config.Batch] is negative or
// greater than [MaxBatch].
var ErrBadConfig = fmt.Errorf("netpoll: Config.Batch must be within 0..%d", MaxBatch)

// ErrBadInterest is returned by [Poller.Add] and [Poller.Modify] for an
// interest with bits other than [EventRead], [EventWrite], [EventHup],
// [EventErr] and [EventEdge].
var ErrBadInterest = errors.New("netpoll: unknown interest bits")

// ErrBadFD is returned for a negative fd, before any system call is made.
var ErrBadFD = errors.New("netpoll: negative file descriptor")

// ErrWouldBlock is returned by [Accept], [Read], [Write] and [Writev] when the
// call would block (EAGAIN/EWOULDBLOCK): wait for the matching [Event] and
// retry. It wraps the system's EAGAIN, so errors.Is(err, unix.EAGAIN) holds.
// It is a preallocated value, so returning it does not allocate.
var ErrWouldBlock error = &wouldBlockError{}

// ErrInProgress is returned by [Connect] with a valid fd when the connection
// is being established in the background (EINPROGRESS): wait for
// [EventWrite] and then read the outcome with [SocketError]. It wraps the
// system's EINPROGRESS.
var ErrInProgress error = &inProgressError{}

// ErrNoFD is returned by [DetachFD] for a connection that does not expose a
// file descriptor (it does not implement syscall.Conn, as *tls.Conn and
// net.Pipe do not).
var ErrNoFD = errors.New("netpoll: connection has no file descriptor")

// ErrBadAddress is returned by [Listen] and [Connect] for a network other
// than "tcp", "tcp4" and "tcp6", or an address that does not fit it.
var ErrBadAddress = errors.New("netpoll: unsupported network or address")

// wouldBlockError is ErrWouldBlock's type, so that it can unwrap to the
// OS-specific errno (errAgain) without allocating on each return.
type wouldBlockError struct{}

func (*wouldBlockError) Error() string { return "netpoll: operation would block" }
func (*wouldBlockError) Unwrap() error { return errAgain }

// Timeout reports true, as net.Error does for deadline-like conditions, so
// callers that test for temporary conditions treat it as retryable.
func (*wouldBlockError) Timeout() bool { return true }

// inProgressError is ErrInProgress's type.
type inProgressError struct{}

func (*inProgressError) Error() string { return "netpoll: connection in progress" }
func (*inProgressError) Unwrap() error { return errInProgress }
