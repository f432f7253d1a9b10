package netpoll

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// stackBuf is reused so that polling the state does not trigger the
// collections whose stop-the-world also polls the network.
var stackBuf = make([]byte, 1<<20)

// parkedState returns the scheduler state of the goroutine blocked in
// Poller.Wait ("IO wait" when parked, "syscall" when blocked in
// epoll_wait), or "" if there is none.
func parkedState() string {
	buf := stackBuf[:runtime.Stack(stackBuf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "netpoll.(*Poller).Wait(") {
			continue
		}
		head, _, _ := strings.Cut(g, "\n")
		_, state, _ := strings.Cut(head, "[")
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",")
		return state
	}
	return ""
}

// waitInState starts p.Wait(-1) on a goroutine, waits until it blocks in
// want, wakes it and checks that it returns.
func waitInState(t *testing.T, p *Poller, want string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := p.Wait(-1, func(int, Event) {})
		done <- err
	}()
	state := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if state = parkedState(); state == want {
			break
		}
	}
	if state != want {
		t.Errorf("Wait blocks in state %q, want %q", state, want)
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
		t.Fatal("Wake did not end the Wait")
	}
}

// TestWaitParksInScheduler checks that a blocking Wait parks its goroutine
// in the runtime's poller ("IO wait") rather than holding its thread and P
// in epoll_wait ("syscall"), where the rest of a GOMAXPROCS=1 process would
// wait for sysmon.
func TestWaitParksInScheduler(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.park == nil {
		t.Fatal("the runtime refused to watch the epoll fd: Wait blocks in epoll_wait")
	}
	if !p.park.usable() {
		t.Skipf("%d pollers open for GOMAXPROCS=%d", livePollers.Load(), runtime.GOMAXPROCS(0))
	}
	waitInState(t, p, "IO wait")
}

// With more pollers than Ps a Wait must block in epoll_wait: parked, it
// would wait for a P to run dry, and a busy loop never does. With no more
// pollers than Ps it parks.
func TestParkOnlyWithAPPerPoller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	base := livePollers.Load()
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if base != 0 {
		t.Skipf("%d pollers of other tests still open", base)
	}
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	waitInState(t, b, "syscall")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitInState(t, a, "IO wait")
}

// Wake must ready a parked Wait itself (through an expired deadline)
// rather than leave it to the runtime's poller, which a process whose only P
// never runs dry consults only every 10 ms (from sysmon): without it the
// median wake-up below took 10 ms.
func TestWakeReadiesParkedWait(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.park == nil || !p.park.usable() {
		t.Skip("this poller does not park")
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a busy loop: the run queue is never empty
		for {
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	const rounds = 15
	var took []time.Duration
	for range rounds {
		done := make(chan time.Time, 1)
		go func() {
			_, _ = p.Wait(-1, func(int, Event) {})
			done <- time.Now()
		}()
		for parkedState() != "IO wait" {
			time.Sleep(100 * time.Microsecond)
		}
		woke := time.Now()
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		select {
		case at := <-done:
			took = append(took, at.Sub(woke))
		case <-time.After(5 * time.Second):
			t.Fatal("Wake did not end the Wait")
		}
		if _, err := p.Wait(0, func(int, Event) {}); err != nil { // consume the wake-up
			t.Fatal(err)
		}
	}
	slices.Sort(took)
	if med := took[rounds/2]; med > 2*time.Millisecond {
		t.Errorf("median wake-up of a parked Wait under a busy P took %v (all: %v)", med, took)
	}
}
