//go:build linux

package netpoll_test

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/netpoll"
	"golang.org/x/sys/unix"
)

const isLinux = true

// checkKernelFDsClosed checks that the epoll fd and the eventfd were closed
// by whoever dropped the last reference.
func checkKernelFDsClosed(t *testing.T, p *netpoll.Poller) {
	t.Helper()
	for _, fd := range p.KernelFDs() {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err == nil {
			// The number may have been reused; it must not still
			// be our epoll or eventfd instance.
			link, _ := readlink(fd)
			if link == "anon_inode:[eventpoll]" || link == "anon_inode:[eventfd]" {
				t.Errorf("poller fd %d (%s) still open after Close", fd, link)
			}
		}
	}
}

func readlink(fd int) (string, error) {
	buf := make([]byte, 256)
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func TestEpollRegistrationErrors(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, _ := socketpair(t)
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{name: "Modify unregistered", call: func() error { return p.Modify(a, netpoll.EventRead) }, want: unix.ENOENT},
		{name: "Delete unregistered", call: func() error { return p.Delete(a) }, want: unix.ENOENT},
		{name: "Add", call: func() error { return p.Add(a, netpoll.EventRead) }, want: nil},
		{name: "Add twice", call: func() error { return p.Add(a, netpoll.EventRead) }, want: unix.EEXIST},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestWaitParksInScheduler checks that a blocking Wait parks its goroutine
// in the runtime's poller ("IO wait") rather than holding its thread and P
// in epoll_wait ("syscall"), where the rest of a GOMAXPROCS=1 process would
// wait for sysmon.
func TestWaitParksInScheduler(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	if !p.Parks() {
		t.Fatal("the runtime refused to watch the epoll fd: Wait blocks in epoll_wait")
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Wait(-1, func(int, netpoll.Event) {})
		done <- err
	}()
	state := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if state = waitState(t); state == "IO wait" {
			break
		}
	}
	if state != "IO wait" {
		t.Errorf("the goroutine in Wait is in state %q, want %q", state, "IO wait")
	}
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wake did not end a parked Wait")
	}
}

// waitState returns the scheduler state of the goroutine blocked in
// Poller.Wait, from a dump of all stacks ("" if there is none).
func waitState(t *testing.T) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "netpoll.(*Poller).Wait(") {
			continue
		}
		head, _, _ := strings.Cut(g, "\n")
		_, state, ok := strings.Cut(head, "[")
		if !ok {
			t.Fatalf("unexpected goroutine header %q", head)
		}
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",")
		return state
	}
	return ""
}
