//go:build race

package netpoll

import (
	"runtime"
	"unsafe"
)

// raceReadBufs tells the race detector that the kernel reads bufs, which
// the raw writev does not.
func raceReadBufs(bufs [][]byte) {
	for _, b := range bufs {
		if len(b) > 0 {
			runtime.RaceReadRange(unsafe.Pointer(&b[0]), len(b))
		}
	}
}
