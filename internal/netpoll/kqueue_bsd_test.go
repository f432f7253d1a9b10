//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"testing"

	"github.com/surgews/surge/internal/netpoll"
)

const isLinux = false

// checkKernelFDsClosed is checked on Linux only, where /proc names the fd
// kinds; the kqueue build is checked through ErrClosed alone.
func checkKernelFDsClosed(*testing.T, *netpoll.Poller) {}
