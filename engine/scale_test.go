//go:build linux

package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// Bars on the Go memory one idle server session may hold, engine state
// included (DESIGN.md: an idle session costs a few hundred bytes; issue
// #18: at most 320 B for event style, and at most 450 B of server RSS per
// idle connection at 19,000 connections).
const (
	eventSessionBar   = 320
	channelSessionBar = 4 << 10
	// poolSessionBound: event style on the worker pool keeps the same
	// bar (its event queue is pooled and given back when it drains).
	poolSessionBound = eventSessionBar
	// inProcessSessionBar is the bar of TestIdleSessionsInProcess, on live
	// objects and stacks: the clients' fds in the same process double the
	// fd numbers the server's fd table spans, and 9,000 sessions share the
	// fixed costs less thinly (311-313 B measured).
	inProcessSessionBar = 352
	// eventRSSBar bounds the server's resident memory per idle event-style
	// connection (VmRSS delta / n, free heap pages returned first).
	eventRSSBar = 450
)

// Connection counts. The open-files limit of this machine is 20,000 per
// process: 9,000 connections fit when both ends share the test process
// (two fds each), 19,000 when the clients live in a helper process.
const (
	inProcessConns = 9000
	helperConns    = 19000
)

// helperEnv carries "addr n" to TestHelperProcess.
const helperEnv = "SURGE_IDLE_HELPER"

// idleStats is what an idle-session measurement found.
type idleStats struct {
	mode       string
	n          int
	perSession float64 // (HeapInuse+StackInuse) delta / n, bytes
	heap       float64 // HeapInuse delta / n
	live       float64 // HeapAlloc delta / n: the sessions' objects, without span slack
	stack      float64 // StackInuse delta / n
	rss        float64 // VmRSS delta / n: what the process holds of the OS per connection
	goroutines int     // NumGoroutine delta
}

func (s idleStats) String() string {
	return fmt.Sprintf("%-7s n=%-5d %6.0f B/session (heap %5.0f, live objects %5.0f, stack %5.0f), RSS %5.0f B/connection, goroutines %+d",
		s.mode, s.n, s.perSession, s.heap, s.live, s.stack, s.rss, s.goroutines)
}

// idleServer starts a server of the given dispatch mode whose handlers
// count the sessions opened and ended.
func idleServer(t testing.TB, mode string) (*engine.Server, *idleCounts) {
	var n idleCounts
	cfg := engine.Config{Reactor: engine.ReactorConfig{Loops: 2}}
	if mode == "pool" {
		cfg.Session.Dispatch = session.DispatchPool
	}
	srv := engine.New(cfg)
	if mode == "channel" {
		srv.HandleSession("/", func(s *session.Session) {
			n.opened.Add(1)
			defer n.ended.Add(1)
			for f := range s.Incoming() {
				_ = s.Send(context.Background(), f)
			}
		})
	} else {
		srv.HandleEvents("/", &openCounter{n: &n})
	}
	return srv, &n
}

// idleCounts counts the sessions an idleServer has opened and ended: its
// handler's OnOpen and OnClose, or its session function's start and return.
type idleCounts struct{ opened, ended atomic.Int64 }

// openCounter is an echo handler that counts OnOpen and OnClose.
type openCounter struct {
	session.NopHandler
	n *idleCounts
}

func (h *openCounter) OnOpen(*session.Session)                       { h.n.opened.Add(1) }
func (h *openCounter) OnClose(*session.Session, session.CloseReason) { h.n.ended.Add(1) }

func (h *openCounter) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// memNow returns HeapInuse and StackInuse after the collector ran twice
// (the second run empties sync.Pool victim caches).
func memNow() (heap, live, stack uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.HeapAlloc, ms.StackInuse
}

// rssNow returns the process's resident set (VmRSS), in bytes, after the
// heap's free pages went back to the OS: the scavenger would return them
// over the next minutes anyway, and without this the figure would depend
// on how far it got.
func rssNow(t *testing.T) uint64 {
	t.Helper()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// rawIdleConns opens n upgraded connections to addr and returns their bare
// fds: each is dialled and upgraded with net.Conn, then its fd is duplicated
// and the net.Conn closed, so an idle client holds no Go memory but an int.
// Source addresses rotate over 127.0.0.2-9 so that repeated runs do not run
// out of ephemeral ports.
func rawIdleConns(addr string, n int) ([]int, error) {
	fds := make([]int, n)
	req := upgradeRequest("/idle")
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fd, err := rawIdleConn(addr, req, i)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					next.Store(int64(n))
					return
				}
				fds[i] = fd
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		closeFDs(fds)
		return nil, firstErr
	}
	return fds, nil
}

func rawIdleConn(addr string, req []byte, i int) (int, error) {
	d := net.Dialer{Timeout: ioTimeout, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%8))}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return -1, err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := nc.Write(req); err != nil {
		return -1, err
	}
	// The 101 answer is small and nothing follows it, so reading to the
	// blank line reads exactly the answer.
	var head []byte
	var buf [256]byte
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		k, err := nc.Read(buf[:])
		if err != nil {
			return -1, err
		}
		head = append(head, buf[:k]...)
	}
	if !strings.HasPrefix(string(head), "HTTP/1.1 101 ") {
		return -1, fmt.Errorf("handshake answered %q", head)
	}
	sc, ok := nc.(*net.TCPConn)
	if !ok {
		return -1, fmt.Errorf("not TCP")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(f uintptr) { fd, derr = unix.Dup(int(f)) }); err != nil {
		return -1, err
	}
	return fd, derr
}

// closeFDs closes the clients with a reset (SO_LINGER 0): closing first
// would otherwise leave each client port in TIME_WAIT for a minute, and a
// few runs of tens of thousands of connections from the same source
// addresses would make bind slow and then fail.
func closeFDs(fds []int) {
	for _, fd := range fds {
		if fd > 0 {
			_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
			_ = unix.Close(fd)
		}
	}
}

// measureIdle serves n idle sessions of mode and measures the server
// process's Go memory and goroutines per session. With helper set, the
// clients run in a child process (so the measured process holds only server
// state); otherwise they are bare fds in this process.
func measureIdle(t *testing.T, mode string, n int, helper bool) idleStats {
	t.Helper()
	srv, counts := idleServer(t, mode)
	addr := startServer(t, srv)

	// Warm up what the first sessions initialise once (pools, loop tables
	// for low fds), so the baseline does not charge it to the sessions.
	warm, err := rawIdleConns(addr, 16)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ioTimeout, "warm-up sessions", func() bool { return counts.opened.Load() == 16 })
	closeFDs(warm)
	// Conns drops when a connection closes; a channel-style function can
	// still be on its way out then, and would count as the baseline's.
	waitFor(t, ioTimeout, "warm-up sessions to end", func() bool {
		return srv.Stats().Conns == 0 && counts.ended.Load() == 16
	})
	time.Sleep(50 * time.Millisecond)

	g0 := runtime.NumGoroutine()
	h0, a0, s0 := memNow()
	r0 := rssNow(t)

	start := time.Now()
	var stop func()
	if helper {
		stop = startHelper(t, addr, n)
	} else {
		fds, err := rawIdleConns(addr, n)
		if err != nil {
			t.Fatal(err)
		}
		stop = func() { closeFDs(fds) }
	}
	defer func() {
		start := time.Now()
		stop()
		waitFor(t, 30*time.Second, "idle sessions to end", func() bool { return srv.Stats().Conns == 0 })
		t.Logf("%d sessions ended in %v", n, time.Since(start).Round(time.Millisecond))
	}()
	waitFor(t, 30*time.Second, fmt.Sprintf("%d sessions", n), func() bool {
		return srv.Stats().Conns == n && counts.opened.Load() == int64(n+16)
	})
	t.Logf("%d sessions opened in %v", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(100 * time.Millisecond) // let channel-style goroutines park
	h1, a1, s1 := memNow()
	r1 := rssNow(t)
	g1 := runtime.NumGoroutine()
	st := idleStats{
		mode:       mode,
		n:          n,
		heap:       (float64(h1) - float64(h0)) / float64(n),
		live:       (float64(a1) - float64(a0)) / float64(n),
		stack:      (float64(s1) - float64(s0)) / float64(n),
		rss:        (float64(r1) - float64(r0)) / float64(n),
		goroutines: g1 - g0,
	}
	st.perSession = st.heap + st.stack
	return st
}

// startHelper runs TestHelperProcess in a child process that opens n idle
// connections to addr; the returned function ends the child.
func startHelper(t *testing.T, addr string, n int) func() {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", helperEnv, addr, n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	stop := func() {
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			stop()
			t.Fatalf("helper process: %q", line)
		}
	case <-time.After(60 * time.Second):
		stop()
		t.Fatal("helper process did not get ready")
	}
	return stop
}

// TestHelperProcess is not a test: TestIdleMemory runs it in a child process
// to hold the client ends of the idle connections.
func TestHelperProcess(t *testing.T) {
	arg := os.Getenv(helperEnv)
	if arg == "" {
		t.Skip("helper process of TestIdleMemory")
	}
	f := strings.Fields(arg)
	n, _ := strconv.Atoi(f[1])
	fds, err := rawIdleConns(f[0], n)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	closeFDs(fds)
}

// TestIdleSessionsInProcess holds 9,000 event-style idle sessions with both
// ends in this process: the server side needs no goroutine per session and
// stays under the memory bar (the clients are bare fds).
func TestIdleSessionsInProcess(t *testing.T) {
	n := inProcessConns
	if testing.Short() {
		n = 1000
	}
	st := measureIdle(t, "inline", n, false)
	t.Log(st)
	if st.goroutines > 16 {
		t.Errorf("%d goroutines for %d idle event-style sessions; want no goroutine per session", st.goroutines, n)
	}
	if raceEnabled {
		t.Log("race detector: memory bar not checked")
		return
	}
	if testing.Short() {
		// The fixed costs (fd table chunks, the test's own goroutines)
		// spread over 1,000 sessions add a few hundred bytes to each.
		t.Log("-short: too few sessions for the memory bar; not checked")
		return
	}
	// Live objects, not HeapInuse: in a package run this test follows
	// others whose partly used spans it fills, and HeapInuse then moved
	// between 357 and 395 B for the same sessions while HeapAlloc stayed
	// at 311-313 B. TestIdleMemory holds the 320 B bar on
	// HeapInuse, over 19,000 sessions with their clients in a helper
	// process.
	if live := st.live + st.stack; live > inProcessSessionBar {
		t.Errorf("%.0f bytes of live objects and stack per idle event-style session, bar %d", live, inProcessSessionBar)
	}
}

// TestIdleMemory measures the Go memory of 19,000 idle server sessions per
// dispatch mode, with the clients in a helper process, against the bars:
// event style (inline dispatch, the default) at most 320 B of Go memory and
// 450 B of RSS per connection, channel style at most 4 KiB; event style on
// the worker pool is held to poolSessionBound.
func TestIdleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("19,000 connections per mode; skipped in -short mode")
	}
	cases := []struct {
		mode       string
		bar        float64
		perSession bool // a goroutine per session is expected
	}{
		{"inline", eventSessionBar, false},
		{"pool", poolSessionBound, false},
		{"channel", channelSessionBar, true},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			st := measureIdle(t, tc.mode, helperConns, true)
			t.Log(st)
			if tc.perSession {
				if st.goroutines < helperConns || st.goroutines > helperConns+16 {
					t.Errorf("%d goroutines for %d channel-style sessions, want one each", st.goroutines, helperConns)
				}
			} else if st.goroutines > 16 {
				t.Errorf("%d goroutines for %d idle event-style sessions; want none per session", st.goroutines, helperConns)
			}
			if raceEnabled {
				t.Log("race detector: memory bar not checked")
				return
			}
			if st.perSession > tc.bar {
				t.Errorf("%.0f bytes per idle %s session, bar %.0f", st.perSession, tc.mode, tc.bar)
			}
			if !tc.perSession && st.rss > eventRSSBar {
				t.Errorf("%.0f bytes of RSS per idle %s connection, bar %d", st.rss, tc.mode, eventRSSBar)
			}
		})
	}
}
