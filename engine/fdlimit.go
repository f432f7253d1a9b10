package engine

import (
	"errors"
	"log/slog"
	"syscall"
	"time"
)

// Accept back-off when the process or the system runs out of file
// descriptors (or socket memory): the pending connection stays queued, so a
// level-triggered listener is reported readable again at once and accept
// fails again, about 30,000 times a second for as long as the shortage
// lasts. Like net/http, the acceptor waits instead, 5 ms doubling to 1 s,
// and starts over from 5 ms after an accept succeeds.
const (
	acceptPauseMin = 5 * time.Millisecond
	acceptPauseMax = time.Second
)

// acceptPause is one acceptor's back-off state; the zero value is not
// backing off.
type acceptPause struct {
	wait time.Duration // the last pause, 0 after a successful accept
}

// next returns how long to pause after another accept failure.
func (p *acceptPause) next() time.Duration {
	switch {
	case p.wait == 0:
		p.wait = acceptPauseMin
	case p.wait < acceptPauseMax:
		p.wait = min(2*p.wait, acceptPauseMax)
	}
	return p.wait
}

// reset ends the back-off after a successful accept.
func (p *acceptPause) reset() { p.wait = 0 }

// resourceShortage reports whether an accept error is a shortage that
// passes by itself (fds, socket buffers, memory) rather than a broken
// listener.
func resourceShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// logAcceptPause reports one accept back-off to the server's logger
// (Config.Session.Logger, slog.Default() when nil): at most one line per
// pause, so at most about one a second while a shortage lasts.
func (s *Server) logAcceptPause(err error, wait time.Duration) {
	log := s.cfg.Session.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Warn("surge: accept failed, pausing accepts", "err", err, "retry_in", wait)
}

// maxConnsReserve bounds the descriptors the default MaxConns leaves to the
// rest of the process (listeners, pollers, files, outgoing connections):
// an eighth of the limit, at least 32 and at most 512.
const (
	maxConnsReserveMin = 32
	maxConnsReserveMax = 512
)

// defaultMaxConns derives the default of Config.MaxConns from the
// open-files limit, so that a flood meets the engine's 503 before the
// kernel's EMFILE; 0 (no limit) when the limit is unknown.
func defaultMaxConns(fdLimit int) int {
	if fdLimit <= 0 {
		return 0
	}
	reserve := min(max(fdLimit/8, maxConnsReserveMin), maxConnsReserveMax)
	return max(fdLimit-reserve, 1)
}

// maxConns resolves Config.MaxConns: the field when positive, no limit
// when negative, defaultMaxConns when zero.
func (c *Config) maxConns() int {
	switch {
	case c.MaxConns > 0:
		return c.MaxConns
	case c.MaxConns < 0:
		return 0
	}
	return defaultMaxConns(fdLimit())
}
