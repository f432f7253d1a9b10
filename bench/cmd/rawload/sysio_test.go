//go:build linux

package main

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pair returns the two ends of a non-blocking stream socket pair, closed at
// the end of the test unless the test closes them first (closing twice is
// harmless here: the error is ignored).
func pair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func TestRecvSend(t *testing.T) {
	a, b := pair(t)
	buf := make([]byte, 16)
	if n, err := recv(a, buf); n != -1 || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("recv with nothing sent = %d, %v; want -1, EAGAIN", n, err)
	}
	if n, err := send(b, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("send = %d, %v; want 5, nil", n, err)
	}
	if n, err := recv(a, buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("recv = %d %q, %v; want 5 \"hello\", nil", n, buf[:max(n, 0)], err)
	}
	unix.Close(b)
	if n, err := recv(a, buf); n != 0 || err != nil {
		t.Fatalf("recv after the peer closed = %d, %v; want 0, nil (end of stream)", n, err)
	}
	if n, err := send(a, []byte("x")); n != -1 || !errors.Is(err, unix.EPIPE) {
		t.Fatalf("send to a closed peer = %d, %v; want -1, EPIPE", n, err)
	}
}

func TestWaitReady(t *testing.T) {
	a, b := pair(t)
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ep)
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, a, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(a)}); err != nil {
		t.Fatal(err)
	}
	events := make([]unix.EpollEvent, 4)
	if n, err := pollReady(ep, events); n != 0 || err != nil {
		t.Fatalf("pollReady with nothing ready = %d, %v; want 0, nil", n, err)
	}
	if n, err := waitReady(ep, events, 0); n != 0 || err != nil {
		t.Fatalf("waitReady(0) with nothing ready = %d, %v; want 0, nil", n, err)
	}
	// Nothing ready and a timeout: it blocks for about that long.
	start := time.Now()
	if n, err := waitReady(ep, events, 30); n != 0 || err != nil {
		t.Fatalf("waitReady(30 ms) with nothing ready = %d, %v; want 0, nil", n, err)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("waitReady(30 ms) with nothing ready returned after %v", d)
	}
	// Something ready: both return it at once.
	if _, err := send(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, wait := range []int{0, 10_000} {
		n, err := waitReady(ep, events, wait)
		if n != 1 || err != nil || int(events[0].Fd) != a || events[0].Events&unix.EPOLLIN == 0 {
			t.Fatalf("waitReady(%d) with data ready = %d, %v, %+v; want 1 EPOLLIN event on fd %d", wait, n, err, events[0], a)
		}
	}
	// A blocked wait returns when data arrives.
	buf := make([]byte, 4)
	if _, err := recv(a, buf); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		send(b, []byte("y"))
	}()
	if n, err := waitReady(ep, events, 60_000); n != 1 || err != nil {
		t.Fatalf("waitReady blocked, then data = %d, %v; want 1, nil", n, err)
	}
}
