package attack

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
)

// Target is the server under attack.
type Target struct {
	Addr string // host:port of its WebSocket echo endpoint (any path upgrades)
	PID  int    // its process, for the /proc figures; 0 when unknown
}

// ioWait bounds every blocking step of an attack client, so that a server
// that never answers costs a bounded time; generous, as the machine may be
// busy.
const ioWait = 5 * time.Second

// conn is an attack client's connection.
type conn struct {
	nc net.Conn
	br *bufio.Reader
}

// dial connects to addr without a handshake. A positive rcvbuf sets the
// socket's receive buffer, so that a client that never reads fills the
// server's send path soon.
func dial(addr string, rcvbuf int) (*conn, error) {
	d := net.Dialer{Timeout: ioWait}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, br: bufio.NewReader(nc)}, nil
}

// upgrade connects and completes an opening handshake.
func upgrade(addr string, rcvbuf int) (*conn, error) {
	c, err := dial(addr, rcvbuf)
	if err != nil {
		return nil, err
	}
	if err := c.handshake(); err != nil {
		c.nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *conn) handshake() error {
	if err := c.write([]byte(testwire.UpgradeRequest("/"))); err != nil {
		return err
	}
	status, err := c.statusLine()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 101 ") {
		return fmt.Errorf("%w: %q", ErrHandshake, status)
	}
	for { // the rest of the response head
		line, err := c.br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%w: %v", ErrHandshake, err)
		}
		if line == "\r\n" {
			return nil
		}
	}
}

func (c *conn) write(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(ioWait))
	_, err := c.nc.Write(b)
	return err
}

// statusLine reads the first line of an HTTP response.
func (c *conn) statusLine() (string, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(ioWait))
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading the status line: %w (read %q)", err, line)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readFrame reads one server frame, waiting up to d.
func (c *conn) readFrame(d time.Duration) (frame.Header, []byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	return testwire.ReadFrame(c.br, 64<<20)
}

// end reads and drops what the server still sends for up to d and says
// how the stream ended: "FIN" (a clean end of stream), "RST", "open"
// (nothing ended within d) or the read error.
func (c *conn) end(d time.Duration) string {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c.br)
	return endOf(err)
}

// endOf names how a read or write ended.
func endOf(err error) string {
	var ne net.Error
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return "FIN"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "RST"
	case errors.As(err, &ne) && ne.Timeout():
		return "open"
	default:
		return err.Error()
	}
}

func (c *conn) close() { _ = c.nc.Close() }
