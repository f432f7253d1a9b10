package session

import (
	"time"

	"github.com/surgews/surge/internal/seam"
)

// endpoint is the driver's view of a Session (seam.Endpoint): the same
// memory, with the methods an application must not see. A conversion, not a
// wrapper, so a driver holds no second object per connection.
type endpoint Session

func (e *endpoint) Start(head []byte)   { (*Session)(e).start(head) }
func (e *endpoint) Feed(p []byte) error { return (*Session)(e).feed(p) }
func (e *endpoint) Writable()           { (*Session)(e).writable() }
func (e *endpoint) Timer()              { (*Session)(e).timer() }
func (e *endpoint) Closed(err error)    { (*Session)(e).closed(err) }

func (e *endpoint) Progress() (uint64, time.Duration) {
	s := (*Session)(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written, s.timeoutLocked()
}

func (e *endpoint) GoingAway() {
	_ = (*Session)(e).Close(closeGoingAwayShutdown)
}

// init registers the constructors drivers use (see package seam for why
// they travel this way).
func init() {
	seam.NewRoute = newRoute
	seam.NewPool = func(workers int) seam.Pool { return newWorkerPool(workers) }
}
