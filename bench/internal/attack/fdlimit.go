package attack

import (
	"fmt"
	"net"
	"time"
)

// FDLimitResult is what FDLimit measured.
type FDLimitResult struct {
	Flood     int           // connections opened
	Opened    int           // of them, how many the kernel let connect
	Held      int           // of them, how many the server had not closed when the window ended
	FDs       int           // the server's descriptors while the flood held
	CPU       time.Duration // server CPU time used over Window
	Window    time.Duration
	Recovered time.Duration // from the flood's end to the canary's first echo; 0: not within ioWait
	Canary    Latency       // round trips once it recovered
}

// CPUShare is the server's CPU use over the window, in cores.
func (r FDLimitResult) CPUShare() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.CPU) / float64(r.Window)
}

// FDLimit opens flood silent TCP connections, more than the server's
// open-files limit allows it to accept (run it under
// prlimit --nofile=256), waits for the server's descriptor count to stop
// growing, measures its CPU time over window while the flood holds (issue
// 16 item 2: a level-triggered listener spins on EMFILE), then closes the
// flood and waits for a canary to be served again. It needs the target's
// PID.
func FDLimit(t Target, flood int, window time.Duration) (FDLimitResult, error) {
	r := FDLimitResult{Flood: flood, Window: window}
	if t.PID <= 0 {
		return r, fmt.Errorf("%w: the fd-limit attack measures the server's CPU time", ErrNoProc)
	}
	var ncs []net.Conn
	defer func() {
		for _, nc := range ncs {
			_ = nc.Close()
		}
	}()
	d := net.Dialer{Timeout: time.Second}
	for range flood {
		nc, err := d.Dial("tcp", t.Addr)
		if err != nil {
			continue // the accept queue is full: the flood holds anyway
		}
		ncs = append(ncs, nc)
	}
	r.Opened = len(ncs)
	// The server has taken what it can when its count stops growing for
	// 200 ms (bounded: it may also be closing some).
	deadline := time.Now().Add(ioWait)
	last := t.probe().FDs
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		s := t.probe()
		if s.FDs == last {
			break
		}
		last = s.FDs
	}
	r.FDs = last
	before := t.probe()
	time.Sleep(window)
	after := t.probe()
	r.CPU = after.CPU - before.CPU
	for _, nc := range ncs {
		if stillOpen(nc) {
			r.Held++
		}
	}
	for _, nc := range ncs {
		_ = nc.Close()
	}
	ncs = nil
	end := time.Now()
	for time.Since(end) < ioWait {
		k, err := dialCanary(t.Addr)
		if err == nil {
			first := k.rounds(1)
			took := time.Since(end)
			l := k.rounds(5)
			k.close()
			if first.OK() && l.OK() {
				r.Recovered, r.Canary = took, l
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r, nil
}

// stillOpen reports whether the server has neither closed nor reset nc: a
// read of a silent connection times out, or finds what the server said.
func stillOpen(nc net.Conn) bool {
	_ = nc.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	n, err := nc.Read(b[:])
	return n > 0 || endOf(err) == "open"
}
