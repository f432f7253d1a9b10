package main

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
)

// TestEchoServerProcess is the separate-process surge echo server used for
// the measurements in docs/wsbench.md; it runs only when asked:
//
//	WSBENCH_ECHO_ADDR=127.0.0.1:8080 WSBENCH_ECHO_FOR=60s \
//	  taskset -c 0 go test -run TestEchoServerProcess -timeout 0 ./cmd/wsbench
//
// It serves until WSBENCH_ECHO_FOR passes or SIGTERM/SIGINT arrives.
func TestEchoServerProcess(t *testing.T) {
	addr := os.Getenv("WSBENCH_ECHO_ADDR")
	if addr == "" {
		t.Skip("set WSBENCH_ECHO_ADDR to run the measurement echo server")
	}
	d, err := time.ParseDuration(os.Getenv("WSBENCH_ECHO_FOR"))
	if err != nil {
		d = time.Minute
	}
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", demoEcho{})
	if err := srv.Start(addr); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Logf("echo server on %s, pid %d, for %v", srv.Addr(), os.Getpid(), d)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	select {
	case <-time.After(d):
	case <-sig:
	}
}
