package reliability_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// The fd-limit test runs its server in a child process (this test binary
// again) whose open-files limit it lowers, so that exhausting it does not
// starve the test process.
const (
	childEnv = "SURGE_RELIABILITY_FDLIMIT_CHILD"
	// childFDs is the child's open-files limit: the default MaxConns is
	// then 256 - 32 = 224.
	childFDs        = 256
	childMaxConns   = childFDs - 32
	fdFlood         = 64 // connections queued while no fd is left
	cpuWindow       = 2 * time.Second
	cpuBar          = 0.05 // share of one core the server may use meanwhile
	pauseLogMessage = "pausing accepts\" logger=child"
)

// TestAcceptAtFDLimit: with every fd of the process taken, a flood of
// connections waiting in the listen queue costs the server under 5% of a
// core (accept backs off instead of failing with EMFILE in a tight loop),
// each back-off is logged once, accepts resume once fds are free again, and
// the default MaxConns, derived from the limit, answers a later flood with
// 503 before the process runs out of fds again.
func TestAcceptAtFDLimit(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		fdLimitChild(t)
		return
	}
	c := startFDChild(t)
	addr := c.addr

	// The flood: connections the kernel completes and queues, while the
	// server cannot accept them.
	var flood []net.Conn
	defer func() {
		for _, nc := range flood {
			_ = nc.Close()
		}
	}()
	for i := 0; i < fdFlood; i++ {
		nc, err := net.DialTimeout("tcp", addr, ioWait)
		if err != nil {
			t.Fatalf("flood connection %d: %v", i, err)
		}
		flood = append(flood, nc)
	}
	c.waitLog(t, pauseLogMessage, 1)
	before := c.cpu(t)
	start := time.Now()
	logsBefore := c.logCount(pauseLogMessage)
	time.Sleep(cpuWindow) // the measurement window, not a synchronisation
	used := c.cpu(t) - before
	wall := time.Since(start)
	share := float64(used) / float64(wall)
	pauses := c.logCount(pauseLogMessage) - logsBefore
	t.Logf("at the fd limit with %d connections queued: %v CPU in %v (%.2f%% of a core), %d back-off log lines",
		fdFlood, used, wall.Round(time.Millisecond), 100*share, pauses)
	if share > cpuBar {
		t.Errorf("the server used %.1f%% of a core while the flood held, want under %.0f%%", 100*share, 100*cpuBar)
	}
	// 5 ms doubling to 1 s: about ten pauses in two seconds per loop, and
	// the child has a loop per GOMAXPROCS, as this process.
	if max := 16 * runtime.GOMAXPROCS(0); pauses > max {
		t.Errorf("%d back-off log lines in %v, want at most %d (one per back-off)", pauses, wall, max)
	}

	// The flood leaves (the fds come back): accepts resume within the
	// longest back-off.
	c.command(t, "free")
	canary := dialCanary(t, addr)
	if d := canary.roundTrip("after the flood"); d > ioWait {
		t.Fatalf("echo after the flood took %v", d)
	}

	// A second flood, larger than the default MaxConns: the excess meets
	// 503, and the server never runs out of fds.
	logs := c.logCount(pauseLogMessage)
	refused := 0
	for i := 0; i < childMaxConns+16 && refused == 0; i++ {
		nc, err := net.DialTimeout("tcp", addr, ioWait)
		if err != nil {
			t.Fatalf("second flood connection %d: %v", i, err)
		}
		flood = append(flood, nc)
		if i < childMaxConns-fdFlood-8 {
			continue // certainly under the limit: no answer to wait for
		}
		_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var b [12]byte
		if n, _ := io.ReadFull(nc, b[:]); n == len(b) && string(b[:]) == "HTTP/1.1 503" {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no connection was refused with 503 past the default MaxConns (%d)", childMaxConns)
	}
	if n := c.logCount(pauseLogMessage) - logs; n > 0 {
		t.Errorf("accept failed %d times past the default MaxConns: the limit is above the fds", n)
	}
}

// fdChild is the child process and what it wrote.
type fdChild struct {
	addr  string
	in    io.Writer
	out   *bufio.Scanner
	mu    sync.Mutex
	log   []string
	logCh chan struct{}
}

func startFDChild(t *testing.T) *fdChild {
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptAtFDLimit$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &fdChild{in: in, out: bufio.NewScanner(out), logCh: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			c.mu.Lock()
			c.log = append(c.log, sc.Text())
			c.mu.Unlock()
			select {
			case c.logCh <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_, _ = io.WriteString(in, "exit\n")
		_ = in.Close()
		timer := time.AfterFunc(ioWait, func() { _ = cmd.Process.Kill() })
		_ = cmd.Wait()
		timer.Stop()
		<-done
		if t.Failed() {
			c.mu.Lock()
			t.Logf("child stderr:\n%s", strings.Join(c.log, "\n"))
			c.mu.Unlock()
		}
	})
	f := c.reply(t, "ready")
	if len(f) != 3 {
		t.Fatalf("child: bad ready line %q", f)
	}
	c.addr = f[1]
	t.Logf("child serves on %s with %s fds taken", c.addr, f[2])
	return c
}

// reply returns the fields of the child's next stdout line that starts
// with word, skipping the test framework's lines.
func (c *fdChild) reply(t *testing.T, word string) []string {
	t.Helper()
	for c.out.Scan() {
		if f := strings.Fields(c.out.Text()); len(f) > 0 && f[0] == word {
			return f
		}
	}
	t.Fatalf("child ended before answering %q: %v", word, c.out.Err())
	return nil
}

func (c *fdChild) command(t *testing.T, cmd string) []string {
	t.Helper()
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		t.Fatalf("child command %q: %v", cmd, err)
	}
	return c.reply(t, cmd)
}

// cpu returns the child's CPU time so far (user and system).
func (c *fdChild) cpu(t *testing.T) time.Duration {
	t.Helper()
	f := c.command(t, "cpu")
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("child cpu %q: %v", f, err)
	}
	return time.Duration(ns)
}

func (c *fdChild) logCount(substr string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.log {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// waitLog waits until the child has logged substr n times.
func (c *fdChild) waitLog(t *testing.T, substr string, n int) {
	t.Helper()
	deadline := time.After(ioWait)
	for c.logCount(substr) < n {
		select {
		case <-c.logCh:
		case <-deadline:
			t.Fatalf("the server did not log %q within %v", substr, ioWait)
		}
	}
}

// fdLimitChild serves an echo server under a lowered open-files limit with
// every fd taken, and answers the parent's commands on stdin: "cpu" (CPU
// time used, in ns), "free" (give the fds back) and "exit".
func fdLimitChild(t *testing.T) {
	lim := unix.Rlimit{Cur: childFDs, Max: childFDs}
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	lim.Max = cur.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// The pauses are logged through the logger the application sets.
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("logger", "child")
	srv := engine.New(engine.Config{Session: session.Config{Logger: logger}})
	srv.HandleEvents("/", echoHandler{})
	addr := startServer(t, srv)
	var taken []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		taken = append(taken, fd)
	}
	fmt.Printf("ready %s %d\n", addr, len(taken))
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "cpu":
			var ru unix.Rusage
			_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
			fmt.Printf("cpu %d\n", ru.Utime.Nano()+ru.Stime.Nano())
		case "free":
			for _, fd := range taken {
				_ = unix.Close(fd)
			}
			taken = nil
			fmt.Println("free")
		case "exit":
			return
		}
	}
}
