//go:build linux

package netpoll_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/surgews/surge/internal/netpoll"
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
