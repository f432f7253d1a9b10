// Package natstest runs a real nats-server for tests, as a separate process:
// Debian's nats-server (scripts/test installs it) or any nats-server on the
// PATH. Tests that need one skip, saying why, when none is installed.
package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Server is a nats-server process on a fixed loopback port, so that it can
// be stopped and started again at the same URL (clients reconnect to it).
type Server struct {
	URL  string
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
	t    testing.TB
}

// bin returns the nats-server executable, "" if there is none.
func bin() string {
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nats-server", "/usr/bin/nats-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Start starts a nats-server on a free loopback port, stopped when the test
// ends; it skips the test when no nats-server is installed.
func Start(t testing.TB) *Server {
	t.Helper()
	b := bin()
	if b == "" {
		t.Skip("nats-server not found (scripts/test installs Debian's nats-server); skipping")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &Server{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), bin: b, port: port, dir: t.TempDir(), t: t}
	t.Cleanup(s.Stop)
	s.Restart()
	return s
}

// Restart starts the server again after Stop (or for the first time) and
// waits until it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("natstest: Restart of a running server")
	}
	log, err := os.Create(filepath.Join(s.dir, "nats-server.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("natstest: start %s: %v", s.bin, err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.URL[len("nats://"):], time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			s.t.Fatalf("natstest: nats-server does not listen on %s: %v\n%s", s.URL, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (the connection drop under test) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
