//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"sync"
	"sync/atomic"
)

// fdChunkLen is the slots of an fdTable chunk: 1,023, so that a chunk and
// the 8-byte header the allocator puts before objects with pointers fill an
// 8 KiB size class exactly; 1,024 slots went to the 9,472-byte class.
const fdChunkLen = 1023

// fdChunk is a fixed run of fdTable slots; once made it never moves.
type fdChunk [fdChunkLen]atomic.Pointer[conn]

// fdTable finds the conn of an fd for all the loops of a reactor. fd numbers
// are the process's, dense and shared by the loops, so a table per loop grew
// to the highest fd in every loop: 8 bytes per fd per loop, and up to twice
// that after append's doubling (32 B per idle connection with two loops,
// issue #18). One table costs 8 bytes per fd however many loops there are.
//
// A loop reads and writes only the slots of its own connections. The slots
// are atomic all the same: the kernel may give an fd that one loop closed
// to a connection of another loop, an order the race detector cannot see.
// The table grows by whole chunks that never move, so growing copies no slot
// that another loop may be writing.
type fdTable struct {
	mu  sync.Mutex                 // serializes growth
	dir atomic.Pointer[[]*fdChunk] // copy on write: a published directory never changes
}

// get returns the conn registered for fd, nil if none.
func (t *fdTable) get(fd int) *conn {
	d := t.dir.Load()
	if d == nil || fd < 0 || fd/fdChunkLen >= len(*d) {
		return nil
	}
	return (*d)[fd/fdChunkLen][fd%fdChunkLen].Load()
}

// set registers c for its fd, growing the table if needed.
func (t *fdTable) set(c *conn) {
	d := t.dir.Load()
	i := c.fd() / fdChunkLen
	if d == nil || i >= len(*d) {
		d = t.grow(i)
	}
	(*d)[i][c.fd()%fdChunkLen].Store(c)
}

// clear unregisters c. Only c's own slot is cleared: once c's fd is closed
// the kernel may already have reused the number for another loop's
// connection, whose registration must stay.
func (t *fdTable) clear(c *conn) {
	d := t.dir.Load()
	i := c.fd() / fdChunkLen
	if d == nil || c.fd() < 0 || i >= len(*d) {
		return
	}
	(*d)[i][c.fd()%fdChunkLen].CompareAndSwap(c, nil)
}

// grow makes the directory cover chunk i and returns it.
func (t *fdTable) grow(i int) *[]*fdChunk {
	t.mu.Lock()
	defer t.mu.Unlock()
	var old []*fdChunk
	if d := t.dir.Load(); d != nil {
		if i < len(*d) {
			return d // another loop grew it meanwhile
		}
		old = *d
	}
	d := make([]*fdChunk, i+1)
	copy(d, old)
	for j := len(old); j < len(d); j++ {
		d[j] = new(fdChunk)
	}
	t.dir.Store(&d)
	return &d
}

// each calls fn for every conn of loop l; fn may close the conn.
func (t *fdTable) each(l *loop, fn func(*conn)) {
	d := t.dir.Load()
	if d == nil {
		return
	}
	for _, ch := range *d {
		for k := range ch {
			if c := ch[k].Load(); c != nil && c.loop == l {
				fn(c)
			}
		}
	}
}
