package netpoll

import "sync/atomic"

// closedBit marks a lifecycle as closed; the low bits count references.
const closedBit = 1 << 63

// lifecycle decides who closes a poller's kernel fds. Every method that uses
// them holds a reference for the duration of its system call; Close only
// sets closedBit, and the goroutine that drops the last reference after that
// closes the fds. This is the scheme described under "Closing" in the package
// doc. The zero value is open with no references; it is safe for concurrent
// use.
type lifecycle struct {
	state atomic.Uint64
}

// acquire takes a reference and reports false, taking none, once closed.
func (l *lifecycle) acquire() bool {
	for {
		s := l.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if l.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// release drops a reference and reports whether the caller dropped the last
// one after close, and so must close the fds. Exactly one release returns
// true in the life of a closed lifecycle.
func (l *lifecycle) release() (closeNow bool) {
	return l.state.Add(^uint64(0)) == closedBit
}

// markClosed sets the closed bit and reports whether this call set it. The
// caller must hold a reference, so the fds cannot be closed before it
// releases.
func (l *lifecycle) markClosed() bool {
	return l.state.Or(closedBit)&closedBit == 0
}

// closed reports whether markClosed has been called.
func (l *lifecycle) closed() bool {
	return l.state.Load()&closedBit != 0
}
