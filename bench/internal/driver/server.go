package driver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/surgews/surge/bench/internal/servers"
)

// serverProc is a running echoserver.
type serverProc struct {
	cmd   *exec.Cmd
	pid   int
	addr  string
	stats string // snapshot file
	line  string // the command line, for the report
	exit  chan error
}

// startServer starts the echo server of lib (floorc for FloorCLib, a
// floorecho mode for any other "floor-MODE") with GOMAXPROCS=1, pinned to
// cpu when cpu is not "", and waits for its address line. It returns an
// error wrapping ErrNoCC for FloorCLib when floorc was not built.
func startServer(bins binaries, lib, cpu, statsPath, profile string) (*serverProc, error) {
	args := []string{bins.echoserver, "-lib", lib, "-addr", "127.0.0.1:0", "-stats", statsPath}
	switch {
	case lib == FloorCLib:
		if bins.floorc == "" {
			return nil, fmt.Errorf("%w: %s was not built", ErrNoCC, lib)
		}
		// GOMAXPROCS below means nothing to it; it stays for one
		// environment and one command line shape across servers.
		args = []string{bins.floorc, "-addr", "127.0.0.1:0"}
	case isFloor(lib):
		args = []string{bins.floorecho, "-io", strings.TrimPrefix(lib, "floor-"), "-addr", "127.0.0.1:0"}
	}
	if profile != "" && lib != FloorCLib { // floorc has no profiler
		args = append(args, "-cpuprofile", profile)
	}
	if cpu != "" {
		args = append([]string{"taskset", "-c", cpu}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProc{cmd: cmd, stats: statsPath, exit: make(chan error, 1),
		line: "GOMAXPROCS=1 " + strings.Join(args, " ")}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "echoserver ") {
				select {
				case lines <- sc.Text():
				default:
				}
			}
		}
	}()
	go func() { p.exit <- cmd.Wait() }()
	select {
	case l := <-lines:
		var ok bool
		if p.addr, p.pid, ok = servers.ParseReadyLine(l); !ok {
			p.stop()
			return nil, fmt.Errorf("%w: bad line %q", ErrServerStart, l)
		}
		return p, nil
	case err := <-p.exit:
		return nil, fmt.Errorf("%w: %s exited: %v", ErrServerStart, lib, err)
	case <-time.After(15 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%w: %s: no address line in 15 s", ErrServerStart, lib)
	}
}

// stop ends the server with SIGTERM (so a CPU profile is written), then
// SIGKILL if it lingers.
func (p *serverProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exit:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exit
	}
}
