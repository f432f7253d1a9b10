//go:build linux

package main

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The io_uring ABI (include/uapi/linux/io_uring.h), as much as this loop
// uses.
const (
	setupCQSize        = 1 << 3
	setupSingleIssuer  = 1 << 12
	setupDeferTaskrun  = 1 << 13
	featSingleMmap     = 1 << 0
	enterGetEvents     = 1 << 0
	offSQRing          = 0
	offSQEs            = 0x10000000
	opAccept           = 13
	opSend             = 26
	opRecv             = 27
	sqEntries          = 4096
	cqEntries          = 65536
	userOpShift        = 56
	userGenShift       = 32
	userAccept, userRx = 1, 2
	userTx             = 3
	registerPbufRing   = 22
	sqeBufferSelect    = 1 << 5
	recvMultishot      = 1 << 1
	cqeFBuffer         = 1 << 0
	cqeFMore           = 1 << 1
	cqeBufferShift     = 16
	bufGroup           = 1
	bufCount           = 4096 // provided buffers, shared by every connection
)

// bufReg is struct io_uring_buf_reg.
type bufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid, flags uint16
	resv        [3]uint64
}

// pbuf is struct io_uring_buf; the ring's tail is the resv field of the
// first entry.
type pbuf struct {
	addr uint64
	len  uint32
	bid  uint16
	resv uint16
}

// bufRing is a ring of provided buffers: multishot recvs take one per
// completion, and the loop gives each back once it has served it.
type bufRing struct {
	entries []pbuf
	tail    *uint16
	mem     []byte // bufCount buffers of size bytes, by bid
	size    int
}

func (r *ring) provide(size int) (*bufRing, error) {
	ringMem, err := unix.Mmap(-1, 0, bufCount*int(unsafe.Sizeof(pbuf{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	b := &bufRing{
		entries: unsafe.Slice((*pbuf)(unsafe.Pointer(&ringMem[0])), bufCount),
		tail:    (*uint16)(unsafe.Pointer(&ringMem[14])),
		mem:     make([]byte, bufCount*size),
		size:    size,
	}
	reg := bufReg{ringAddr: uint64(uintptr(unsafe.Pointer(&ringMem[0]))), ringEntries: bufCount, bgid: bufGroup}
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerPbufRing, uintptr(unsafe.Pointer(&reg)), 1, 0, 0); errno != 0 {
		return nil, fmt.Errorf("io_uring_register(PBUF_RING): %w", errno)
	}
	for bid := range bufCount {
		b.put(uint16(bid))
	}
	return b, nil
}

// put gives buffer bid back to the kernel.
func (b *bufRing) put(bid uint16) {
	tail := *b.tail
	e := &b.entries[tail&(bufCount-1)]
	e.addr = uint64(uintptr(unsafe.Pointer(&b.mem[int(bid)*b.size])))
	e.len = uint32(b.size)
	e.bid = bid
	// The kernel reads the tail with acquire semantics, so the entry must
	// be written before the tail moves: a release store. sync/atomic has
	// no 16-bit store, and the tail shares a word with entry 0's bid, which
	// only this loop writes.
	word := (*uint32)(unsafe.Add(unsafe.Pointer(b.tail), -2))
	atomic.StoreUint32(word, atomic.LoadUint32(word)&0xffff|uint32(tail+1)<<16)
}

// buf returns buffer bid.
func (b *bufRing) buf(bid uint16) []byte { return b.mem[int(bid)*b.size : (int(bid)+1)*b.size] }

type sqOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

type cqOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sq                                                                     sqOffsets
	cq                                                                     cqOffsets
}

type sqe struct {
	opcode, flags  uint8
	ioprio         uint16
	fd             int32
	off, addr      uint64
	len, opFlags   uint32
	userData       uint64
	bufIndex, pers uint16
	spliceFD       int32
	addr3, pad     uint64
}

type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// ring is an io_uring owned by one thread.
type ring struct {
	fd                     int
	sqHead, sqTail, sqMask *uint32
	sqes                   []sqe
	cqHead, cqTail, cqMask *uint32
	cqes                   []cqe
	tail, submitted        uint32 // the SQ tail written so far, and up to where it was entered
}

func newRing() (*ring, error) {
	p := params{flags: setupCQSize | setupSingleIssuer | setupDeferTaskrun, cqEntries: cqEntries}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, sqEntries, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	if p.features&featSingleMmap == 0 {
		return nil, fmt.Errorf("io_uring: this kernel has no single mmap of both rings")
	}
	size := max(p.sq.array+p.sqEntries*4, p.cq.cqes+p.cqEntries*uint32(unsafe.Sizeof(cqe{})))
	rings, err := unix.Mmap(int(fd), offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("io_uring rings: %w", err)
	}
	sqeBytes, err := unix.Mmap(int(fd), offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(sqe{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("io_uring sqes: %w", err)
	}
	at := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&rings[off])) }
	r := &ring{
		fd:     int(fd),
		sqHead: at(p.sq.head), sqTail: at(p.sq.tail), sqMask: at(p.sq.ringMask),
		cqHead: at(p.cq.head), cqTail: at(p.cq.tail), cqMask: at(p.cq.ringMask),
		sqes: unsafe.Slice((*sqe)(unsafe.Pointer(&sqeBytes[0])), p.sqEntries),
		cqes: unsafe.Slice((*cqe)(unsafe.Pointer(&rings[p.cq.cqes])), p.cqEntries),
	}
	// The SQ array maps ring slots to SQEs one to one, once.
	array := unsafe.Slice((*uint32)(unsafe.Pointer(&rings[p.sq.array])), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.tail = atomic.LoadUint32(r.sqTail)
	r.submitted = r.tail
	return r, nil
}

// get returns the next free SQE, entering the ring first when it is full.
func (r *ring) get() (*sqe, error) {
	if r.tail-atomic.LoadUint32(r.sqHead) >= uint32(len(r.sqes)) {
		if err := r.enter(0); err != nil {
			return nil, err
		}
	}
	s := &r.sqes[r.tail&*r.sqMask]
	*s = sqe{}
	r.tail++
	return s, nil
}

// enter submits what get handed out and waits for wait completions.
func (r *ring) enter(wait uint32) error {
	atomic.StoreUint32(r.sqTail, r.tail)
	for {
		n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.tail-r.submitted), uintptr(wait), enterGetEvents, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 && errno != unix.EAGAIN && errno != unix.EBUSY {
			return fmt.Errorf("io_uring_enter: %w", errno)
		}
		if errno == 0 {
			r.submitted += uint32(n)
		}
		return nil
	}
}

// uconn is a connection of the io_uring loop. Its buffers are the
// kernel's while a recv or a send is in flight.
type uconn struct {
	conn
	gen      uint32
	rbuf     []byte
	sending  []byte // in flight
	queued   []byte // answers made while a send was in flight
	sendBusy bool
	recvBusy bool // a single-shot recv into rbuf is in flight
}

// serveUring runs the io_uring loop: a recv in flight on every connection;
// each completed recv is answered with one send, submitted together with
// the next recv in the next io_uring_enter. Without multishot each recv
// is a single shot into the connection's own buffer of bufSize bytes, and
// a recv that finds the socket empty arms a poll of its own; with it, one
// multishot recv per connection stays armed and takes buffers of bufSize
// bytes from a ring that every connection shares.
func serveUring(lfd, bufSize int, multishot bool, ready chan<- struct{}) error {
	r, err := newRing()
	if err != nil {
		return err
	}
	var br *bufRing
	if multishot {
		if br, err = r.provide(bufSize); err != nil {
			return err
		}
	}
	close(ready)
	var conns []*uconn // by fd
	// limbo keeps, by generation, connections dropped while a single-shot
	// recv was in flight: the kernel may write their buffer until it
	// completes, so the garbage collector must not have it.
	limbo := map[uint32]*uconn{}
	var gen uint32
	submit := func(op uint8, fd int, c *uconn, buf []byte) error {
		s, err := r.get()
		if err != nil {
			return err
		}
		s.opcode = op
		s.fd = int32(fd)
		s.userData = uint64(fd)
		switch op {
		case opAccept:
			s.opFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
			s.userData |= userAccept << userOpShift
		case opRecv:
			if multishot {
				s.flags, s.bufIndex, s.ioprio = sqeBufferSelect, bufGroup, recvMultishot
			} else {
				s.addr, s.len = uint64(uintptr(unsafe.Pointer(&buf[0]))), uint32(len(buf))
				c.recvBusy = true
			}
			s.userData |= userRx<<userOpShift | uint64(c.gen&0xffffff)<<userGenShift
		case opSend:
			s.addr, s.len = uint64(uintptr(unsafe.Pointer(&buf[0]))), uint32(len(buf))
			s.opFlags = unix.MSG_NOSIGNAL
			s.userData |= userTx<<userOpShift | uint64(c.gen&0xffffff)<<userGenShift
		}
		return nil
	}
	drop := func(c *uconn) {
		// A multishot recv may still be armed, and holds the file: only
		// shutdown ends the connection before it completes.
		_ = unix.Shutdown(c.fd, unix.SHUT_RDWR)
		unix.Close(c.fd)
		conns[c.fd] = nil
		if c.recvBusy {
			limbo[c.gen&0xffffff] = c
		}
	}
	// send starts a send of c.sending's successor or queues behind it.
	send := func(c *uconn, out []byte) error {
		if c.sendBusy {
			c.queued = append(c.queued, out...)
			return nil
		}
		c.sending = append(c.sending[:0], out...)
		c.sendBusy = true
		return submit(opSend, c.fd, c, c.sending)
	}
	// end ends c now, or once the send in flight, which uses its buffer,
	// completes.
	end := func(c *uconn) {
		if c.sendBusy {
			c.closing = true
		} else {
			drop(c)
		}
	}
	var out []byte
	// recvd serves a recv's completion e on c; data is where it landed.
	recvd := func(c *uconn, e cqe, data []byte) error {
		if multishot && e.flags&cqeFMore == 0 && (e.res > 0 || e.res == -int32(unix.ENOBUFS)) && !c.closing {
			// The shot ended with the connection still open (no buffer
			// was free, or the kernel chose to end it): arm another.
			if err := submit(opRecv, c.fd, c, nil); err != nil {
				return err
			}
		}
		if e.res == -int32(unix.ENOBUFS) {
			return nil
		}
		if e.res <= 0 {
			end(c)
			return nil
		}
		var err error
		if out, err = c.serve(data[:e.res], out[:0]); err != nil {
			end(c)
			return nil
		}
		if len(out) > 0 {
			if err := send(c, out); err != nil {
				return err
			}
		}
		if !c.closing && !multishot {
			return submit(opRecv, c.fd, c, c.rbuf)
		}
		return nil
	}
	if err := submit(opAccept, lfd, nil, nil); err != nil {
		return err
	}
	for {
		if err := r.enter(1); err != nil {
			return err
		}
		head := atomic.LoadUint32(r.cqHead)
		for tail := atomic.LoadUint32(r.cqTail); head != tail; head++ {
			e := r.cqes[head&*r.cqMask]
			var c *uconn
			if fd := int(int32(e.userData)); fd >= 0 && fd < len(conns) {
				c = conns[fd]
			}
			if c != nil && uint32(e.userData>>userGenShift)&0xffffff != c.gen&0xffffff {
				c = nil // a completion of an earlier connection on this fd
			}
			switch e.userData >> userOpShift {
			case userAccept:
				if e.res >= 0 {
					nfd := int(e.res)
					_ = unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
					gen++
					nc := &uconn{conn: conn{fd: nfd}, gen: gen}
					if !multishot {
						nc.rbuf = make([]byte, bufSize)
					}
					for nfd >= len(conns) {
						conns = append(conns, nil)
					}
					conns[nfd] = nc
					if err := submit(opRecv, nfd, nc, nc.rbuf); err != nil {
						return err
					}
				}
				if err := submit(opAccept, lfd, nil, nil); err != nil {
					return err
				}
			case userRx:
				var data []byte
				bid, lent := uint16(e.flags>>cqeBufferShift), e.flags&cqeFBuffer != 0
				switch {
				case lent:
					data = br.buf(bid)
				case c != nil:
					data = c.rbuf
				}
				if c != nil {
					c.recvBusy = false
					if err := recvd(c, e, data); err != nil {
						return err
					}
				} else {
					delete(limbo, uint32(e.userData>>userGenShift)&0xffffff)
				}
				if lent {
					br.put(bid) // serve copied what it keeps
				}
			case userTx:
				if c == nil {
					continue
				}
				if e.res < 0 {
					drop(c)
					continue
				}
				c.sending = c.sending[:copy(c.sending, c.sending[e.res:])]
				if len(c.sending) == 0 && len(c.queued) > 0 {
					c.sending, c.queued = c.queued, c.sending[:0]
				}
				if len(c.sending) > 0 {
					if err := submit(opSend, c.fd, c, c.sending); err != nil {
						return err
					}
					continue
				}
				c.sendBusy = false
				if c.closing {
					drop(c)
				}
			}
		}
		atomic.StoreUint32(r.cqHead, head)
	}
}
