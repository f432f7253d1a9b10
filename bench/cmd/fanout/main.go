// Command fanout measures publish/subscribe fan-out side by side: one
// publisher, N subscribers, and each message the publisher sends delivered
// by the server to every subscriber. surge's topic.Hub runs against gws's
// Broadcaster, gorilla's PreparedMessage (a writer goroutine per
// subscriber, as gorilla's chat example) and nbio's non-blocking
// WriteMessage, each written the way its documentation shows.
//
//	cd bench && go run ./cmd/fanout                       # 10,000 subscribers, 64 B and 1 KiB
//	go run ./cmd/fanout -subs 1000 -sizes 64 -libs surge  # a smaller run
//
// Each server runs in a process of its own on CPU 0 with GOMAXPROCS=1
// (taskset); this driver, which holds the subscribers and the publisher,
// pins itself to CPU 1. The publisher keeps -window messages in flight (a
// message is in flight until every subscriber has it). Measured over
// -duration after -warmup: deliveries per second, the server's CPU (from
// /proc/PID/stat) and deliveries per server core-second, the server's
// allocations per publish (runtime/metrics snapshots, as the echo bench),
// and publish-to-receipt latency over every delivery (p50, p99).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/surgews/surge/bench/internal/stats"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	serve := fs.String("serve", "", "run the fan-out server of this library (used by the driver)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address, with -serve")
	statsFile := fs.String("stats", "", "runtime snapshots file, with -serve")
	memProfile := fs.String("memprofile", "", "with -serve: record every allocation, write the profile here at exit")
	cpuProfile := fs.String("cpuprofile", "", "with -serve: write a CPU profile of the whole run here")
	var o options
	libs := fs.String("libs", strings.Join(libOrder, ","), "libraries")
	sizes := fs.String("sizes", "64,1024", "payload sizes in bytes")
	fs.IntVar(&o.subs, "subs", 10000, "subscribers")
	fs.IntVar(&o.window, "window", 16, "messages in flight")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "traffic before measuring")
	fs.StringVar(&o.serverCPU, "server-cpu", "0", "taskset CPU list of the servers")
	clientCPU := fs.Int("client-cpu", 1, "CPU the driver pins itself to (-1: none)")
	fs.StringVar(&o.nats, "nats", "", "nats-server binary: run surge as two nodes joined by it (surge only)")
	fs.StringVar(&memProfileDir, "memprofiles", "", "directory for the servers' allocation profiles (slows them)")
	fs.StringVar(&cpuProfileDir, "cpuprofiles", "", "directory for the servers' CPU profiles")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *serve != "" {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		if *memProfile != "" {
			runtime.MemProfileRate = 1
			defer func() {
				if f, err := os.Create(*memProfile); err == nil {
					_ = pprof.Lookup("allocs").WriteTo(f, 0)
					f.Close()
				}
			}()
		}
		return runServer(*serve, *addr, *statsFile)
	}
	if *clientCPU >= 0 {
		if err := pin(*clientCPU); err != nil {
			return err
		}
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < headerBytes {
			return fmt.Errorf("size %q: want an integer >= %d", s, headerBytes)
		}
		o.sizes = append(o.sizes, n)
	}
	o.libs = strings.Split(*libs, ",")
	if o.nats != "" {
		o.libs = []string{"surge"}
	}
	for _, l := range o.libs {
		if servers[l] == nil {
			return fmt.Errorf("unknown library %q (have %v)", l, libOrder)
		}
	}
	return drive(o)
}

// runServer serves lib until SIGINT or SIGTERM, printing its address first.
func runServer(lib, addr, statsFile string) error {
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGINT, syscall.SIGTERM)
	var c stats.Counters
	if statsFile != "" {
		rec, err := stats.NewRecorder(statsFile, &c)
		if err != nil {
			return err
		}
		defer rec.Close()
		defer rec.Listen()()
		if err := rec.Take(false); err != nil {
			return err
		}
	}
	srv, err := servers[lib](addr, &c)
	if err != nil {
		return err
	}
	fmt.Printf("fanout lib=%s pid=%d addr=%s\n", lib, os.Getpid(), srv.Addr())
	<-quit
	return srv.Close()
}

// memProfileDir and cpuProfileDir, when set, make each server write an
// allocation profile and a CPU profile there.
var memProfileDir, cpuProfileDir string

// serverProc is a server process started by the driver.
type serverProc struct {
	cmd   *exec.Cmd
	pid   int
	addr  string
	stats string
}

// startServer starts lib's server on the server CPUs with GOMAXPROCS=1.
func startServer(lib, cpus, statsFile, natsURL string) (*serverProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-c", cpus, self, "-serve", lib, "-stats", statsFile}
	if memProfileDir != "" {
		args = append(args, "-memprofile", filepath.Join(memProfileDir, lib+".allocs"))
	}
	if cpuProfileDir != "" {
		args = append(args, "-cpuprofile", filepath.Join(cpuProfileDir, lib+".cpu"))
	}
	cmd := exec.Command("taskset", args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "FANOUT_NATS="+natsURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%s server: %w", lib, err)
	}
	p := &serverProc{cmd: cmd, stats: statsFile}
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "pid="); ok {
			p.pid, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(f, "addr="); ok {
			p.addr = v
		}
	}
	if p.pid == 0 || p.addr == "" {
		p.stop()
		return nil, errors.New("bad server line: " + line)
	}
	return p, nil
}

func (p *serverProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// startNATS starts a nats-server on the server CPUs on a free port.
func startNATS(bin, cpus string) (*serverProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command("taskset", "-c", cpus, bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("nats-server does not listen: %w", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	// taskset execs the server: the pid is the server's.
	return &serverProc{cmd: cmd, pid: cmd.Process.Pid, addr: "nats://" + addr}, nil
}

// cpuSeconds returns the user+system CPU time of pid.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}
