//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package netpoll

import "time"

// The errnos that ErrWouldBlock and ErrInProgress unwrap to. No function
// returns those errors on these systems; they only need to exist.
var (
	errAgain      = ErrUnsupported
	errInProgress = ErrUnsupported
)

// Poller is a placeholder on systems without epoll or kqueue so that callers
// compile everywhere: [New] returns [ErrUnsupported], and so does every
// method. The engine uses its portable net.Conn driver instead.
type Poller struct{}

// New returns [ErrUnsupported] on this system.
func New(cfg Config) (*Poller, error) {
	if _, err := cfg.batch(); err != nil {
		return nil, err
	}
	return nil, ErrUnsupported
}

// Add returns [ErrUnsupported].
func (p *Poller) Add(fd int, interest Event) error { return ErrUnsupported }

// Modify returns [ErrUnsupported].
func (p *Poller) Modify(fd int, interest Event) error { return ErrUnsupported }

// Delete returns [ErrUnsupported].
func (p *Poller) Delete(fd int) error { return ErrUnsupported }

// Wait returns [ErrUnsupported] without calling fn.
func (p *Poller) Wait(timeout time.Duration, fn func(fd int, ev Event)) (int, error) {
	return 0, ErrUnsupported
}

// Wake returns [ErrUnsupported].
func (p *Poller) Wake() error { return ErrUnsupported }

// Close returns [ErrUnsupported].
func (p *Poller) Close() error { return ErrUnsupported }
