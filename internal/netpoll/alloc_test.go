//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"testing"
	"time"

	"github.com/surgews/surge/internal/netpoll"
)

// TestNoAllocs gates the reactor's hot paths at zero heap allocations.
func TestNoAllocs(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, b := socketpair(t)
	mustWrite(t, b, "x") // a stays readable: level-triggered
	if err := p.Add(a, netpoll.EventRead); err != nil {
		t.Fatal(err)
	}
	c, d := socketpair(t)
	full, _ := socketpair(t)
	fillUntilBlocked(t, full)
	idle := newPoller(t, netpoll.Config{})
	delivered := 0
	fn := func(fd int, ev netpoll.Event) { delivered++ }
	buf := make([]byte, 64)
	payload := []byte("payload")
	bufs := [][]byte{[]byte("head"), nil, []byte("body")}
	tests := []struct {
		name string
		run  func()
	}{
		{name: "Wait and dispatch", run: func() {
			if n, err := p.Wait(0, fn); err != nil || n != 1 {
				t.Fatalf("Wait = %d, %v", n, err)
			}
		}},
		{name: "Wait until its timeout", run: func() {
			if n, err := idle.Wait(time.Millisecond, fn); err != nil || n != 0 {
				t.Fatalf("Wait = %d, %v", n, err)
			}
		}},
		{name: "Wake then Wait", run: func() {
			if err := p.Wake(); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Wait(0, fn); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "Modify", run: func() {
			if err := p.Modify(a, netpoll.EventRead|netpoll.EventWrite); err != nil {
				t.Fatal(err)
			}
			if err := p.Modify(a, netpoll.EventRead); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "Write and Read", run: func() {
			if _, err := netpoll.Write(c, payload); err != nil {
				t.Fatal(err)
			}
			if _, err := netpoll.Read(d, buf); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "Read would block", run: func() {
			if _, err := netpoll.Read(d, buf); err != netpoll.ErrWouldBlock {
				t.Fatal(err)
			}
		}},
		{name: "Write would block", run: func() {
			if _, err := netpoll.Write(full, payload); err != netpoll.ErrWouldBlock {
				t.Fatal(err)
			}
		}},
		{name: "Writev would block", run: func() {
			if _, err := netpoll.Writev(full, bufs); err != netpoll.ErrWouldBlock {
				t.Fatal(err)
			}
		}},
		{name: "Writev and Read", run: func() {
			if _, err := netpoll.Writev(c, bufs); err != nil {
				t.Fatal(err)
			}
			if _, err := netpoll.Read(d, buf); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if allocs := testing.AllocsPerRun(200, tt.run); allocs != 0 {
				t.Fatalf("%v allocations per run, want 0", allocs)
			}
		})
	}
	if delivered == 0 {
		t.Fatal("callback never ran")
	}
}
