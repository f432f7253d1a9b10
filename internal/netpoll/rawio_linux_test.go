//go:build linux && !race

package netpoll

import (
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fileRead and fileWrite are the read(2) and write(2) twins of sysRead and
// sysWrite, raw in the same way, so that BenchmarkSocketCalls compares only
// the kernel's two paths to the same socket.
func fileRead(fd int, p []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func fileWrite(fd int, p []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// tcpPair returns the two ends of a loopback TCP connection, non-blocking.
func tcpPair(tb testing.TB) (a, b int) {
	tb.Helper()
	lfd, addr, err := Listen("tcp", "127.0.0.1:0", false, 8)
	if err != nil {
		tb.Fatal(err)
	}
	defer Close(lfd)
	a, err = Connect("tcp", addr.String(), nil)
	if err != nil && err != ErrInProgress { // accepting it below completes it
		tb.Fatal(err)
	}
	tb.Cleanup(func() { Close(a) })
	for {
		b, _, err = Accept(lfd)
		if err == nil {
			break
		}
		if err != ErrWouldBlock {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { Close(b) })
	if err := SetNonblock(b, true); err != nil {
		tb.Fatal(err)
	}
	for _, fd := range [2]int{a, b} {
		if err := SetNoDelay(fd, true); err != nil { // as the engine's sockets
			tb.Fatal(err)
		}
	}
	return a, b
}

// echo sends p from a to b and back with the given calls, as a server's
// read and write of one echo and its client's.
func echo(tb testing.TB, a, b int, p []byte, read, write func(int, []byte) (int, error)) {
	for _, fds := range [2][2]int{{a, b}, {b, a}} {
		if n, err := write(fds[0], p); n != len(p) || err != nil {
			tb.Fatalf("write = %d, %v", n, err)
		}
		readFull(tb, fds[1], p, read)
	}
}

// readFull fills p from fd with read, retrying EAGAIN: the sender's bytes
// are on loopback, so they arrive at once.
func readFull(tb testing.TB, fd int, p []byte, read func(int, []byte) (int, error)) {
	tb.Helper()
	for got := 0; got < len(p); {
		n, err := read(fd, p[got:])
		if err == unix.EAGAIN {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		got += n
	}
}

// TestSocketCallsMatchFileCalls checks that the socket calls move the same
// bytes as read and write, and report the same ends: EAGAIN on an empty
// socket, 0 at the peer's end of stream, EPIPE after it is gone.
func TestSocketCallsMatchFileCalls(t *testing.T) {
	a, b := tcpPair(t)
	p := []byte("sendto and recvfrom")
	got := make([]byte, len(p))
	if n, err := sysWrite(a, p); n != len(p) || err != nil {
		t.Fatalf("sysWrite = %d, %v", n, err)
	}
	readFull(t, b, got, fileRead)
	if string(got) != string(p) {
		t.Fatalf("read %q, want %q", got, p)
	}
	if _, err := sysRead(b, got); err != unix.EAGAIN {
		t.Fatalf("sysRead of an empty socket: %v, want EAGAIN", err)
	}
	if _, err := fileWrite(b, p); err != nil {
		t.Fatal(err)
	}
	clear(got)
	readFull(t, a, got, sysRead)
	if string(got) != string(p) {
		t.Fatalf("sysRead %q, want %q", got, p)
	}
	if err := unix.Close(b); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := sysRead(a, got)
		if err == unix.EAGAIN {
			continue
		}
		if n != 0 || err != nil {
			t.Fatalf("sysRead after the peer closed = %d, %v, want 0, nil", n, err)
		}
		break
	}
	// The peer's socket is gone: the first write draws its reset, a later
	// one EPIPE, without a SIGPIPE (MSG_NOSIGNAL).
	var err error
	for range 100 {
		if _, err = sysWrite(a, p); err != nil {
			break
		}
	}
	if err != unix.EPIPE && err != unix.ECONNRESET {
		t.Fatalf("sysWrite to a closed peer: %v, want EPIPE or ECONNRESET", err)
	}
}

// BenchmarkSocketCalls compares one 1 KiB echo over loopback TCP (a write
// and a read each way) made with read(2) and write(2) against recvfrom(2)
// and sendto(2), which sysRead and sysWrite use.
func BenchmarkSocketCalls(b *testing.B) {
	for _, size := range []int{64, 1 << 10, 16 << 10} {
		for _, tc := range []struct {
			name        string
			read, write func(int, []byte) (int, error)
		}{
			{"read-write", fileRead, fileWrite},
			{"recvfrom-sendto", sysRead, sysWrite},
		} {
			b.Run(fmt.Sprintf("%s/size=%d", tc.name, size), func(b *testing.B) {
				x, y := tcpPair(b)
				p := make([]byte, size)
				b.SetBytes(int64(2 * size))
				b.ReportAllocs()
				for b.Loop() {
					echo(b, x, y, p, tc.read, tc.write)
				}
			})
		}
	}
}
