// Command attack runs surge's attack suite (issue 16; the tests in
// reliability/) against echo servers in other processes and prints one
// Markdown table per attack, one row or column per server, for
// docs/reliability.md.
//
//	attack -echoserver ./echoserver -libs gorilla,surge-inline,surge-pool
//	attack -addr 127.0.0.1:9000 -pid 1234 -attacks nonreaders,closeorder
//
// With -echoserver it starts a fresh bench/cmd/echoserver for each attack
// and library (under taskset -c CPU with -cpu, and under prlimit for the
// open-files attack), so that one attack's leftovers do not show in the
// next. With -addr it attacks a server that is already running; -pid adds
// the figures read from /proc. bench/attack.sh builds both and runs it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/surgews/surge/bench/internal/attack"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	echoserver := fs.String("echoserver", "", "path of bench/cmd/echoserver, started afresh for each attack and library")
	libs := fs.String("libs", "gorilla,surge-inline,surge-pool,surge-goroutine", "echoserver libraries to attack, comma-separated")
	cpu := fs.String("cpu", "", "run each server under taskset -c CPU")
	addr := fs.String("addr", "", "attack a running server at HOST:PORT instead of starting one")
	pid := fs.Int("pid", 0, "with -addr: the server's process, for the /proc figures")
	attacks := fs.String("attacks", strings.Join(attack.AttackNames(), ","), "attacks to run, comma-separated")
	slowHold := fs.Duration("slow-hold", 25*time.Second, "how long slow readers are held at most")
	slowPeers := fs.Int("slow-peers", 20, "how many slow readers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := &attack.Suite{Attacks: strings.Split(*attacks, ","), SlowHold: *slowHold, SlowPeers: *slowPeers}
	switch {
	case *addr != "":
		s.Libs = []string{*addr}
		s.Start = func(_ string, nofile int) (*attack.Server, error) {
			if nofile > 0 {
				return nil, fmt.Errorf("the open-files attack needs a server it starts itself (-echoserver)")
			}
			return &attack.Server{Target: attack.Target{Addr: *addr, PID: *pid}}, nil
		}
	case *echoserver != "":
		s.Libs = strings.Split(*libs, ",")
		s.Start = func(lib string, nofile int) (*attack.Server, error) {
			var argv []string
			if *cpu != "" {
				argv = append(argv, "taskset", "-c", *cpu)
			}
			if nofile > 0 {
				argv = append(argv, "prlimit", fmt.Sprintf("--nofile=%d:%d", nofile, nofile), "--")
			}
			argv = append(argv, *echoserver, "-lib", lib, "-addr", "127.0.0.1:0")
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Stderr = os.Stderr
			return attack.Spawn(cmd)
		}
	default:
		return fmt.Errorf("give -echoserver PATH or -addr HOST:PORT")
	}
	return s.Run(w)
}
