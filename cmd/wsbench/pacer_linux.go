//go:build linux

package main

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// pacer sleeps an open-loop sender until its next message is due, on a
// timerfd that the runtime's poller watches, as well as on a Go timer.
//
// Why not a Go timer alone: an idle Go process sleeps in the runtime's
// epoll_wait, whose timeout is in whole milliseconds, so a timer due in
// 200 µs fires a millisecond later unless network readiness wakes the
// process first. A sender then sends late and the latency it reports is its
// own. A timerfd is a file the runtime polls, so its expiry ends that sleep
// on time. The Go timer (the file's read deadline) covers a busy process,
// which checks timers at every scheduling but polls the network only when
// idle. Sleeps shorter than the client loops' busy-poll window need no
// timerfd, whose system calls cost more than the timer: the loops keep the
// process polling and scheduling. Nor do sleeps under minTimerfdSleep.
type pacer struct {
	f       *os.File
	fd      int
	buf     [8]byte
	precise time.Duration // sleeps at least this long arm the timerfd
	stop    <-chan struct{}
}

// newPacer returns a timerfd pacer, or the portable one when the kernel or
// the runtime cannot watch a timerfd. busyPoll is the client loops'
// busy-poll window. stop ends any sleep at once.
func newPacer(stop <-chan struct{}, busyPoll time.Duration) sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimerPacer(stop)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	if f.SetReadDeadline(time.Time{}) != nil { // not in the runtime's poller
		f.Close()
		return newTimerPacer(stop)
	}
	go func() {
		<-stop
		_ = f.SetReadDeadline(time.Unix(1, 0))
	}()
	return &pacer{f: f, fd: fd, precise: max(busyPoll, minTimerfdSleep), stop: stop}
}

// minTimerfdSleep is the shortest sleep that arms the timerfd. Shorter ones
// come at high message rates, where a timerfd would cost system calls per
// message and the process is busy enough for the Go timer to be on time:
// unpinned at 50,000 messages/s, arming it for every sleep raised the median
// latency from 0.1 to 0.8 ms.
const minTimerfdSleep = 200 * time.Microsecond

func (p *pacer) sleep(d time.Duration) bool {
	d = max(d, 1)
	if d >= p.precise {
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
		if unix.TimerfdSettime(p.fd, 0, &spec, nil) != nil {
			return false
		}
	}
	_ = p.f.SetReadDeadline(time.Now().Add(d))
	// The stop watcher may have set its past deadline before ours.
	select {
	case <-p.stop:
		return false
	default:
	}
	_, err := p.f.Read(p.buf[:])
	select {
	case <-p.stop: // the watcher's deadline, or a stop while we slept
		return false
	default:
	}
	return err == nil || errors.Is(err, os.ErrDeadlineExceeded)
}

func (p *pacer) close() { p.f.Close() }
