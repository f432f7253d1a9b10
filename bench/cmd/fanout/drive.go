package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/bench/internal/stats"
)

type options struct {
	libs      []string
	sizes     []int
	subs      int
	window    int
	duration  time.Duration
	warmup    time.Duration
	serverCPU string
	nats      string // nats-server binary: two surge nodes joined by it
}

// headerBytes is what each payload starts with: its sequence number and the
// publisher's clock when it sent it.
const headerBytes = 16

// ring is the number of in-flight message slots.
const ring = 1 << 16

// pin binds the driver to one CPU and gives it one P.
func pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pin to CPU %d: %w", cpu, err)
	}
	runtime.GOMAXPROCS(1)
	return nil
}

// result is one run.
type result struct {
	lib        string
	size       int
	deliveries float64 // per second
	cpu        float64 // server cores
	perCore    float64
	allocs     float64 // server allocations per publish
	p50, p99   time.Duration
	err        error
}

func drive(o options) error {
	dir, err := os.MkdirTemp("", "fanout")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("fanout: %d subscribers, window %d, %v measured after %v warm-up; server on CPU %s (GOMAXPROCS=1), driver on its own CPU\n",
		o.subs, o.window, o.duration, o.warmup, o.serverCPU)
	var all []result
	for _, size := range o.sizes {
		for _, lib := range o.libs {
			r := runOne(o, lib, size, filepath.Join(dir, fmt.Sprintf("%s-%d.stats", lib, size)))
			all = append(all, r)
			if r.err != nil {
				fmt.Printf("%s %d B: %v\n", lib, size, r.err)
				continue
			}
			fmt.Printf("%-8s %5d B  %10.0f deliveries/s  server CPU %.2f  %10.0f deliveries/core-s  %.3f allocs/publish  p50 %v  p99 %v\n",
				lib, size, r.deliveries, r.cpu, r.perCore, r.allocs, r.p50, r.p99)
		}
	}
	printTable(o, all)
	return nil
}

func printTable(o options, all []result) {
	fmt.Println()
	for _, size := range o.sizes {
		best := 0.0
		for _, r := range all {
			if r.size == size && r.lib != "surge" && r.err == nil {
				best = max(best, r.perCore)
			}
		}
		fmt.Printf("### %d subscribers × %d B\n\n", o.subs, size)
		fmt.Println("| library | deliveries/s | server CPU | deliveries/core-s | × best peer | allocs/publish | p50 | p99 |")
		fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|")
		for _, r := range all {
			if r.size != size {
				continue
			}
			if r.err != nil {
				fmt.Printf("| %s | error: %v | | | | | | |\n", r.lib, r.err)
				continue
			}
			x := "—"
			if best > 0 {
				x = fmt.Sprintf("%.2f×", r.perCore/best)
			}
			name := r.lib
			if name == "surge" {
				name = "**surge**"
			}
			fmt.Printf("| %s | %.0f | %.2f | %.0f | %s | %.3f | %v | %v |\n",
				name, r.deliveries, r.cpu, r.perCore, x, r.allocs, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
		}
		fmt.Println()
	}
}

// client is the driver's side of one run: the subscribers, the counts per
// message and the latency histogram.
type client struct {
	subs      int
	counts    [ring]atomic.Int32
	completed atomic.Int64
	delivered atomic.Int64
	measuring atomic.Bool
	done      chan struct{} // a message completed
	hist      [64]histShard
	conns     []net.Conn
	wg        sync.WaitGroup
}

func runOne(o options, lib string, size int, statsFile string) (r result) {
	r.lib, r.size = lib, size
	p, err := startServer(lib, o.serverCPU, statsFile, "")
	if err != nil {
		r.err = err
		return r
	}
	defer p.stop()
	// nodes are the processes whose CPU counts: the server, or the two
	// surge nodes and the nats-server; subscribers are spread over the
	// nodes that serve WebSocket, the publisher is on the first.
	nodes := []*serverProc{p}
	ws := []*serverProc{p}
	if o.nats != "" {
		ns, err := startNATS(o.nats, o.serverCPU)
		if err != nil {
			r.err = err
			return r
		}
		defer ns.stop()
		p.stop()
		if p, err = startServer(lib, o.serverCPU, statsFile, ns.addr); err != nil {
			r.err = err
			return r
		}
		defer p.stop()
		q, err := startServer(lib, o.serverCPU, statsFile+"2", ns.addr)
		if err != nil {
			r.err = err
			return r
		}
		defer q.stop()
		nodes, ws = []*serverProc{p, q, ns}, []*serverProc{p, q}
	}
	c := &client{subs: o.subs, done: make(chan struct{}, 1)}
	defer c.close()
	for i := 0; i < o.subs; i++ {
		conn, br, err := dialWS(ws[i%len(ws)].addr, "/sub")
		if err != nil {
			r.err = fmt.Errorf("subscriber %d: %w", i, err)
			return r
		}
		c.conns = append(c.conns, conn)
		c.wg.Add(1)
		go c.read(conn, br, i)
	}
	pub, _, err := dialWS(p.addr, "/pub")
	if err != nil {
		r.err = err
		return r
	}
	defer pub.Close()
	msg := make([]byte, 14+size)
	seq := uint64(0)
	send := func() error {
		seq++
		c.counts[seq%ring].Store(0)
		return publish(pub, msg, seq, size)
	}
	// Wait until every subscriber is registered: a probe reaches all.
	deadline := time.Now().Add(60 * time.Second)
	for c.completed.Load() == 0 {
		if time.Now().After(deadline) {
			r.err = errors.New("the subscribers never all received a probe")
			return r
		}
		if err := send(); err != nil {
			r.err = err
			return r
		}
		select {
		case <-c.done:
		case <-time.After(500 * time.Millisecond):
		}
	}
	base := c.completed.Load()
	sent := int64(0)
	// Closed loop: window messages in flight.
	pump := func(until time.Time) error {
		for time.Now().Before(until) {
			for sent-(c.completed.Load()-base) < int64(o.window) {
				if err := send(); err != nil {
					return err
				}
				sent++
			}
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				return fmt.Errorf("stalled: %d of %d messages complete", c.completed.Load()-base, sent)
			}
		}
		return nil
	}
	if r.err = pump(time.Now().Add(o.warmup)); r.err != nil {
		return r
	}
	a, err := stats.Request(p.pid, p.stats, false, 10*time.Second)
	if err != nil {
		r.err = err
		return r
	}
	cpu0 := cpuOf(nodes)
	d0, t0 := c.delivered.Load(), time.Now()
	c.measuring.Store(true)
	r.err = pump(t0.Add(o.duration))
	c.measuring.Store(false)
	d1, t1 := c.delivered.Load(), time.Now()
	cpu1 := cpuOf(nodes)
	b, err := stats.Request(p.pid, p.stats, false, 10*time.Second)
	if r.err != nil {
		return r
	}
	if err != nil {
		r.err = err
		return r
	}
	secs := t1.Sub(t0).Seconds()
	r.deliveries = float64(d1-d0) / secs
	r.cpu = (cpu1 - cpu0) / secs
	if r.cpu > 0 {
		r.perCore = float64(d1-d0) / (cpu1 - cpu0)
	}
	r.allocs = stats.AllocsPerMessage(a, b)
	r.p50, r.p99 = c.percentile(0.50), c.percentile(0.99)
	return r
}

// cpuOf sums the CPU seconds of procs.
func cpuOf(procs []*serverProc) float64 {
	t := 0.0
	for _, p := range procs {
		s, _ := cpuSeconds(p.pid)
		t += s
	}
	return t
}

func (c *client) close() {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.wg.Wait()
}

// read counts the messages of one subscriber: for each, the delivery, its
// message's count, and its latency while measuring.
func (c *client) read(conn net.Conn, br *bufio.Reader, i int) {
	defer c.wg.Done()
	h := &c.hist[i%len(c.hist)]
	buf := make([]byte, 8<<10)
	have := br.Buffered()
	copy(buf, mustPeek(br, have))
	skip := 0 // payload bytes of the last frame still to discard
	for {
		n, err := conn.Read(buf[have:])
		if n == 0 && err != nil {
			return
		}
		have += n
		off := 0
		if skip > 0 {
			k := min(skip, have)
			skip -= k
			off = k
		}
		for skip == 0 {
			rest := buf[off:have]
			if len(rest) < 2 {
				break
			}
			hl, plen := 2, int(rest[1]&0x7f)
			switch plen {
			case 126:
				hl = 4
			case 127:
				hl = 10
			}
			if len(rest) < hl {
				break
			}
			switch plen {
			case 126:
				plen = int(binary.BigEndian.Uint16(rest[2:]))
			case 127:
				plen = int(binary.BigEndian.Uint64(rest[2:]))
			}
			if plen >= headerBytes && len(rest) < hl+headerBytes {
				break
			}
			if op := rest[0] & 0x0f; (op == 1 || op == 2) && plen >= headerBytes {
				seq := binary.BigEndian.Uint64(rest[hl:])
				sentAt := int64(binary.BigEndian.Uint64(rest[hl+8:]))
				c.delivered.Add(1)
				if c.measuring.Load() {
					h.record(time.Now().UnixNano() - sentAt)
				}
				if c.counts[seq%ring].Add(1) == int32(c.subs) {
					c.completed.Add(1)
					select {
					case c.done <- struct{}{}:
					default:
					}
				}
			}
			if hl+plen <= len(rest) {
				off += hl + plen
				continue
			}
			skip = hl + plen - len(rest)
			off = have
		}
		have = copy(buf, buf[off:have])
	}
}

func mustPeek(br *bufio.Reader, n int) []byte {
	b, _ := br.Peek(n)
	return b
}

// publish sends one masked binary frame (mask key 0: the payload reads as
// it is) whose payload starts with seq and the time.
func publish(conn net.Conn, msg []byte, seq uint64, size int) error {
	h := 0
	msg[0] = 0x82
	switch {
	case size < 126:
		msg[1] = 0x80 | byte(size)
		h = 2
	case size < 1<<16:
		msg[1] = 0x80 | 126
		binary.BigEndian.PutUint16(msg[2:], uint16(size))
		h = 4
	default:
		return errors.New("size too large")
	}
	clear(msg[h : h+4]) // mask key
	p := msg[h+4 : h+4+size]
	binary.BigEndian.PutUint64(p, seq)
	binary.BigEndian.PutUint64(p[8:], uint64(time.Now().UnixNano()))
	_, err := conn.Write(msg[:h+4+size])
	return err
}

// dialWS opens a WebSocket connection to path.
func dialWS(addr, path string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, addr)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 1024)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		conn.Close()
		return nil, nil, fmt.Errorf("upgrade %s: %q %v", path, status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	return conn, br, nil
}

// histShard is a log-linear latency histogram: 16 buckets per power of two
// of nanoseconds (about 6% resolution).
type histShard struct {
	mu sync.Mutex
	b  [65 * 16]uint64
}

func bucket(v int64) int {
	if v < 16 {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) // v in [2^(e-1), 2^e)
	m := int(uint64(v)>>(e-5)) & 15
	return e*16 + m
}

func bucketValue(i int) int64 {
	if i < 16 {
		return int64(i)
	}
	e, m := i/16, i%16
	return int64(16+m) << (e - 5)
}

func (h *histShard) record(v int64) {
	h.mu.Lock()
	h.b[bucket(v)]++
	h.mu.Unlock()
}

func (c *client) percentile(q float64) time.Duration {
	var sum [65 * 16]uint64
	total := uint64(0)
	for i := range c.hist {
		h := &c.hist[i]
		h.mu.Lock()
		for j, n := range h.b {
			sum[j] += n
			total += n
		}
		h.mu.Unlock()
	}
	want := uint64(q * float64(total))
	acc := uint64(0)
	for j, n := range sum {
		acc += n
		if acc > want {
			return time.Duration(bucketValue(j))
		}
	}
	return 0
}

var _ = io.EOF
