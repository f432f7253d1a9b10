package attack

import (
	"fmt"
	"strings"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testwire"
)

// closeWait is how long an attack client waits for a close frame or for
// the end of TCP after one: far below a server's close timeout (surge's is
// 5 s by default), far above what a server that drops TCP at once needs.
const closeWait = 3 * time.Second

// CloseOrderResult is what CloseOrder saw over its runs.
type CloseOrderResult struct {
	Runs, Msgs int
	InOrder    int // every echo, then the close frame
	CloseFirst int // the close frame before some echo
	NoClose    int // TCP ended or went quiet before a close frame came
	Codes      []frame.CloseCode
}

// CloseOrder sends msgs messages and a close frame in one write, runs
// times on fresh connections, and counts the runs in which every echo came
// before the server's close frame (issue 16 item 5; RFC 6455 §5.5.1:
// nothing follows a close, so an echo after it is lost).
func CloseOrder(t Target, runs, msgs int) (CloseOrderResult, error) {
	r := CloseOrderResult{Runs: runs, Msgs: msgs}
	for range runs {
		c, err := upgrade(t.Addr, 0)
		if err != nil {
			return r, err
		}
		var wire []byte
		for i := range msgs {
			wire = append(wire, testwire.ClientFrame(frame.OpText, fmt.Appendf(nil, "message %d", i))...)
		}
		wire = append(wire, testwire.ClientFrame(frame.OpClose, frame.AppendClose(nil, frame.CloseNormal, "bye"))...)
		if err := c.write(wire); err != nil {
			c.close()
			return r, err
		}
		echoes := 0
		for {
			h, b, err := c.readFrame(closeWait)
			if err != nil {
				r.NoClose++
				break
			}
			if h.Op == frame.OpClose {
				code, _, _ := frame.ParseClose(b)
				if !containsCode(r.Codes, code) {
					r.Codes = append(r.Codes, code)
				}
				if echoes == msgs {
					r.InOrder++
				} else {
					r.CloseFirst++
				}
				break
			}
			if h.Op == frame.OpText && string(b) == fmt.Sprintf("message %d", echoes) {
				echoes++
			}
		}
		c.close()
	}
	return r, nil
}

func containsCode(cs []frame.CloseCode, c frame.CloseCode) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// InvalidClose is one close frame no peer should send.
type InvalidClose struct {
	Name string
	Wire []byte
}

// InvalidCloses are reliability's TestInvalidCloseDropsTCP cases: close
// frames that RFC 6455 §5.5 and §7.4 forbid.
func InvalidCloses() []InvalidClose {
	closeWith := func(mutate func(h *frame.Header), payload []byte) []byte {
		h := frame.Header{Fin: true, Op: frame.OpClose, Masked: true, Key: testwire.MaskKey}
		mutate(&h)
		return testwire.AppendFrame(nil, h, payload)
	}
	same := func(*frame.Header) {}
	normal := frame.AppendClose(nil, frame.CloseNormal, "")
	return []InvalidClose{
		{"reason over 123 bytes", closeWith(same, append([]byte{0x03, 0xe8}, strings.Repeat("r", 128)...))},
		{"fragmented", closeWith(func(h *frame.Header) { h.Fin = false }, normal)},
		{"RSV1", closeWith(func(h *frame.Header) { h.Rsv = frame.Rsv1 }, normal)},
		{"unmasked", closeWith(func(h *frame.Header) { h.Masked = false }, normal)},
		{"one-byte payload", closeWith(same, []byte{3})},
		{"code 1005 on the wire", closeWith(same, []byte{0x03, 0xed})},
		{"reason not UTF-8", closeWith(same, []byte{0x03, 0xe8, 0xff, 0xfe})},
	}
}

// InvalidCloseResult is what one invalid close frame got.
type InvalidCloseResult struct {
	Case string
	Echo bool            // the message sent before the close was echoed
	Code frame.CloseCode // the server's close code; 0: no close frame
	End  string          // how TCP ended after it: FIN, RST, open (not within closeWait)
	// After is how long TCP stayed open after the server's close frame
	// (or after our write, when none came).
	After time.Duration
}

// InvalidCloseFrames sends a message and then each invalid close frame on
// a fresh connection, and records the echo, the close code and how soon
// the server drops TCP (issue 16 item 6: the peer already closed, so the
// server should not wait for its close timeout).
func InvalidCloseFrames(t Target) ([]InvalidCloseResult, error) {
	var rs []InvalidCloseResult
	for _, ic := range InvalidCloses() {
		c, err := upgrade(t.Addr, 0)
		if err != nil {
			return rs, err
		}
		r := InvalidCloseResult{Case: ic.Name}
		start := time.Now()
		if err := c.write(append(testwire.ClientFrame(frame.OpText, []byte("before")), ic.Wire...)); err != nil {
			c.close()
			return rs, err
		}
		for {
			h, b, err := c.readFrame(closeWait)
			if err != nil {
				r.End, r.After = endOf(err), time.Since(start)
				break
			}
			if h.Op == frame.OpText && string(b) == "before" {
				r.Echo = true
				continue
			}
			if h.Op == frame.OpClose {
				r.Code, _, _ = frame.ParseClose(b)
				start = time.Now()
				r.End, r.After = c.end(closeWait), time.Since(start)
				break
			}
		}
		c.close()
		rs = append(rs, r)
	}
	return rs, nil
}
