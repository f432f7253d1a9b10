// Command echoserver runs one library's WebSocket echo server for the
// side-by-side benchmarks.
//
//	echoserver -lib gorilla -addr 127.0.0.1:0 -stats /tmp/gorilla.stats
//
// It prints one line, "echoserver lib=LIB pid=PID addr=HOST:PORT", once it
// listens, then serves until SIGINT or SIGTERM. With -stats FILE it appends
// a runtime snapshot (allocations, heap, stacks, goroutines, sessions,
// messages) to FILE on each SIGUSR1, after a full GC on each SIGUSR2; see
// package internal/stats. With -cpuprofile FILE it profiles the whole run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/surgews/surge/bench/internal/servers"
	"github.com/surgews/surge/bench/internal/stats"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	lib := fs.String("lib", "surge-inline", "library: "+strings.Join(servers.Names(), ", "))
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	statsFile := fs.String("stats", "", "write runtime snapshots to this file on SIGUSR1 (SIGUSR2: after a GC)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "record every allocation and write the heap profile to this file at exit (slows the server)")
	if err := fs.Parse(args); err != nil {
		return err
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
	// Signals are hooked before the address is printed: a driver may send
	// SIGUSR1 as soon as it reads the line, and the default action would
	// kill the process.
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGINT, syscall.SIGTERM)
	var c stats.Counters
	if *statsFile != "" {
		rec, err := stats.NewRecorder(*statsFile, &c)
		if err != nil {
			return err
		}
		defer rec.Close()
		defer rec.Listen()()
		if err := rec.Take(false); err != nil { // the baseline
			return err
		}
	}
	srv, err := servers.Start(*lib, *addr, &c)
	if err != nil {
		return err
	}
	fmt.Println(servers.ReadyLine(*lib, os.Getpid(), srv.Addr().String()))
	<-quit
	return srv.Close()
}
