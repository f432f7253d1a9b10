//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"sync"
	"testing"
)

// TestFDTable: conns are found by fd across chunks, each sees only its
// loop's, and clearing a conn leaves a newer conn of the same fd number in
// place (the kernel reuses a closed fd number, maybe for another loop).
func TestFDTable(t *testing.T) {
	var tab fdTable
	a, b := &loop{}, &loop{}
	fds := []int{0, 1, fdChunkLen - 1, fdChunkLen, 3*fdChunkLen + 7, 20000}
	conns := map[int]*conn{}
	for i, fd := range fds {
		l := a
		if i%2 == 1 {
			l = b
		}
		c := &conn{fdNum: int32(fd), loop: l}
		tab.set(c)
		conns[fd] = c
	}
	for _, fd := range fds {
		if got := tab.get(fd); got != conns[fd] {
			t.Errorf("get(%d) = %p, want %p", fd, got, conns[fd])
		}
	}
	for _, fd := range []int{-1, 2, fdChunkLen + 1, 20001, 1 << 30} {
		if got := tab.get(fd); got != nil {
			t.Errorf("get(%d) = %p for an fd never set", fd, got)
		}
	}
	seen := map[*loop]int{}
	for _, l := range []*loop{a, b} {
		tab.each(l, func(c *conn) {
			if c.loop != l {
				t.Errorf("each for one loop gave a conn of another")
			}
			seen[l]++
		})
	}
	if seen[a] != 3 || seen[b] != 3 {
		t.Errorf("each saw %d and %d conns, want 3 and 3", seen[a], seen[b])
	}

	// fd 20000 closes on loop b and the number comes back on loop a
	// before b clears its slot.
	old := conns[20000]
	reused := &conn{fdNum: 20000, loop: a}
	tab.set(reused)
	tab.clear(old)
	if got := tab.get(20000); got != reused {
		t.Errorf("clearing the old conn of fd 20000 removed the new one: get = %p", got)
	}
	tab.clear(reused)
	if got := tab.get(20000); got != nil {
		t.Errorf("after clear, get(20000) = %p", got)
	}
	tab.clear(&conn{fdNum: 1 << 30}) // beyond the table: nothing to do
}

// TestFDTableConcurrent: loops registering, finding and clearing their own
// fds at once, growing the table meanwhile, never lose or mix up a conn
// (run with -race).
func TestFDTableConcurrent(t *testing.T) {
	var tab fdTable
	const loops, perLoop = 4, 3000
	var wg sync.WaitGroup
	for w := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &loop{}
			for i := range perLoop {
				fd := i*loops + w // interleaved numbers: the loops share chunks
				c := &conn{fdNum: int32(fd), loop: l}
				tab.set(c)
				if got := tab.get(fd); got != c {
					t.Errorf("loop %d: get(%d) right after set = %p, want %p", w, fd, got, c)
					return
				}
				if i%3 == 0 {
					tab.clear(c)
					if got := tab.get(fd); got != nil {
						t.Errorf("loop %d: get(%d) after clear = %p", w, fd, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	d := tab.dir.Load()
	for _, ch := range *d {
		for k := range ch {
			if ch[k].Load() != nil {
				n++
			}
		}
	}
	if want := loops * (perLoop - perLoop/3); n != want {
		t.Errorf("%d conns registered at the end, want %d", n, want)
	}
}
