package main

import "time"

// sleeper paces an open-loop sender: sleep waits d and reports false once
// the run's stop channel is closed.
type sleeper interface {
	sleep(d time.Duration) bool
	close()
}

// timerPacer is the portable sleeper, on a time.Timer.
type timerPacer struct {
	tm   *time.Timer
	stop <-chan struct{}
}

func newTimerPacer(stop <-chan struct{}) *timerPacer {
	tm := time.NewTimer(time.Hour)
	tm.Stop()
	return &timerPacer{tm: tm, stop: stop}
}

func (p *timerPacer) sleep(d time.Duration) bool {
	p.tm.Reset(d)
	select {
	case <-p.tm.C:
		return true
	case <-p.stop:
		p.tm.Stop()
		return false
	}
}

func (p *timerPacer) close() { p.tm.Stop() }
