package attack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/surgews/surge/bench/internal/servers"
)

// Server is an echo server process that Spawn started.
type Server struct {
	Target
	cmd  *exec.Cmd
	done chan error
	logs *lineCounter
}

// LogLines returns how many lines the server has written to its standard
// error so far (a server that logs every failed accept shows here).
func (s *Server) LogLines() int {
	if s.logs == nil {
		return 0
	}
	return int(s.logs.n.Load())
}

// lineCounter counts the lines written through it and passes them on to w
// when w is not nil.
type lineCounter struct {
	w io.Writer
	n atomic.Int64
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	if c.w != nil {
		_, _ = c.w.Write(p)
	}
	return len(p), nil
}

// spawnWait bounds how long a server may take to print its address line;
// a race-instrumented binary on a busy machine is slow to start.
const spawnWait = 30 * time.Second

// Spawn starts cmd, which must print a line holding "addr=HOST:PORT" and
// "pid=PID" once it listens (bench/cmd/echoserver's "echoserver lib=LIB
// pid=PID addr=HOST:PORT"), and returns the server it announced. Its later
// output is dropped; its standard error goes where cmd.Stderr says, and
// Server.LogLines counts its lines. The PID is the one printed, so cmd may be a wrapper
// that execs the server (taskset, prlimit).
func Spawn(cmd *exec.Cmd) (*Server, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logs := &lineCounter{w: cmd.Stderr}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, done: make(chan error, 1), logs: logs}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "addr=") {
				line <- sc.Text()
				break
			}
		}
		close(line)
		_, _ = io.Copy(io.Discard, out)
		s.done <- cmd.Wait()
	}()
	select {
	case l, ok := <-line:
		if ok {
			if s.Target, err = parseServerLine(l); err == nil {
				return s, nil
			}
		} else {
			err = fmt.Errorf("%w: %v exited: %v", ErrServerLine, cmd.Args, <-s.done)
			return nil, err
		}
	case <-time.After(spawnWait):
		err = fmt.Errorf("%w: %v printed none within %v", ErrServerLine, cmd.Args, spawnWait)
	}
	_ = cmd.Process.Kill()
	return nil, err
}

// parseServerLine reads the addr= and pid= fields of an address line.
func parseServerLine(l string) (Target, error) {
	addr, pid, ok := servers.ParseReadyLine(l)
	if !ok {
		return Target{Addr: addr, PID: pid}, fmt.Errorf("%w: %q has no addr= and pid=", ErrServerLine, l)
	}
	return Target{Addr: addr, PID: pid}, nil
}

// Stop ends the server with SIGTERM, or SIGKILL if it has not exited
// within five seconds, and waits for it. A Server made from a Target,
// not by Spawn, is left running.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
