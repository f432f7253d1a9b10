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
// the process: "IO wait" when parked in the runtime's poller, "syscall" when
// blocked in epoll_wait, "runnable" or "running" when polling.
func loopStates(buf []byte) []string {
	var states []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "engine.(*loop).run(") {
			continue
		}
		head, _, _ := strings.Cut(g, "\n")
		_, state, _ := strings.Cut(head, "[")
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",")
		states = append(states, state)
	}
	return states
}

func parked(state string) bool { return state == "IO wait" || state == "syscall" }

// TestBusyPollDefersParking: after an echo, a loop with BusyPoll keeps
// polling through the window (some loop goroutine is never parked when
// sampled), and parks once the window has passed.
func TestBusyPollDefersParking(t *testing.T) {
	const window = 600 * time.Millisecond
	srv, _ := countingServer("inline", engine.Config{Loops: 1, BusyPoll: window})
	addr := startServer(t, srv)
	c := upgradeRaw(t, addr, "/")
	buf := make([]byte, 1<<20)
	c.write(clientFrame(true, frame.OpBinary, []byte("wake")))
	c.expectFrame(frame.OpBinary, []byte("wake"))
	start := time.Now()
	samples := 0
	for time.Since(start) < window/3 {
		states := loopStates(buf)
		polling := false
		for _, s := range states {
			polling = polling || !parked(s)
		}
		if !polling {
			t.Fatalf("%v after the last event, within a %v BusyPoll window, every loop is parked: %q",
				time.Since(start), window, states)
		}
		samples++
		time.Sleep(5 * time.Millisecond)
	}
	if samples == 0 {
		t.Fatal("no sample taken")
	}
	deadline := time.Now().Add(window + 5*time.Second)
	for {
		states := loopStates(buf)
		all := true
		for _, s := range states {
			all = all && parked(s)
		}
		if all && len(states) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the loop still polls %v after the BusyPoll window: %q", time.Since(start)-window, states)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Still serving after it parked.
	c.write(clientFrame(true, frame.OpBinary, []byte("again")))
	c.expectFrame(frame.OpBinary, []byte("again"))
}
