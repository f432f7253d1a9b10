//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import "github.com/surgews/surge/internal/netpoll"

// connEdge is 0 on kqueue: connections stay level-triggered there and the
// again list stays empty. The saving of edge triggering was measured on
// Linux only (edge_linux.go), and the BSD builds are not run under load here.
const connEdge netpoll.Event = 0
