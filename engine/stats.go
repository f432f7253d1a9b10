package engine

import (
	"sync/atomic"
	"time"

	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/stats"
)

// snapshot adds sets up into a stats.Snapshot; conns is the open connection
// count, and the first loops sets are event loops' (the others, of portable
// connections, have no loop time).
func snapshot(conns int, sets []*counters.Set, loops int) stats.Snapshot {
	s := stats.Snapshot{
		Conns:          conns,
		Rejected:       map[int]uint64{},
		ClosesSent:     map[string]uint64{},
		ClosesReceived: map[string]uint64{},
		Ended:          map[string]uint64{},
		ProtocolErrors: map[string]uint64{},
		PooledBuffers:  bufpool.InUse(),
	}
	for i, c := range sets {
		s.Accepted += c.Accepted.Load()
		s.Upgraded += c.Upgraded.Load()
		for b := range c.Rejected {
			if n := c.Rejected[b].Load(); n > 0 {
				s.Rejected[counters.Statuses[b]] += n
			}
		}
		s.WireIn += c.WireIn.Load()
		s.WireOut += c.WireOut.Load()
		s.FramesIn += c.FramesIn.Load()
		s.FramesOut += c.FramesOut.Load()
		s.ReadPauses += c.ReadPauses.Load()
		s.WriteWaits += c.WriteWaits.Load()
		addTypes(&s.MessagesIn, &c.MsgsIn)
		addTypes(&s.MessagesOut, &c.MsgsOut)
		addTypes(&s.BytesIn, &c.BytesIn)
		addTypes(&s.BytesOut, &c.BytesOut)
		s.PingsIn += c.PingsIn.Load()
		s.PingsOut += c.PingsOut.Load()
		s.PongsIn += c.PongsIn.Load()
		s.PongsOut += c.PongsOut.Load()
		addCodes(s.ClosesSent, &c.ClosesSent)
		addCodes(s.ClosesReceived, &c.ClosesReceived)
		addCodes(s.ProtocolErrors, &c.ProtocolErrors)
		for r := range c.Ended {
			if n := c.Ended[r].Load(); n > 0 {
				s.Ended[counters.EndNames[r]] += n
			}
		}
		s.Drops += c.Drops.Load()
		if i < loops {
			s.Loops = append(s.Loops, stats.Loop{
				Busy: time.Duration(c.BusyNanos.Load()),
				Wait: c.Wait(),
			})
		}
	}
	return s
}

func addTypes(c *stats.Count, by *[counters.NTypes]atomic.Uint64) {
	c.Text += by[counters.Text].Load()
	c.Binary += by[counters.Binary].Load()
}

func addCodes(m map[string]uint64, by *[counters.NCodeBucket]atomic.Uint64) {
	for b := range by {
		if n := by[b].Load(); n > 0 {
			m[counters.BucketName(b)] += n
		}
	}
}

// Stats returns what the sessions dialled through d have done so far, and
// its open connections, as Server.Stats does for a server. Dials made
// without a Dialer (DialOptions.Dialer nil) count in no Stats.
func (d *Dialer) Stats() stats.Snapshot {
	var sets []*counters.Set
	var n int64
	if d.reactor != nil {
		n = d.reactor.conns.Load()
		sets = d.reactor.counterSets()
	}
	loops := len(sets)
	return snapshot(int(n), append(sets, &d.ctr), loops)
}
