package stats

import "sync/atomic"

// Counters are what an echo server reports about its own traffic: open
// sessions and messages echoed. The zero value is ready; safe for concurrent
// use. Each echo handler pays one atomic add per message, the same for
// every library.
type Counters struct {
	conns    atomic.Int64
	messages atomic.Int64
}

// Open records a session that finished its opening handshake.
func (c *Counters) Open() { c.conns.Add(1) }

// Closed records a session that ended.
func (c *Counters) Closed() { c.conns.Add(-1) }

// Message records one echoed message.
func (c *Counters) Message() { c.messages.Add(1) }

// Conns returns the number of open sessions.
func (c *Counters) Conns() int64 { return c.conns.Load() }

// Messages returns the number of messages echoed so far.
func (c *Counters) Messages() int64 { return c.messages.Load() }
