//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/surgews/surge/internal/netpoll"
)

// TestConnSize keeps the conn of an idle connection in the 96-byte size
// class (issue #18: with the session, at most 320 B per idle connection).
func TestConnSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are kept for 64-bit platforms")
	}
	if got := unsafe.Sizeof(conn{}); got > 96 {
		t.Errorf("conn is %d bytes, want at most 96", got)
	}
}

func TestTimerTicks(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want uint32
	}{
		{"stop", 0, 0},
		{"negative stops", -time.Second, 0},
		{"under a tick rounds up", time.Nanosecond, 1},
		{"a tick", tick, 1},
		{"just over a tick", tick + 1, 2},
		{"15 s", 15 * time.Second, uint32(15 * time.Second / tick)},
		{"longest kept", time.Duration(math.MaxUint32) * tick, math.MaxUint32},
		{"longer is the longest", time.Duration(math.MaxInt64), math.MaxUint32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := timerTicks(tc.d); got != tc.want {
				t.Errorf("timerTicks(%v) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
}

// TestInterestInFlags: the poller interest kept in the flags word neither
// changes the flags nor is changed by them.
func TestInterestInFlags(t *testing.T) {
	var c conn
	c.flags.Or(flagPaused | flagLinger)
	for _, e := range []netpoll.Event{netpoll.EventRead, netpoll.EventRead | netpoll.EventWrite, netpoll.EventWrite, 0} {
		c.setInterest(e)
		c.flags.Or(flagWantWrite)
		c.flags.And(^flagWantWrite)
		if got := c.interest(); got != e {
			t.Errorf("interest %v after setting %v", got, e)
		}
		if f := c.flags.Load() & (1<<interestShift - 1); f != flagPaused|flagLinger {
			t.Errorf("flags %#x after setting interest %v, want %#x", f, e, flagPaused|flagLinger)
		}
	}
}
