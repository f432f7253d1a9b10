// Package bufpool holds surge's pooled byte buffers: power-of-two size classes
// backed by sync.Pool (and, from 64 KiB, by free lists that a timer trims,
// see trim.go), so that getting and putting a buffer allocates nothing once
// the pool is warm.
//
// A buffer obtained with Get belongs to the caller until it is given back with
// Put, exactly once: a second Put would hand the same buffer to two later
// Gets. Every Put advances the buffer's generation, so a holder of a stale
// reference can tell (Gen differs from what it saw at Get); session.Frame
// uses that to make its own double Release harmless. All functions are safe
// for concurrent use.
package bufpool

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

const (
	minShift = 6  // smallest class: 64 bytes
	maxShift = 24 // largest pooled class: 16 MiB; larger buffers are not pooled
	classes  = maxShift - minShift + 1
)

// Buf is a pooled buffer. B is the caller's to use between Get and Put.
type Buf struct {
	B   []byte
	gen uint32
}

// Gen returns the buffer's generation, which changes at every Put.
func (b *Buf) Gen() uint32 { return b.gen }

var pools [classes]sync.Pool

// Get returns a buffer with len(B) == 0 and cap(B) >= n.
func Get(n int) *Buf {
	c := 0
	if n > 1<<minShift {
		c = bits.Len(uint(n-1)) - minShift
	}
	var b *Buf
	switch {
	case c >= classes:
		b = &Buf{B: make([]byte, 0, n)}
	case c >= largeFrom:
		b = getLarge(c)
		b.B = b.B[:0]
	default:
		if v := pools[c].Get(); v != nil {
			b = v.(*Buf)
			b.B = b.B[:0]
		} else {
			b = &Buf{B: make([]byte, 0, 1<<(c+minShift))}
		}
	}
	inUse[shard(b)].n.Add(1)
	return b
}

// Put gives b back to the pool; the caller must not use it afterwards. A
// buffer grown by append goes to the class below its capacity, so a class
// never holds a buffer smaller than its size; a buffer larger than the largest
// class is dropped.
func Put(b *Buf) {
	if b == nil {
		return
	}
	inUse[shard(b)].n.Add(-1)
	b.gen++
	n := cap(b.B)
	if n < 1<<minShift {
		return
	}
	c := bits.Len(uint(n)) - 1 - minShift
	if c >= classes {
		return
	}
	b.B = b.B[:0]
	if c >= largeFrom {
		putLarge(b, c)
		return
	}
	pools[c].Put(b)
}

// Grow returns a buffer holding the bytes of b with room for at least n more,
// moving to a larger pooled buffer (and putting b back) when needed.
func Grow(b *Buf, n int) *Buf {
	if cap(b.B)-len(b.B) >= n {
		return b
	}
	need := len(b.B) + n
	if need < 2*cap(b.B) {
		need = 2 * cap(b.B)
	}
	nb := Get(need)
	nb.B = append(nb.B, b.B...)
	Put(b)
	return nb
}

// inUse counts the buffers handed out by Get and not yet Put, for the
// statistics. It is sharded by buffer address, so that the goroutines of
// different cores seldom add to the same cache line (a Get and the Put of
// the same buffer meet in one shard).
var inUse [16]struct {
	n atomic.Int64
	_ [56]byte
}

func shard(b *Buf) uintptr { return uintptr(unsafe.Pointer(b)) >> 5 & 15 }

// InUse returns the number of buffers taken with Get and not given back
// with Put.
func InUse() int64 {
	var n int64
	for i := range inUse {
		n += inUse[i].n.Load()
	}
	return n
}
