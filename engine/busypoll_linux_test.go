package engine_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
)

// loopStates returns the scheduler state of every event loop goroutine of
// the process: "IO wait" when parked in the runtime's poller, "epoll_wait"
// when blocked in the system call, "runnable" or "running" when polling.
// Any other system call, such as the sendmsg of an echo whose thread the
// kernel has not yet returned from, shows as "syscall <function>": the
// scheduler calls all of them "syscall", and such a loop is not parked.
func loopStates(buf []byte) []string {
	var states []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "engine.(*loop).run(") {
			continue
		}
		head, frames, _ := strings.Cut(g, "\n")
		_, state, _ := strings.Cut(head, "[")
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",")
		if state == "syscall" {
			if strings.Contains(g, "unix.EpollWait(") {
				state = "epoll_wait"
			} else {
				fn, _, _ := strings.Cut(frames, "(")
				state += " " + fn
			}
		}
		states = append(states, state)
	}
	return states
}

func parked(state string) bool { return state == "IO wait" || state == "epoll_wait" }

// TestBusyPollDefersParking: an event that wakes a parked loop with BusyPoll
// starts the window: the loop keeps polling through it (some loop goroutine
// is never parked when sampled) and parks once it has passed, and it still
// serves after that.
func TestBusyPollDefersParking(t *testing.T) {
	const window = 400 * time.Millisecond
	srv, _ := countingServer("inline", engine.Config{Reactor: engine.ReactorConfig{Loops: 1, BusyPoll: window}})
	addr := startServer(t, srv)
	c := upgradeRaw(t, addr, "/")
	buf := make([]byte, 1<<20)
	waitParked := func(since time.Time) {
		t.Helper()
		for deadline := time.Now().Add(window + 5*time.Second); ; time.Sleep(10 * time.Millisecond) {
			states := loopStates(buf)
			all := len(states) > 0
			for _, s := range states {
				all = all && parked(s)
			}
			if all {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the loop still polls %v after its last event, with a %v BusyPoll window: %q", time.Since(since), window, states)
			}
		}
	}
	waitParked(time.Now()) // the handshake's window passes
	for _, msg := range []string{"wake", "again"} {
		sent := time.Now() // the event, and so the window, begins after this
		c.write(clientFrame(true, frame.OpBinary, []byte(msg)))
		c.expectFrame(frame.OpBinary, []byte(msg))
		start := time.Now()
		for time.Since(start) < window/3 {
			states := loopStates(buf)
			polling := false
			for _, s := range states {
				polling = polling || !parked(s)
			}
			// Only a sample known to lie inside the window counts: on a
			// busy machine this goroutine may wake late enough to sample
			// after the window has passed.
			if since := time.Since(sent); !polling && since < window {
				t.Fatalf("%v after the event that woke the parked loop, within a %v BusyPoll window, every loop is parked: %q",
					since, window, states)
			}
			time.Sleep(5 * time.Millisecond)
		}
		waitParked(start)
	}
}
