//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll_test

import (
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/surgews/surge/internal/netpoll"
	"golang.org/x/sys/unix"
)

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name    string
		batch   int
		wantErr error
	}{
		{name: "zero means default", batch: 0},
		{name: "one", batch: 1},
		{name: "max", batch: netpoll.MaxBatch},
		{name: "negative", batch: -1, wantErr: netpoll.ErrBadConfig},
		{name: "too large", batch: netpoll.MaxBatch + 1, wantErr: netpoll.ErrBadConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := netpoll.New(netpoll.Config{Batch: tt.batch})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New(Batch=%d) err = %v, want %v", tt.batch, err, tt.wantErr)
			}
			if err == nil {
				if err := p.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
		})
	}
}

func TestBatchSmallerThanReady(t *testing.T) {
	p := newPoller(t, netpoll.Config{Batch: 2})
	want := map[int]bool{}
	for range 5 {
		a, b := socketpair(t)
		mustWrite(t, b, "x")
		if err := p.Add(a, netpoll.EventRead); err != nil {
			t.Fatal(err)
		}
		want[a] = true
	}
	seen := map[int]bool{}
	for range 20 {
		n, err := p.Wait(0, func(fd int, ev netpoll.Event) { seen[fd] = true })
		if err != nil {
			t.Fatal(err)
		}
		if n > 2 {
			t.Fatalf("Wait delivered %d events with Batch 2", n)
		}
	}
	for fd := range want {
		if !seen[fd] {
			t.Errorf("fd %d never reported: level-triggered fds must rotate through a small batch", fd)
		}
	}
}

func TestReadable(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, b := socketpair(t)
	if err := p.Add(a, netpoll.EventRead); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if got := collect(t, p, 0); len(got) != 0 {
		t.Fatalf("idle socket reported %v", got)
	}
	mustWrite(t, b, "hello")
	ev := waitFor(t, p, a, netpoll.EventRead)
	if ev&(netpoll.EventHup|netpoll.EventErr|netpoll.EventWrite) != 0 {
		t.Errorf("readable socket reported %v, want read only", ev)
	}
	if got := string(drain(t, a)); got != "hello" {
		t.Errorf("read %q, want hello", got)
	}
	if got := collect(t, p, 0); len(got) != 0 {
		t.Fatalf("drained socket reported %v", got)
	}
}

func TestWritable(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, b := socketpair(t)
	if err := p.Add(a, netpoll.EventWrite); err != nil {
		t.Fatal(err)
	}
	if ev := collect(t, p, time.Second)[a]; ev != netpoll.EventWrite {
		t.Fatalf("fresh socket reported %v, want write", ev)
	}
	fillUntilBlocked(t, a)
	if got := collect(t, p, 0); got[a]&netpoll.EventWrite != 0 {
		t.Fatalf("full socket reported writable: %v", got)
	}
	drain(t, b)
	waitFor(t, p, a, netpoll.EventWrite)
}

func TestModify(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, b := socketpair(t)
	mustWrite(t, b, "x")
	tests := []struct {
		name     string
		interest netpoll.Event
		want     netpoll.Event
	}{
		{name: "read and write", interest: netpoll.EventRead | netpoll.EventWrite, want: netpoll.EventRead | netpoll.EventWrite},
		{name: "write only", interest: netpoll.EventWrite, want: netpoll.EventWrite},
		{name: "read only", interest: netpoll.EventRead, want: netpoll.EventRead},
		{name: "nothing", interest: 0, want: 0},
	}
	if err := p.Add(a, 0); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.Modify(a, tt.interest); err != nil {
				t.Fatalf("Modify: %v", err)
			}
			if got := collect(t, p, 50*time.Millisecond)[a]; got != tt.want {
				t.Fatalf("interest %v reported %v, want %v", tt.interest, got, tt.want)
			}
		})
	}
}

func TestPeerHangup(t *testing.T) {
	tests := []struct {
		name   string
		hangup func(fd int) error
	}{
		{name: "shutdown write half", hangup: func(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }},
		{name: "close", hangup: unix.Close},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPoller(t, netpoll.Config{})
			a, b := tcpPair(t)
			if err := p.Add(a, netpoll.EventRead); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, b, "last words")
			if err := tt.hangup(b); err != nil {
				t.Fatal(err)
			}
			ev := waitFor(t, p, a, netpoll.EventRead|netpoll.EventHup)
			t.Logf("reported %v", ev)
			// Hang-up does not discard pending bytes.
			buf := make([]byte, 64)
			n, err := netpoll.Read(a, buf)
			if err != nil || string(buf[:n]) != "last words" {
				t.Fatalf("Read = %q, %v; want pending bytes first", buf[:n], err)
			}
			if _, err := netpoll.Read(a, buf); err != io.EOF {
				t.Fatalf("Read after hang-up err = %v, want io.EOF", err)
			}
		})
	}
}

func TestHupWithoutRead(t *testing.T) {
	if !isLinux {
		t.Skip("kqueue reports hang-up only through the read filter")
	}
	p := newPoller(t, netpoll.Config{})
	a, b := tcpPair(t)
	if err := p.Add(a, netpoll.EventHup); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, b, "data")
	if got := collect(t, p, 50*time.Millisecond); len(got) != 0 {
		t.Fatalf("hup-only interest reported data: %v", got)
	}
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if ev := waitFor(t, p, a, netpoll.EventHup); ev&netpoll.EventRead != 0 {
		t.Errorf("hup-only interest reported %v", ev)
	}
}

func TestEdgeVersusLevel(t *testing.T) {
	tests := []struct {
		name       string
		interest   netpoll.Event
		wantRepeat bool
	}{
		{name: "level reports again", interest: netpoll.EventRead, wantRepeat: true},
		{name: "edge reports once", interest: netpoll.EventRead | netpoll.EventEdge, wantRepeat: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPoller(t, netpoll.Config{})
			a, b := socketpair(t)
			if err := p.Add(a, tt.interest); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, b, "x")
			waitFor(t, p, a, netpoll.EventRead)
			_, again := collect(t, p, 20*time.Millisecond)[a]
			if again != tt.wantRepeat {
				t.Fatalf("unread fd reported again = %v, want %v", again, tt.wantRepeat)
			}
			mustWrite(t, b, "y")
			waitFor(t, p, a, netpoll.EventRead)
		})
	}
}

func TestWaitTimeout(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	start := time.Now()
	n, err := p.Wait(30*time.Millisecond, func(int, netpoll.Event) { t.Error("callback on an empty poller") })
	if err != nil || n != 0 {
		t.Fatalf("Wait = %d, %v", n, err)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("Wait(30ms) returned after %v", d)
	}
}

func TestWakeFromGoroutine(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	done := make(chan error, 1)
	go func() {
		_, err := p.Wait(-1, func(int, netpoll.Event) {})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := p.Wake(); err != nil {
		t.Fatalf("Wake: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("woken Wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wake did not end a blocked Wait")
	}
}

func TestWakeCoalesced(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	for range 1000 {
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
	}
	n, err := p.Wait(5*time.Second, func(int, netpoll.Event) { t.Error("wake delivered to the callback") })
	if err != nil || n != 0 {
		t.Fatalf("Wait = %d, %v", n, err)
	}
	// The thousand wakes were one: the next Wait must time out.
	start := time.Now()
	if _, err := p.Wait(30*time.Millisecond, func(int, netpoll.Event) {}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("second Wait returned after %v: wake-ups were not coalesced", d)
	}
	// And the poller can be woken again.
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := p.Wait(5*time.Second, func(int, netpoll.Event) {}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("re-armed Wake took %v", d)
	}
}

// TestWakeNeverLost hammers Wake against a Wait loop: every value published
// before a Wake must be seen by the loop without waiting for the timeout.
func TestWakeNeverLost(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	const rounds = 2000
	var mu sync.Mutex
	published := 0
	seen := make(chan int)
	go func() {
		last := 0
		for last < rounds {
			if _, err := p.Wait(10*time.Second, func(int, netpoll.Event) {}); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			cur := published
			mu.Unlock()
			if cur != last {
				last = cur
				seen <- cur
			}
		}
	}()
	for i := 1; i <= rounds; i++ {
		mu.Lock()
		published = i
		mu.Unlock()
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-seen:
			if got != i {
				t.Fatalf("loop saw %d, want %d", got, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: wake-up lost", i)
		}
	}
}

// TestWakeStress hammers Wake from several goroutines while the loop waits.
// Whatever the interleaving, the coalescing flag must never be left set with
// no wake-up pending: a last Wake after the storm must still end a Wait.
func TestWakeStress(t *testing.T) {
	for range 20 {
		p := newPoller(t, netpoll.Config{})
		var stop atomic.Bool
		exited := make(chan error, 1)
		go func() {
			for !stop.Load() {
				if _, err := p.Wait(-1, func(int, netpoll.Event) {}); err != nil {
					exited <- err
					return
				}
			}
			exited <- nil
		}()
		var wg sync.WaitGroup
		until := time.Now().Add(10 * time.Millisecond)
		for range 4 {
			wg.Go(func() {
				for time.Now().Before(until) {
					if err := p.Wake(); err != nil {
						t.Error(err)
						return
					}
					runtime.Gosched()
				}
			})
		}
		wg.Wait()
		stop.Store(true)
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("final Wake lost after concurrent Wakes")
		}
	}
}

func TestDeleteWhileWaiting(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, b := socketpair(t)
	c, d := socketpair(t)
	for _, fd := range []int{a, c} {
		if err := p.Add(fd, netpoll.EventRead); err != nil {
			t.Fatal(err)
		}
	}
	events := make(chan int, 16)
	errc := make(chan error, 1)
	go func() {
		for {
			_, err := p.Wait(-1, func(fd int, ev netpoll.Event) {
				// c stays readable until drained: drop repeats
				// rather than block the loop.
				select {
				case events <- fd:
				default:
				}
			})
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(20 * time.Millisecond) // let the goroutine block in Wait
	if err := p.Delete(a); err != nil {
		t.Fatalf("Delete while another goroutine waits: %v", err)
	}
	mustWrite(t, b, "ignored")
	mustWrite(t, d, "seen")
	select {
	case fd := <-events:
		if fd != c {
			t.Fatalf("got event for fd %d, want only %d (fd %d was deleted)", fd, c, a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event for the registered fd")
	}
	drain(t, c)
	if err := p.Delete(a); err == nil {
		t.Error("second Delete succeeded")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, netpoll.ErrClosed) {
			t.Fatalf("Wait after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end Wait")
	}
	for len(events) > 0 {
		if fd := <-events; fd == a {
			t.Fatalf("deleted fd %d was reported", a)
		}
	}
}

// TestManyFDs registers 10,000 fds: both ends of 5,000 socketpairs (one
// process may open 20,000 fds here, and the test needs headroom). Every end
// is made ready, and all must be reported within a bounded number of Waits.
func TestManyFDs(t *testing.T) {
	const pairs = 5000
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < 2*pairs+200 {
		t.Skipf("RLIMIT_NOFILE %d is below the %d fds this test needs", lim.Cur, 2*pairs+200)
	}
	p := newPoller(t, netpoll.Config{})
	want := make(map[int]netpoll.Event, 2*pairs)
	for range pairs {
		a, b := socketpair(t)
		mustWrite(t, b, "x")
		if err := p.Add(a, netpoll.EventRead); err != nil {
			t.Fatal(err)
		}
		if err := p.Add(b, netpoll.EventWrite); err != nil {
			t.Fatal(err)
		}
		want[a], want[b] = netpoll.EventRead, netpoll.EventWrite
	}
	seen := make(map[int]bool, 2*pairs)
	for i := 0; i < 200 && len(seen) < len(want); i++ {
		_, err := p.Wait(time.Second, func(fd int, ev netpoll.Event) {
			w, ok := want[fd]
			if !ok {
				t.Errorf("event for unregistered fd %d", fd)
				return
			}
			if ev&w == 0 {
				t.Errorf("fd %d reported %v, want %v", fd, ev, w)
			}
			seen[fd] = true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d of %d ready fds reported", len(seen), len(want))
	}
}

func TestCloseWhileWaiting(t *testing.T) {
	for i := range 50 {
		p, err := netpoll.New(netpoll.Config{})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := socketpair(t)
		if err := p.Add(a, netpoll.EventRead); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := p.Wait(-1, func(int, netpoll.Event) {})
			errc <- err
		}()
		if i%2 == 0 {
			time.Sleep(time.Millisecond) // sometimes close before Wait blocks
		}
		if err := p.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, netpoll.ErrClosed) || !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Wait err = %v, want ErrClosed wrapping net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not end a blocked Wait")
		}
		checkClosedPoller(t, p)
	}
}

func TestCloseFromCallback(t *testing.T) {
	p, err := netpoll.New(netpoll.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for range 3 {
		a, b := socketpair(t)
		mustWrite(t, b, "x")
		if err := p.Add(a, netpoll.EventRead); err != nil {
			t.Fatal(err)
		}
		fds = append(fds, a)
	}
	calls := 0
	n, err := p.Wait(time.Second, func(int, netpoll.Event) {
		calls++
		if err := p.Close(); err != nil {
			t.Errorf("Close from callback: %v", err)
		}
	})
	if !errors.Is(err, netpoll.ErrClosed) {
		t.Fatalf("Wait err = %v, want ErrClosed", err)
	}
	if n != 1 || calls != 1 {
		t.Fatalf("delivered %d (callback calls %d) after Close, want 1", n, calls)
	}
	checkClosedPoller(t, p)
	// Registered fds stay open: the caller owns them.
	for _, fd := range fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			t.Errorf("registered fd %d was closed: %v", fd, err)
		}
	}
}

// checkClosedPoller checks that every method reports ErrClosed.
func checkClosedPoller(t *testing.T, p *netpoll.Poller) {
	t.Helper()
	checks := []struct {
		name string
		err  error
	}{
		{name: "Add", err: p.Add(0, netpoll.EventRead)},
		{name: "Modify", err: p.Modify(0, netpoll.EventRead)},
		{name: "Delete", err: p.Delete(0)},
		{name: "Wake", err: p.Wake()},
		{name: "Close", err: p.Close()},
	}
	_, werr := p.Wait(0, func(int, netpoll.Event) {})
	checks = append(checks, struct {
		name string
		err  error
	}{name: "Wait", err: werr})
	for _, c := range checks {
		if !errors.Is(c.err, netpoll.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", c.name, c.err)
		}
	}
	checkKernelFDsClosed(t, p)
}

// TestCloseRace runs every method concurrently with Close; under -race this
// checks the reference-counting scheme. Each call must succeed or return
// ErrClosed.
func TestCloseRace(t *testing.T) {
	for range 30 {
		p, err := netpoll.New(netpoll.Config{})
		if err != nil {
			t.Fatal(err)
		}
		a, b := socketpair(t)
		mustWrite(t, b, "x")
		var wg sync.WaitGroup
		check := func(what string, err error) {
			if err != nil && !errors.Is(err, netpoll.ErrClosed) && !errors.Is(err, syscall.EEXIST) && !errors.Is(err, syscall.ENOENT) {
				t.Errorf("%s: %v", what, err)
			}
		}
		wg.Go(func() {
			for {
				_, err := p.Wait(-1, func(int, netpoll.Event) {})
				if err != nil {
					check("Wait", err)
					return
				}
			}
		})
		wg.Go(func() {
			for range 100 {
				check("Add", p.Add(a, netpoll.EventRead))
				check("Modify", p.Modify(a, netpoll.EventRead|netpoll.EventWrite))
				check("Delete", p.Delete(a))
			}
		})
		wg.Go(func() {
			for range 100 {
				check("Wake", p.Wake())
			}
		})
		time.Sleep(time.Millisecond)
		wg.Go(func() { check("Close", p.Close()) })
		check("Close", p.Close())
		wg.Wait()
		checkKernelFDsClosed(t, p)
	}
}

func TestConcurrentWait(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := p.Wait(-1, func(int, netpoll.Event) {})
		done <- err
	}()
	go func() {
		// Poll until the first Wait is certainly blocked.
		time.Sleep(20 * time.Millisecond)
		close(started)
	}()
	<-started
	if _, err := p.Wait(0, func(int, netpoll.Event) {}); !errors.Is(err, netpoll.ErrConcurrentWait) {
		t.Fatalf("second Wait err = %v, want ErrConcurrentWait", err)
	}
	p.Wake()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBadArguments(t *testing.T) {
	p := newPoller(t, netpoll.Config{})
	a, _ := socketpair(t)
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{name: "Add negative fd", call: func() error { return p.Add(-1, netpoll.EventRead) }, want: netpoll.ErrBadFD},
		{name: "Modify negative fd", call: func() error { return p.Modify(-1, netpoll.EventRead) }, want: netpoll.ErrBadFD},
		{name: "Delete negative fd", call: func() error { return p.Delete(-1) }, want: netpoll.ErrBadFD},
		{name: "Add unknown interest", call: func() error { return p.Add(a, 1<<20) }, want: netpoll.ErrBadInterest},
		{name: "Modify unknown interest", call: func() error { return p.Modify(a, 1<<20) }, want: netpoll.ErrBadInterest},
		{name: "Add closed fd", call: func() error { return p.Add(999_999, netpoll.EventRead) }, want: syscall.EBADF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
