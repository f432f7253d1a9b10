package session

import (
	"encoding/binary"
	"errors"
	"syscall"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/counters"
)

// Counting: a session adds what it does to its driver's counters (the event
// loop's), read by the engine's Stats. Each count is an atomic add on the
// loop's own counters, a few nanoseconds a message.

// countIn counts a data frame delivered to the application (a whole message,
// or a fragment under Config.Fragments); feeding goroutine.
func (s *Session) countIn(f *Frame) {
	c := s.drv.Counters()
	if c == nil {
		return
	}
	t := counters.TypeOf(s.msgOp)
	if f.Op != frame.OpContinuation {
		t = counters.TypeOf(f.Op)
	}
	c.BytesIn[t].Add(uint64(len(f.Payload)))
	if f.Fin {
		c.MsgsIn[t].Add(1)
	}
}

// countOutLocked counts a data frame the application sent, before
// extensions encode it.
func (s *Session) countOutLocked(f *Frame) {
	c := s.drv.Counters()
	if c == nil {
		return
	}
	t := counters.TypeOf(f.Op)
	if f.Op == frame.OpContinuation && s.state&stSendBinary != 0 {
		t = counters.Binary
	}
	c.BytesOut[t].Add(uint64(len(f.Payload)))
	if f.Fin {
		c.MsgsOut[t].Add(1)
	}
}

// countFrameOutLocked counts a frame written or queued, and the control
// frames by kind.
func (s *Session) countFrameOutLocked(op frame.Opcode, p []byte) {
	c := s.drv.Counters()
	if c == nil {
		return
	}
	c.FramesOut.Add(1)
	switch op {
	case frame.OpPing:
		c.PingsOut.Add(1)
	case frame.OpPong:
		c.PongsOut.Add(1)
	case frame.OpClose:
		c.ClosesSent[counters.CodeBucket(closeCodeOf(p))].Add(1)
	}
}

// countControlIn counts a control frame received.
func (s *Session) countControlIn(op frame.Opcode, p []byte) {
	c := s.drv.Counters()
	if c == nil {
		return
	}
	switch op {
	case frame.OpPing:
		c.PingsIn.Add(1)
	case frame.OpPong:
		c.PongsIn.Add(1)
	case frame.OpClose:
		c.ClosesReceived[counters.CodeBucket(closeCodeOf(p))].Add(1)
	}
}

func closeCodeOf(p []byte) frame.CloseCode {
	if len(p) < 2 {
		return frame.CloseNoStatus
	}
	return frame.CloseCode(binary.BigEndian.Uint16(p))
}

// countEnd counts why the session ended; mu is held, the reason and error
// are final.
func (s *Session) countEndLocked(x *lazyState) {
	c := s.drv.Counters()
	if c == nil {
		return
	}
	end := counters.EndNormal
	var cr *frame.CloseReason
	switch err := x.err; {
	case x.reason == reasonTerminated:
		end = counters.EndTerminated
	case errors.Is(err, ErrHandlerPanic):
		end = counters.EndHandlerPanic
	case x.reason == reasonPingTimeout:
		end = counters.EndPingTimeout
	case errors.Is(err, ErrTimeout):
		end = counters.EndCloseTimeout
	case errors.Is(err, ErrBacklogFull) && x.reason.Code == frame.ClosePolicyViolation:
		end = counters.EndBackpressureClose
	case errors.As(err, &cr):
		end = counters.EndProtocolError
		if cr.Code == frame.CloseMessageTooBig {
			end = counters.EndMessageTooBig
		}
		c.ProtocolErrors[counters.CodeBucket(cr.Code)].Add(1)
	case x.reason.Code == frame.CloseAbnormal:
		end = counters.EndPeerGone
	case x.reason == closeGoingAwayShutdown:
		end = counters.EndShutdown
	}
	c.Ended[end].Add(1)
}

// The close reasons surge chooses itself, defined once: sessions end with
// them, and the end-reason counts recognise them.
var (
	// closeGoingAwayShutdown is the close a server sends its sessions
	// when it shuts down.
	closeGoingAwayShutdown = CloseReason{Code: frame.CloseGoingAway, Reason: "server shutting down"}
	// reasonTerminated is the end of a session Terminate dropped.
	reasonTerminated = CloseReason{Code: frame.CloseAbnormal, Reason: "terminated"}
	// reasonPingTimeout is the close sent to a peer that missed a pong.
	reasonPingTimeout = CloseReason{Code: frame.CloseGoingAway, Reason: "ping timeout"}
)

// pingEpoch is the origin of the timestamps surge's pings carry.
var pingEpoch = time.Now()

// pingStamp returns the payload of a ping surge sends: the time it is sent,
// so that its pong tells the round trip without state in the session.
func pingStamp(b *[8]byte) []byte {
	binary.BigEndian.PutUint64(b[:], uint64(time.Since(pingEpoch)))
	return b[:]
}

// pongLocked measures the round trip from the pong of one of our pings.
func (s *Session) pongLocked(p []byte) {
	if len(p) != 8 {
		return
	}
	rtt := time.Since(pingEpoch) - time.Duration(binary.BigEndian.Uint64(p))
	if rtt < 0 || rtt > time.Hour {
		return // not one of ours
	}
	s.rtt = uint32(max(rtt/time.Microsecond, 1))
}

// RTT returns the round-trip time measured by the last ping surge sent
// (Config.PingInterval) whose pong came back, to the microsecond; 0 before
// one has.
func (s *Session) RTT() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.rtt) * time.Microsecond
}

// unexpectedIOError reports whether a transport error is worth a log line: a
// system call error other than the ways peers usually go (reset, broken
// pipe, timeouts), which are counted, not logged.
func unexpectedIOError(err error) bool {
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ETIMEDOUT, syscall.ECONNABORTED,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ECONNREFUSED:
		return false
	}
	return true
}
