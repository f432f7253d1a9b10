//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package topic

import "github.com/surgews/surge/internal/netpoll"

// maxIOV is the number of frames one writev to one subscriber carries: no
// more than the event loops' writev passes to the kernel.
const maxIOV = min(maxBatch, netpoll.MaxWritevBuffers)
