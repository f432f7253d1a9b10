//go:build linux

// Command rawload is a WebSocket echo load generator that shares no code
// with surge: the handshake is written by hand over net.Conn, and the
// message loop is raw epoll on the connections' file descriptors, one
// write(2) per message, every echo checked byte for byte against what was
// sent. It is the second generator next to wsbench (which is built on
// surge), so that a lead counts only where both agree (issue
// "Performance: lead in every shape of load").
//
//	rawload -url ws://127.0.0.1:8080/ -conns 1000 -size 64 -depth 1 -duration 5s -server-pid PID
//
// Closed loop: each connection keeps -depth messages in flight and sends the
// next one when an echo arrives. The result is one JSON line: messages per
// second over the measured window, round-trip latency percentiles (µs), and
// with -server-pid the server's CPU over the window (utime+stime of
// /proc/PID/stat) and messages per server core-second.
package main

import (
	"bufio"
	"bytes"
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
	url       string
	conns     int
	size      int
	depth     int
	warmup    time.Duration
	duration  time.Duration
	serverPID int
}

// result is the JSON line rawload prints.
type result struct {
	Conns        int     `json:"conns"`
	Size         int     `json:"size"`
	Depth        int     `json:"depth"`
	Seconds      float64 `json:"seconds"`
	Messages     int64   `json:"messages"`
	Verified     int64   `json:"verified"`
	Errors       int64   `json:"errors"`
	MsgsPerSec   float64 `json:"msgs_per_s"`
	ServerCPU    float64 `json:"server_cpu_cores,omitempty"`
	PerCoreSec   float64 `json:"msgs_per_server_core_s,omitempty"`
	P50us        float64 `json:"p50_us"`
	P99us        float64 `json:"p99_us"`
	P999us       float64 `json:"p999_us"`
	FirstFailure string  `json:"first_failure,omitempty"`
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("rawload", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "", "ws:// URL of an echo server")
	fs.IntVar(&o.conns, "conns", 100, "connections")
	fs.IntVar(&o.size, "size", 64, "payload bytes (at least 16)")
	fs.IntVar(&o.depth, "depth", 1, "messages in flight per connection")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "traffic before measuring")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured window")
	fs.IntVar(&o.serverPID, "server-pid", 0, "measure this process's CPU over the window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.url == "" || o.size < 16 || o.depth < 1 || o.conns < 1 {
		return errors.New("need -url, -size >= 16, -depth >= 1, -conns >= 1")
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
	seq     uint64  // next sequence number to send
	next    uint64  // sequence number of the oldest echo awaited
	sent    []int64 // send time of each message in flight, by seq % depth
	in      []byte  // received bytes not yet parsed
	msg     []byte  // fragments of a message joined so far
	pending []byte  // bytes of frames the socket has not taken yet
	want    []byte  // scratch: the payload expected
	frame   []byte  // scratch: the frame being written
	rng     uint64  // xorshift state for masking keys
}

func load(o *options) (*result, error) {
	u, err := url.Parse(o.url)
	if err != nil || u.Scheme != "ws" {
		return nil, fmt.Errorf("bad -url %q: ws:// only", o.url)
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(ep)
	conns := make([]*conn, 0, o.conns)
	byFD := map[int]*conn{}
	defer func() {
		for _, c := range conns {
			unix.Close(c.fd)
		}
	}()
	for i := 0; i < o.conns; i++ {
		fd, err := dial(u)
		if err != nil {
			return nil, fmt.Errorf("connection %d: %w", i, err)
		}
		c := &conn{id: uint64(i), fd: fd, sent: make([]int64, o.depth), want: make([]byte, o.size),
			frame: make([]byte, 0, o.size+14), rng: uint64(i)*0x9E3779B97F4A7C15 + 1}
		conns = append(conns, c)
		byFD[fd] = c
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return nil, err
		}
	}
	res := &result{Conns: o.conns, Size: o.size, Depth: o.depth}
	lat := make([]int64, 0, 1<<20)
	start := time.Now()
	measureFrom := start.Add(o.warmup)
	end := measureFrom.Add(o.duration)
	for _, c := range conns {
		for range o.depth {
			if err := c.send(o.size, time.Now().UnixNano()); err != nil {
				return nil, err
			}
		}
		if err := c.flush(ep); err != nil {
			return nil, err
		}
	}
	var cpu0 float64
	measuring := false
	events := make([]unix.EpollEvent, 256)
	buf := make([]byte, 256<<10)
	for {
		now := time.Now()
		if !measuring && now.After(measureFrom) {
			measuring = true
			if o.serverPID != 0 {
				cpu0 = procCPU(o.serverPID)
			}
		}
		if now.After(end) {
			break
		}
		n, err := unix.EpollWait(ep, events, 10)
		if err != nil && err != unix.EINTR {
			return nil, err
		}
		for _, ev := range events[:max(n, 0)] {
			c := byFD[int(ev.Fd)]
			if ev.Events&unix.EPOLLOUT != 0 {
				if err := c.flush(ep); err != nil {
					return nil, err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
				continue
			}
			r, err := unix.Read(c.fd, buf)
			if err == unix.EAGAIN {
				continue
			}
			if err != nil || r == 0 {
				return nil, fmt.Errorf("connection %d: read: %v (closed by the server?)", c.id, err)
			}
			c.in = append(c.in, buf[:r]...)
			t := time.Now().UnixNano()
			for {
				payload, fin, used, perr := parseFrame(c.in, len(c.msg) > 0)
				if perr != nil {
					return nil, fmt.Errorf("connection %d: %w", c.id, perr)
				}
				if used == 0 {
					break
				}
				if !fin || len(c.msg) > 0 {
					// A fragmented echo (RFC 6455 §5.4): join it.
					c.msg = append(c.msg, payload...)
					c.in = c.in[used:]
					if !fin {
						continue
					}
					payload, used = c.msg, 0
				}
				fillPayload(c.want, c.id, c.next)
				if bytes.Equal(payload, c.want) {
					res.Verified++
				} else {
					res.Errors++
					if res.FirstFailure == "" {
						res.FirstFailure = fmt.Sprintf("connection %d message %d: echo differs", c.id, c.next)
					}
				}
				if measuring {
					res.Messages++
					if len(lat) < cap(lat) {
						lat = append(lat, t-c.sent[c.next%uint64(o.depth)])
					}
				}
				c.next++
				c.in = c.in[used:]
				c.msg = c.msg[:0]
				if err := c.send(o.size, t); err != nil {
					return nil, err
				}
			}
			if len(c.in) == 0 {
				c.in = c.in[:0:0] // an idle connection holds no buffer
			}
			if err := c.flush(ep); err != nil {
				return nil, err
			}
		}
	}
	res.Seconds = o.duration.Seconds()
	res.MsgsPerSec = float64(res.Messages) / res.Seconds
	if o.serverPID != 0 {
		res.ServerCPU = (procCPU(o.serverPID) - cpu0) / res.Seconds
		if res.ServerCPU > 0 {
			res.PerCoreSec = res.MsgsPerSec / res.ServerCPU
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e3
	}
	res.P50us, res.P99us, res.P999us = pct(0.50), pct(0.99), pct(0.999)
	return res, nil
}

// fillPayload writes the deterministic payload of message seq of
// connection id: both numbers, then bytes that depend on them.
func fillPayload(p []byte, id, seq uint64) {
	binary.LittleEndian.PutUint64(p, id)
	binary.LittleEndian.PutUint64(p[8:], seq)
	for i := 16; i < len(p); i++ {
		p[i] = byte(uint64(i)*31 + id*7 + seq)
	}
}

// send appends a masked binary frame carrying the next message to the
// connection's pending bytes.
func (c *conn) send(size int, now int64) error {
	f := c.frame[:0]
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
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(c.rng))
	f = append(f, key[:]...)
	h := len(f)
	f = f[:h+size]
	fillPayload(f[h:], c.id, c.seq)
	for i := range size {
		f[h+i] ^= key[i&3]
	}
	c.sent[c.seq%uint64(len(c.sent))] = now
	c.seq++
	c.frame = f
	c.pending = append(c.pending, f...)
	return nil
}

// flush writes what is pending with one write(2), and watches for
// writability while something is left.
func (c *conn) flush(ep int) error {
	if len(c.pending) == 0 {
		return nil
	}
	n, err := unix.Write(c.fd, c.pending)
	if err != nil && err != unix.EAGAIN {
		return fmt.Errorf("connection %d: write: %w", c.id, err)
	}
	n = max(n, 0)
	c.pending = c.pending[n:]
	ev := uint32(unix.EPOLLIN)
	if len(c.pending) > 0 {
		ev |= unix.EPOLLOUT
	} else {
		c.pending = c.pending[:0:0]
	}
	return unix.EpollCtl(ep, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.fd)})
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
	return (ut + st) / 100 // clock ticks; USER_HZ is 100 on Linux
}
