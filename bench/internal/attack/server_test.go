package attack

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/bench/internal/servers"
	"github.com/surgews/surge/bench/internal/stats"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
)

// The tests attack servers in child processes, as the command does, so
// that the /proc figures are another process's: the test binary runs
// itself with serveEnv naming the server to be.
const serveEnv = "ATTACK_TEST_SERVER"

func TestMain(m *testing.M) {
	if lib := os.Getenv(serveEnv); lib != "" {
		if err := serve(lib); err != nil {
			fmt.Fprintln(os.Stderr, "attack test server:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// serve runs the server lib names and prints the address line Spawn reads,
// then serves until the process is killed. Besides bench's echo servers:
//   - "surge-timeout1s": surge's inline echo with a session Timeout of
//     1 s, so that slow readers are dropped within a test's time;
//   - "broken": a server that does everything the attacks look for wrong.
func serve(lib string) error {
	var addr net.Addr
	switch lib {
	case "broken":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go serveBroken(ln)
		addr = ln.Addr()
	case "surge-timeout1s":
		srv := engine.New(engine.Config{Session: session.Config{Timeout: time.Second, Backlog: 256 << 10}})
		srv.HandleEvents("/", echo{})
		if err := srv.Start("127.0.0.1:0"); err != nil {
			return err
		}
		addr = srv.Addr()
	default:
		srv, err := servers.Start(lib, "127.0.0.1:0", &stats.Counters{})
		if err != nil {
			return err
		}
		addr = srv.Addr()
	}
	fmt.Printf("echoserver lib=%s pid=%d addr=%s\n", lib, os.Getpid(), addr)
	select {}
}

type echo struct{ session.NopHandler }

func (echo) OnMessage(s *session.Session, f session.Frame) { _ = s.Send(context.Background(), f) }

// serveBroken accepts upgrades it reads in one 4 KiB read at most (and
// closes with the rest unread, so a larger head ends in RST), then answers
// the first bytes of any frame with a close frame and drops TCP: no echo,
// the close before anything, code 1000 whatever came.
func serveBroken(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer nc.Close()
			buf := make([]byte, 4096)
			n := 0
			for !strings.Contains(string(buf[:n]), "\r\n\r\n") {
				if n == len(buf) {
					return // over the limit: close, the rest unread
				}
				m, err := nc.Read(buf[n:])
				if err != nil {
					return
				}
				n += m
			}
			_, _ = nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))
			if end := strings.Index(string(buf[:n]), "\r\n\r\n") + 4; end == n {
				if _, err := nc.Read(buf); err != nil { // the first bytes of a frame
					return
				}
			}
			_, _ = nc.Write([]byte{0x88, 0x02, 0x03, 0xe8})
		}()
	}
}

// spawn starts the test binary as lib's server, under prlimit when nofile
// is positive, and stops it when the test ends.
func spawn(t testing.TB, lib string, nofile int) *Server {
	t.Helper()
	srv, err := spawnServer(lib, nofile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func spawnServer(lib string, nofile int) (*Server, error) {
	argv := []string{os.Args[0], "-test.run=^$"}
	if nofile > 0 {
		argv = append([]string{"prlimit", fmt.Sprintf("--nofile=%d:%d", nofile, nofile), "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), serveEnv+"="+lib)
	return Spawn(cmd)
}
