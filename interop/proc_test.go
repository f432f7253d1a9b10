//go:build unix

package interop

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a peer process started by a test: its stdout arrives line by line
// on lines (closed at EOF) and its stderr is kept for failure messages. The
// process runs in a process group of its own so that killing it also ends
// the helpers it spawned (Chromium's renderers, for instance).
type proc struct {
	name  string
	cmd   *exec.Cmd
	lines chan string
	errb  lockedBuffer
	done  chan struct{}
	werr  error
}

// startProc starts name with args in dir and kills it (and its process group)
// when the test ends or after limit, whichever is first.
func startProc(t *testing.T, limit time.Duration, dir, name string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	p := &proc{name: name, cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	cmd.Stderr = &p.errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("%s: stdout pipe: %v", name, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: start: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.werr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		cancel()
	})
	return p
}

// kill ends the process group and waits for the process to be reaped:
// SIGTERM first, so that Chromium can reap its own helpers, then SIGKILL
// after 3 s.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // stragglers
		return
	case <-time.After(3 * time.Second):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// wait waits for the process to exit by itself within d; it reports whether
// it did and its exit error.
func (p *proc) wait(d time.Duration) (bool, error) {
	select {
	case <-p.done:
		return true, p.werr
	case <-time.After(d):
		return false, nil
	}
}

// nextLine returns the next stdout line, or false after d or at EOF.
func (p *proc) nextLine(d time.Duration) (string, bool) {
	select {
	case l, ok := <-p.lines:
		return l, ok
	case <-time.After(d):
		return "", false
	}
}

// stderr returns what the process wrote on stderr so far.
func (p *proc) stderr() string { return p.errb.String() }

// lockedBuffer is a bytes.Buffer that exec's copying goroutine and the test
// may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil // keep the head; a flood of logs is not needed
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
