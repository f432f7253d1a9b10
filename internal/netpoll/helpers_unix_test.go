//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"errors"
	"testing"
	"time"

	"github.com/surgews/surge/internal/netpoll"
	"golang.org/x/sys/unix"
)

// socketpair returns a connected pair of non-blocking stream sockets that
// are closed when the test ends.
func socketpair(tb testing.TB) (a, b int) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatalf("socketpair: %v", err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			tb.Fatalf("set nonblock: %v", err)
		}
	}
	tb.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

// newPoller returns a poller that is closed when the test ends.
func newPoller(tb testing.TB, cfg netpoll.Config) *netpoll.Poller {
	tb.Helper()
	p, err := netpoll.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// collect runs one Wait and returns the events by fd. A fd reported twice
// (kqueue: once per filter) has its events merged.
func collect(tb testing.TB, p *netpoll.Poller, timeout time.Duration) map[int]netpoll.Event {
	tb.Helper()
	got := map[int]netpoll.Event{}
	n, err := p.Wait(timeout, func(fd int, ev netpoll.Event) { got[fd] |= ev })
	if err != nil {
		tb.Fatalf("Wait: %v", err)
	}
	if n < len(got) {
		tb.Fatalf("Wait returned n=%d for %d fds", n, len(got))
	}
	return got
}

// waitFor waits up to 5 s for fd to report all of want.
func waitFor(tb testing.TB, p *netpoll.Poller, fd int, want netpoll.Event) netpoll.Event {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ev := collect(tb, p, 100*time.Millisecond)[fd]; ev&want == want {
			return ev
		}
	}
	tb.Fatalf("fd %d: no %v within 5s", fd, want)
	return 0
}

func mustWrite(tb testing.TB, fd int, s string) {
	tb.Helper()
	n, err := netpoll.Write(fd, []byte(s))
	if err != nil || n != len(s) {
		tb.Fatalf("Write(%q) = %d, %v", s, n, err)
	}
}

// drain reads fd until it would block and returns what it read.
func drain(tb testing.TB, fd int) []byte {
	tb.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := netpoll.Read(fd, buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, netpoll.ErrWouldBlock) {
			return out
		}
		if err != nil {
			tb.Fatalf("drain: %v", err)
		}
	}
}

// fillUntilBlocked writes until the socket buffer is full.
func fillUntilBlocked(tb testing.TB, fd int) int {
	tb.Helper()
	chunk := make([]byte, 64<<10)
	total := 0
	for range 10000 {
		n, err := netpoll.Write(fd, chunk)
		total += n
		if errors.Is(err, netpoll.ErrWouldBlock) {
			return total
		}
		if err != nil {
			tb.Fatalf("fill: %v", err)
		}
	}
	tb.Fatal("socket buffer never filled")
	return 0
}
