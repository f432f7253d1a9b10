//go:build darwin || openbsd

package netpoll

import "golang.org/x/sys/unix"

// MaxWritevBuffers is the number of buffers one [Writev] passes to the
// kernel. On macOS and OpenBSD system calls must go through libc, so Writev
// uses x/sys/unix's Writev, whose iovec array stays on the stack only up to 8
// entries; beyond that it would allocate on every call.
const MaxWritevBuffers = 8

// writev skips empty buffers, like the raw version, so they do not use up
// the few slots; the selection array holds only slice headers and stays on
// the stack.
func writev(fd int, bufs [][]byte) (int, error) {
	var sel [MaxWritevBuffers][]byte
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == len(sel) {
			break
		}
		sel[n] = b
		n++
	}
	if n == 0 {
		return 0, nil
	}
	w, err := unix.Writev(fd, sel[:n])
	if err != nil {
		return 0, err
	}
	return w, nil
}
