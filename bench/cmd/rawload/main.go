//go:build linux

// Command rawload is a WebSocket echo load generator that shares no code
// with surge: the handshake is written by hand over net.Conn, and the
// message loop is raw epoll on the connections' file descriptors, masked
// frames written with sendto(2), every echo checked byte for byte against
// what was sent (fragmented echoes are joined). It is the second generator
// next to wsbench (which is built on surge), so that a lead counts only
// where both agree (issue "Performance: lead in every shape of load");
// bench/cmd/run runs it beside wsbench in every scenario.
//
//	rawload -url ws://127.0.0.1:8080/ -conns 1000 -size 64 -depth 1 -duration 5s -server-pid PID
//	rawload -url ws://127.0.0.1:8080/ -conns 10000 -size 1024 -rate 5 -duration 5s -server-pid PID
//
// Closed loop (the default): each connection keeps -depth messages in
// flight and sends the next one when an echo arrives; latency runs from the
// send.
//
// Open loop (-rate R): every connection sends R messages per second on a
// fixed schedule, whatever the server does, as wsbench --rate does:
// connection i of N sends its k-th message (k + i/N)/R seconds after the
// start, so the sends of all connections are spread evenly. Latency runs
// from the time a message was due, not from when it left, so a server (or a
// generator) that falls behind is charged for the queueing it causes (no
// coordinated omission); send_late is how late rawload itself sent, its own
// share of that latency. While sends are due within a millisecond the loop
// polls without blocking, so its core reads busy. A connection keeps at most
// -max-inflight messages unanswered; the rest wait, and count late.
//
// The result is one JSON line: messages per second over the measured window
// (echoes received in it), latency percentiles (µs), and with -server-pid
// the server's CPU over the window (utime+stime of /proc/PID/stat) and
// messages per server core-second. When that process is pinned to one CPU,
// the result also has that CPU's busy time over the window (its /proc/stat
// line: user, nice, system, irq and softirq) and messages per busy
// core-second, and the same counted as the time the CPU was not idle,
// in iowait or stolen (server_core_not_idle): with idle ticks off the
// kernel counts idle time exactly, where the busy columns are sampled at
// each tick. Both count what the per-process figure leaves out: softirq
// work the kernel defers to ksoftirqd on the server's CPU (on loopback
// mostly the generator's TCP input, raised by the server's sends) and
// anything else that ran there. It also reads the host's TCP counters
// (/proc/net/snmp, /proc/net/netstat) at both ends of the window and
// reports segments, data segments and delayed ACKs sent per echo.
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rawload:", err)
		os.Exit(1)
	}
}

type options struct {
	url         string
	conns       int
	size        int
	depth       int
	rate        float64 // messages per second per connection; 0: closed loop
	maxInFlight int     // open loop: unanswered messages per connection before it waits
	warmup      time.Duration
	duration    time.Duration
	serverPID   int
	// turn, when set, runs at every turn of the event loop (tests stall
	// the generator with it).
	turn func()
}

// result is the JSON line rawload prints.
type result struct {
	Conns   int     `json:"conns"`
	Size    int     `json:"size"`
	Depth   int     `json:"depth"`
	Rate    float64 `json:"rate,omitempty"` // per connection; 0 in closed loop
	Seconds float64 `json:"seconds"`
	// Messages are the echoes received in the measured window.
	Messages int64 `json:"messages"`
	// Sent are the messages sent in the measured window.
	Sent int64 `json:"sent"`
	// Verified and Errors count every echo of the run, warmup included.
	Verified    int64   `json:"verified"`
	Errors      int64   `json:"errors"`
	MsgsPerSec  float64 `json:"msgs_per_s"`
	SentPerSec  float64 `json:"sent_per_s"`
	OfferedPerS float64 `json:"offered_per_s,omitempty"` // open loop: conns × rate
	ServerCPU   float64 `json:"server_cpu_cores,omitempty"`
	PerCoreSec  float64 `json:"msgs_per_server_core_s,omitempty"`
	// ServerCoreID is the one CPU the server is pinned to; CoreBusy is
	// that CPU's busy fraction over the window and PerCoreBusySec
	// MsgsPerSec / CoreBusy. All three are missing when it is not pinned
	// to exactly one CPU.
	ServerCoreID   *int    `json:"server_core_id,omitempty"`
	CoreBusy       float64 `json:"server_core_busy,omitempty"`
	PerCoreBusySec float64 `json:"msgs_per_server_core_busy_s,omitempty"`
	// CoreNotIdle is the same CPU's share of the window that was not
	// idle, iowait or steal, over the wall time between the two reads of
	// /proc/stat, and PerCoreNotIdleSec MsgsPerSec / CoreNotIdle. With
	// idle ticks off (NO_HZ), the kernel counts idle and iowait exactly
	// from its idle entries and exits, where the busy columns are sampled
	// at each tick, so this figure is the more precise of the two.
	CoreNotIdle       float64 `json:"server_core_not_idle,omitempty"`
	PerCoreNotIdleSec float64 `json:"msgs_per_server_core_not_idle_s,omitempty"`
	// TCPSegsPerEcho, TCPDataSegsPerEcho and TCPDelayedACKsPerEcho are
	// the host's TCP segments sent over the window per echo received: all
	// of them, those with new data, and the pure ACKs that delayed-ACK
	// timers sent (tcpCounts). They count the whole host, both ends on
	// loopback, so an echo with nothing in between is two segments, both
	// data. Missing when the counters cannot be read.
	TCPSegsPerEcho        float64 `json:"tcp_segs_per_echo,omitempty"`
	TCPDataSegsPerEcho    float64 `json:"tcp_data_segs_per_echo,omitempty"`
	TCPDelayedACKsPerEcho float64 `json:"tcp_delayed_acks_per_echo,omitempty"`
	P50us                 float64 `json:"p50_us"`
	P90us                 float64 `json:"p90_us"`
	P99us                 float64 `json:"p99_us"`
	P999us                float64 `json:"p999_us"`
	SendLateP50           float64 `json:"send_late_p50_us,omitempty"`
	SendLateP99           float64 `json:"send_late_p99_us,omitempty"`
	Outstanding           int64   `json:"outstanding"` // sent, not yet echoed, at the end
	FirstFailure          string  `json:"first_failure,omitempty"`
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("rawload", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "", "ws:// URL of an echo server")
	fs.IntVar(&o.conns, "conns", 100, "connections")
	fs.IntVar(&o.size, "size", 64, "payload bytes (at least 16)")
	fs.IntVar(&o.depth, "depth", 1, "closed loop: messages in flight per connection")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: messages per second per connection (0: closed loop)")
	fs.IntVar(&o.maxInFlight, "max-inflight", defaultMaxInFlight, "open loop: unanswered messages per connection before its sends wait")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "traffic before measuring")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured window")
	fs.IntVar(&o.serverPID, "server-pid", 0, "measure this process's CPU over the window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := load(&o)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// conn is one connection's state in the epoll loop.
type conn struct {
	id      uint64
	fd      int
	seq     uint64  // next message to send
	next    uint64  // oldest message whose echo is awaited
	due     uint64  // open loop: messages due so far
	sentAt  []int64 // closed loop: send time of each message in flight, by seq % depth
	in      []byte  // received bytes of an incomplete frame
	msg     []byte  // fragments of a message joined so far
	frag    bool    // a fragmented message is open
	pending []byte  // bytes of frames the socket has not taken yet
	pollOut bool    // EPOLLOUT is armed
	dirty   bool    // open loop: has unflushed sends
	rng     uint64  // xorshift state for masking keys
}

// loader is one run: the connections, the clock and the tallies.
type loader struct {
	o       *options
	ep      int
	conns   []*conn
	byFD    []*conn
	pay     *payloads
	start   time.Time
	warm    int64   // ns from start: measuring begins
	end     int64   // ns from start: the run ends
	step    float64 // open loop: ns between consecutive sends of all connections
	k       uint64  // open loop: next send in due order (message k/N of connection k%N)
	measure bool
	res     *result
	lat     []int64
	late    []int64
	dirty   []*conn
	cpu0    float64
	core    int       // the server's one CPU, or -1
	times0  cpuTimes  // its /proc/stat line at the window's start
	at0     time.Time // when times0 was read
	tcp0    tcpCounts // the host's TCP counters at the window's start
}

// defaultMaxInFlight bounds the open loop's backlog per connection, and so
// rawload's memory when a server stops reading (what the socket does not
// take waits in user space): at 5 messages per second it is 12.8 s of a
// stalled server, longer than a measured window.
const defaultMaxInFlight = 64

// maxSamples bounds the latency samples kept (8 MiB each for latency and
// lateness); beyond it the percentiles describe the first samples.
const maxSamples = 1 << 20

func load(o *options) (*result, error) {
	if o.url == "" || o.size < 16 || o.depth < 1 && o.rate == 0 || o.conns < 1 || o.rate < 0 || o.maxInFlight < 0 {
		return nil, errors.New("need -url, -size >= 16, -depth >= 1 (closed loop), -conns >= 1, -rate >= 0, -max-inflight >= 0")
	}
	if o.maxInFlight == 0 {
		o.maxInFlight = defaultMaxInFlight
	}
	u, err := url.Parse(o.url)
	if err != nil || u.Scheme != "ws" {
		return nil, fmt.Errorf("bad -url %q: ws:// only", o.url)
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(ep)
	fds, err := dialAll(u, o.conns)
	defer func() {
		for _, fd := range fds {
			if fd > 0 {
				unix.Close(fd)
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	l := &loader{o: o, ep: ep, pay: newPayloads(o.size), res: &result{Conns: o.conns, Size: o.size, Depth: o.depth, Rate: o.rate},
		core: -1, lat: make([]int64, 0, 64<<10)}
	if o.rate > 0 {
		l.step = float64(time.Second) / (o.rate * float64(o.conns))
		l.res.OfferedPerS = o.rate * float64(o.conns)
		l.res.Depth = 0
		l.late = make([]int64, 0, 64<<10)
	}
	for i, fd := range fds {
		c := &conn{id: uint64(i), fd: fd, rng: uint64(i)*0x9E3779B97F4A7C15 + 1}
		if o.rate == 0 {
			c.sentAt = make([]int64, o.depth)
		}
		l.conns = append(l.conns, c)
		if fd >= len(l.byFD) {
			l.byFD = slices.Grow(l.byFD, fd+1-len(l.byFD))[:fd+1]
		}
		l.byFD[fd] = c
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return nil, err
		}
	}
	return l.run()
}

// now is the run's monotonic clock, in ns from its start.
func (l *loader) now() int64 { return int64(time.Since(l.start)) }

// dueAt is when message seq of connection c is due (open loop).
func (l *loader) dueAt(c *conn, seq uint64) int64 {
	return int64(float64(seq*uint64(len(l.conns))+c.id) * l.step)
}

func (l *loader) run() (*result, error) {
	o := l.o
	l.start = time.Now()
	l.warm = int64(o.warmup)
	l.end = l.warm + int64(o.duration)
	if o.rate == 0 {
		for _, c := range l.conns {
			for range o.depth {
				l.send(c, l.now())
			}
			if err := l.flush(c); err != nil {
				return nil, err
			}
		}
	}
	events := make([]unix.EpollEvent, 256)
	buf := make([]byte, 256<<10)
	for {
		if o.turn != nil {
			o.turn()
		}
		now := l.now()
		if !l.measure && now >= l.warm {
			l.measure = true
			l.tcp0 = readTCPCounts()
			if o.serverPID != 0 {
				l.cpu0 = procCPU(o.serverPID)
				l.core = pinnedCore(o.serverPID)
				if l.core >= 0 {
					l.times0, l.at0 = coreTimes(l.core)
				}
			}
		}
		if now >= l.end {
			break
		}
		wait := 10 // ms
		if o.rate > 0 {
			if err := l.schedule(now); err != nil {
				return nil, err
			}
			// Poll without blocking while a send is due within a
			// millisecond: epoll_wait's timeout is in whole milliseconds.
			if d := (l.dueK(l.k) - l.now()) / int64(time.Millisecond); d < int64(wait) {
				wait = int(max(d, 0))
			}
		}
		n, err := waitReady(l.ep, events, wait)
		if err != nil && err != unix.EINTR {
			return nil, err
		}
		for _, ev := range events[:max(n, 0)] {
			c := l.byFD[ev.Fd]
			if ev.Events&unix.EPOLLOUT != 0 {
				if err := l.flush(c); err != nil {
					return nil, err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
				continue
			}
			r, err := recv(c.fd, buf)
			if err == unix.EAGAIN {
				continue
			}
			if err != nil || r == 0 {
				return nil, fmt.Errorf("connection %d: read: %v (closed by the server?)", c.id, err)
			}
			if err := l.receive(c, buf[:r], l.now()); err != nil {
				return nil, err
			}
			if err := l.flush(c); err != nil {
				return nil, err
			}
		}
	}
	return l.finish(), nil
}

// dueK is when send k of the schedule is due: message k/N of connection k%N.
func (l *loader) dueK(k uint64) int64 { return int64(float64(k) * l.step) }

// schedule makes every send due by now (and before the end) due on its
// connection, sends what each may, and flushes them.
func (l *loader) schedule(now int64) error {
	n := uint64(len(l.conns))
	for {
		d := l.dueK(l.k)
		if d > now || d >= l.end {
			break
		}
		c := l.conns[l.k%n]
		c.due++
		l.k++
		l.sendDue(c, now)
	}
	for _, c := range l.dirty {
		c.dirty = false
		if err := l.flush(c); err != nil {
			return err
		}
	}
	l.dirty = l.dirty[:0]
	return nil
}

// sendDue sends the messages due on c that its in-flight bound allows, each
// stamped with when it was due.
func (l *loader) sendDue(c *conn, now int64) {
	for c.seq < c.due && c.seq-c.next < uint64(l.o.maxInFlight) {
		if l.measure && len(l.late) < maxSamples {
			l.late = append(l.late, now-l.dueAt(c, c.seq))
		}
		l.send(c, now)
		if !c.dirty {
			c.dirty = true
			l.dirty = append(l.dirty, c)
		}
	}
}

// receive parses the frames of data (bytes read from c at time t), checks
// every complete echo and sends what the loop calls for.
func (l *loader) receive(c *conn, data []byte, t int64) error {
	inBuf := len(c.in) > 0
	if inBuf {
		c.in = append(c.in, data...)
		data = c.in
	}
	off := 0
	for {
		payload, fin, used, err := parseFrame(data[off:], c.frag)
		if err != nil {
			return fmt.Errorf("connection %d: %w", c.id, err)
		}
		if used == 0 {
			// An echo is no longer than what was sent: a longer frame
			// would only grow the buffer.
			if len(data)-off > len(l.pay.base)+14 {
				return fmt.Errorf("connection %d: a frame longer than the %d-byte messages sent", c.id, len(l.pay.base))
			}
			break
		}
		off += used
		if !fin || c.frag {
			// A fragmented echo (RFC 6455 §5.4): join it.
			if len(c.msg)+len(payload) > len(l.pay.base) {
				return fmt.Errorf("connection %d: a fragmented echo longer than the %d-byte messages sent", c.id, len(l.pay.base))
			}
			c.msg = append(c.msg, payload...)
			c.frag = !fin
			if !fin {
				continue
			}
			payload = c.msg
		}
		l.echoed(c, payload, t)
		c.msg = c.msg[:0]
	}
	// Keep an incomplete frame for the next read (the read buffer is
	// shared); an idle connection keeps only the capacity it had.
	switch rest := data[off:]; {
	case len(rest) == 0:
		c.in = c.in[:0]
	case inBuf:
		c.in = c.in[:copy(c.in, rest)]
	default:
		c.in = append(c.in[:0], rest...)
	}
	return nil
}

// echoed checks the echo of c's oldest message in flight, received at t.
func (l *loader) echoed(c *conn, payload []byte, t int64) {
	res := l.res
	if l.pay.check(payload, c.id, c.next) {
		res.Verified++
	} else {
		res.Errors++
		if res.FirstFailure == "" {
			res.FirstFailure = fmt.Sprintf("connection %d message %d: echo differs (%d bytes)", c.id, c.next, len(payload))
		}
	}
	if l.measure {
		res.Messages++
		if len(l.lat) < maxSamples {
			var from int64
			if l.o.rate > 0 {
				from = l.dueAt(c, c.next)
			} else {
				from = c.sentAt[c.next%uint64(len(c.sentAt))]
			}
			l.lat = append(l.lat, t-from)
		}
	}
	c.next++
	if l.o.rate > 0 {
		l.sendDue(c, t) // it may have been held by -max-inflight
	} else {
		l.send(c, t)
	}
}

func (l *loader) finish() *result {
	res := l.res
	res.Seconds = l.o.duration.Seconds()
	res.MsgsPerSec = float64(res.Messages) / res.Seconds
	res.SentPerSec = float64(res.Sent) / res.Seconds
	if l.o.serverPID != 0 {
		res.ServerCPU = (procCPU(l.o.serverPID) - l.cpu0) / res.Seconds
		if res.ServerCPU > 0 {
			res.PerCoreSec = res.MsgsPerSec / res.ServerCPU
		}
		if l.core >= 0 && l.times0.ok() {
			t, at := coreTimes(l.core)
			if busy, notIdle := coreShares(l.times0, t, res.Seconds, at.Sub(l.at0).Seconds()); busy > 0 {
				core := l.core
				res.ServerCoreID = &core
				res.CoreBusy = busy
				res.PerCoreBusySec = res.MsgsPerSec / busy
				if notIdle > 0 {
					res.CoreNotIdle = notIdle
					res.PerCoreNotIdleSec = res.MsgsPerSec / notIdle
				}
			}
		}
	}
	res.TCPSegsPerEcho, res.TCPDataSegsPerEcho, res.TCPDelayedACKsPerEcho = perEcho(l.tcp0, readTCPCounts(), res.Messages)
	for _, c := range l.conns {
		res.Outstanding += int64(c.seq - c.next)
	}
	res.P50us, res.P90us, res.P99us, res.P999us = percentile(l.lat, 0.50), percentile(l.lat, 0.90), percentile(l.lat, 0.99), percentile(l.lat, 0.999)
	if l.o.rate > 0 {
		res.SendLateP50, res.SendLateP99 = percentile(l.late, 0.50), percentile(l.late, 0.99)
	}
	return res
}

// percentile returns the p-quantile of ns samples in µs, sorting them.
func percentile(ns []int64, p float64) float64 {
	if len(ns) == 0 {
		return 0
	}
	slices.Sort(ns)
	return float64(ns[min(len(ns)-1, int(p*float64(len(ns))))]) / 1e3
}

// send appends a masked binary frame carrying c's next message, sent at
// now, to its pending bytes.
func (l *loader) send(c *conn, now int64) {
	size := len(l.pay.base)
	f := c.pending
	f = append(f, 0x82) // FIN, binary
	switch {
	case size < 126:
		f = append(f, 0x80|byte(size))
	case size < 1<<16:
		f = append(f, 0x80|126, byte(size>>8), byte(size))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(size))
	}
	c.rng ^= c.rng << 13
	c.rng ^= c.rng >> 7
	c.rng ^= c.rng << 17
	key := uint32(c.rng)
	f = binary.LittleEndian.AppendUint32(f, key)
	h := len(f)
	f = slices.Grow(f, size)[:h+size]
	l.pay.fill(f[h:], c.id, c.seq, key)
	if c.sentAt != nil {
		c.sentAt[c.seq%uint64(len(c.sentAt))] = now
	}
	c.seq++
	c.pending = f
	if l.measure {
		l.res.Sent++
	}
}

// flush writes what is pending with one sendto(2), and watches for
// writability only while something is left (changing the epoll interest on
// every message would double the generator's system calls).
func (l *loader) flush(c *conn) error {
	if len(c.pending) == 0 {
		return nil
	}
	n, err := send(c.fd, c.pending)
	if err != nil && err != unix.EAGAIN {
		return fmt.Errorf("connection %d: write: %w", c.id, err)
	}
	c.pending = c.pending[:copy(c.pending, c.pending[max(n, 0):])]
	if want := len(c.pending) > 0; want != c.pollOut {
		c.pollOut = want
		ev := uint32(unix.EPOLLIN)
		if want {
			ev |= unix.EPOLLOUT
		}
		return unix.EpollCtl(l.ep, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.fd)})
	}
	return nil
}

// dialAll opens n connections to u, a few handshakes at a time, and returns
// their file descriptors in order (0 where none was opened when err is set).
func dialAll(u *url.URL, n int) ([]int, error) {
	fds := make([]int, n)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  int
	)
	for range min(n, 32) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				fd, err := dial(u)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("connection %d: %w", i, err)
				}
				if err == nil {
					fds[i] = fd
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return fds, first
}

// parseFrame returns the payload of the first complete frame of b, whether
// it ends its message, and the bytes it spans; used is 0 when b holds no
// complete frame. An echo server sends unmasked binary messages, whole or
// in fragments (a binary frame, then continuations: cont says a fragmented
// message is open).
func parseFrame(b []byte, cont bool) (payload []byte, fin bool, used int, err error) {
	if len(b) < 2 {
		return nil, false, 0, nil
	}
	fin = b[0]&0x80 != 0
	op := b[0] & 0x0f
	if b[0]&0x70 != 0 || (cont && op != 0) || (!cont && op != 2) {
		return nil, false, 0, fmt.Errorf("unexpected frame 0x%02x (want binary data)", b[0])
	}
	if b[1]&0x80 != 0 {
		return nil, false, 0, errors.New("masked frame from the server")
	}
	n, h := uint64(b[1]&0x7f), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return nil, false, 0, nil
		}
		n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return nil, false, 0, nil
		}
		n, h = binary.BigEndian.Uint64(b[2:]), 10
	}
	if uint64(len(b)-h) < n {
		return nil, false, 0, nil
	}
	return b[h : h+int(n)], fin, h + int(n), nil
}

// dial connects to u, performs the opening handshake (RFC 6455 §4.1) over
// net.Conn, and returns a non-blocking duplicate of the socket's fd.
func dial(u *url.URL) (int, error) {
	nc, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return -1, err
	}
	defer nc.Close()
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	path := u.RequestURI()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(req)); err != nil {
		return -1, err
	}
	br := bufio.NewReader(nc)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return -1, err
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return -1, fmt.Errorf("handshake answered %s", res.Status)
	}
	if br.Buffered() > 0 {
		return -1, errors.New("the server sent data before any message")
	}
	f, err := nc.(*net.TCPConn).File()
	if err != nil {
		return -1, err
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	return fd, nil
}

// pinnedCore returns the one CPU process pid may run on, or -1 when its
// affinity allows more (or cannot be read).
func pinnedCore(pid int) int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(pid, &set) != nil || set.Count() != 1 {
		return -1
	}
	for i := range len(set) * 64 {
		if set.IsSet(i) {
			return i
		}
	}
	return -1
}

// userHZ is the unit of /proc/stat's times (USER_HZ), 100 on Linux.
const userHZ = 100

// cpuTimes are one CPU's times from its /proc/stat line, in USER_HZ ticks:
// busy sums user, nice, system, irq and softirq; away sums idle, iowait
// and steal. Guest time is already in user. Both are -1 when the line is
// missing or short.
type cpuTimes struct{ busy, away int64 }

func (t cpuTimes) ok() bool { return t.busy >= 0 && t.away >= 0 }

// coreShares returns a CPU's busy fraction (its busy ticks from a to b
// over the window, in seconds) and its not-idle fraction (1 − its away
// time over the wall seconds between the reads of a and b). Either is 0
// when it cannot be had.
func coreShares(a, b cpuTimes, window, wall float64) (busy, notIdle float64) {
	if !a.ok() || !b.ok() || b.busy <= a.busy || window <= 0 {
		return 0, 0
	}
	busy = float64(b.busy-a.busy) / userHZ / window
	if away := float64(b.away-a.away) / userHZ; wall > 0 && away >= 0 && away < wall {
		notIdle = 1 - away/wall
	}
	return busy, notIdle
}

// coreTimes reads CPU n's times and the time of the read.
func coreTimes(n int) (cpuTimes, time.Time) {
	b, err := os.ReadFile("/proc/stat")
	at := time.Now()
	if err != nil {
		return cpuTimes{-1, -1}, at
	}
	return statTimes(b, n), at
}

// statTimes returns CPU n's times in a /proc/stat text.
func statTimes(stat []byte, n int) cpuTimes {
	prefix := "cpu" + strconv.Itoa(n) + " "
	for line := range strings.Lines(string(stat)) {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 8 {
			return cpuTimes{-1, -1}
		}
		sum := func(cols ...int) int64 {
			var s int64
			for _, i := range cols {
				v, err := strconv.ParseInt(f[i], 10, 64)
				if err != nil {
					return -1
				}
				s += v
			}
			return s
		}
		busy, away := sum(0, 1, 2, 5, 6), sum(3, 4, 7) // user nice system irq softirq; idle iowait steal
		if busy < 0 || away < 0 {
			return cpuTimes{-1, -1}
		}
		return cpuTimes{busy, away}
	}
	return cpuTimes{-1, -1}
}

// procCPU returns a process's user+system CPU seconds (/proc/PID/stat).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / userHZ
}
