//go:build unix

package stats

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Listen takes a snapshot on each SIGUSR1, and a snapshot after a full GC
// on each SIGUSR2, until the returned stop is called. The handlers are in
// place when Listen returns, so a signal sent after it cannot take the
// default action (which ends the process). An error writing the file is
// reported to stderr once and ends the snapshots: the run's figures would
// be wrong.
func (r *Recorder) Listen() (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case sig := <-ch:
				if err := r.Take(sig == syscall.SIGUSR2); err != nil {
					fmt.Fprintln(os.Stderr, "stats:", err)
					return
				}
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
		<-done
	}
}

// Request asks process pid (which serves a Recorder writing to path) for a
// snapshot, after a full GC if gc is set, and returns it once it is in the
// file, or ErrTimeout after timeout.
func Request(pid int, path string, gc bool, timeout time.Duration) (Snapshot, error) {
	last := int64(0)
	if ss, err := ReadFile(path); err == nil && len(ss) > 0 {
		last = ss[len(ss)-1].Seq
	}
	sig := syscall.SIGUSR1
	if gc {
		sig = syscall.SIGUSR2
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return Snapshot{}, fmt.Errorf("stats: signal %d: %w", pid, err)
	}
	return Wait(path, last, timeout)
}
