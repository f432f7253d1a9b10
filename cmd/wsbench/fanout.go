package main

import (
	"context"
	"errors"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// Fan-out: N subscribers and M publishers on a pub/sub server. Subscriber i
// is in room i % rooms, publisher j in room j % rooms, and the URL templates
// ({{conn % K}}) say how a room is reached (examples/chat: the path). Each
// published message carries a stamp "wsb1.<publisher>.<seq>.<unix ns>"
// ({{stamp}} in the publish template) that receivers find anywhere in what
// they get, so the server may wrap it (JSON, a prefix). A subscriber keeps,
// per publisher of its room, the highest sequence seen and a 64-message
// window below it: a sequence seen twice is a duplicate, one beyond the
// window a late duplicate-or-reorder (counted as duplicated too). Lost is
// what should have arrived (messages published in a room × its subscribers)
// minus the distinct deliveries, computed where every process's counts meet.
// Latency is receipt time minus the stamp: on several machines it is only as
// good as their clock sync.

// stampPrefix starts every fan-out stamp.
const stampPrefix = "wsb1."

// maxFanoutWindows bounds subscribers × publishers per room, the number of
// 16-byte delivery windows one process holds.
const maxFanoutWindows = 50_000_000

// deliveryMetric is the name of the publish-to-receipt metric.
const deliveryMetric = "delivery"

// fanoutSpec is the fanout section of a scenario.
type fanoutSpec struct {
	Subscribers  int
	Publishers   int
	Rooms        int
	Rate         float64 // messages per second per publisher
	Messages     int64   // per publisher; 0 = until duration
	SubscribeURL *tmpl   // nil: the scenario's url
	PublishURL   *tmpl
	Subscribe    []step // run by each subscriber before it counts deliveries
	Publish      *tmpl
	Binary       bool
	Settle       time.Duration // wait after subscribing before publishing
}

// fanoutPart is one process's fan-out counts.
type fanoutPart struct {
	Published  map[string]int64 `json:"published"`  // room → messages published
	Subscribed map[string]int64 `json:"subscribed"` // room → subscribers ready
	Deliveries int64            `json:"deliveries"` // distinct
	Duplicated int64            `json:"duplicated"`
	FirstPubNS int64            `json:"first_publish_ns"`
	LastRecvNS int64            `json:"last_delivery_ns"`
	Unstamped  int64            `json:"unstamped"` // messages without a stamp (joins, other traffic)
}

// FanoutStats is the fan-out section of the report.
type FanoutStats struct {
	Subscribers      int64   `json:"subscribers"`
	Publishers       int     `json:"publishers"`
	Rooms            int     `json:"rooms"`
	Published        int64   `json:"published"`
	Expected         int64   `json:"expected"`
	Deliveries       int64   `json:"deliveries"`
	DeliveriesPerSec float64 `json:"deliveries_per_s"`
	Lost             int64   `json:"lost"`
	Duplicated       int64   `json:"duplicated"`
	Unstamped        int64   `json:"unstamped"`
}

// seqWindow tracks the sequences received from one publisher.
type seqWindow struct {
	high uint64 // highest sequence + 1 seen (0: none)
	bits uint64 // bit k: sequence high-1-k seen
}

// add records seq; it reports whether seq is new.
func (w *seqWindow) add(seq uint64) bool {
	switch {
	case seq >= w.high:
		shift := seq + 1 - w.high
		if shift >= 64 {
			w.bits = 0
		} else {
			w.bits <<= shift
		}
		w.bits |= 1
		w.high = seq + 1
		return true
	case w.high-1-seq >= 64:
		return false // too old to tell: counted as a duplicate
	}
	bit := uint64(1) << (w.high - 1 - seq)
	if w.bits&bit != 0 {
		return false
	}
	w.bits |= bit
	return true
}

// fanoutSub is one subscriber's receiving state; deliver runs on its loop.
type fanoutSub struct {
	r    *scenRun
	f    *fanState
	room int
	wins []seqWindow // by publisher ordinal in the room (j / rooms)
	// ignore: a publisher's receiver, which drops what it gets.
	ignore bool
}

// fanState is the process's fan-out state.
type fanState struct {
	spec      *fanoutSpec
	sent      []atomic.Uint64 // per publisher (global index): messages sent, for stamp checks
	dups      atomic.Int64
	distinct  atomic.Int64
	unstamped atomic.Int64
	lastRecv  atomic.Int64
}

// parseStamp finds "wsb1.P.S.T" in b.
func parseStamp(b []byte) (pub, seq uint64, ns int64, ok bool) {
	i := indexOf(b, stampPrefix)
	if i < 0 {
		return 0, 0, 0, false
	}
	b = b[i+len(stampPrefix):]
	var nums [3]uint64
	for k := range nums {
		j := 0
		var n uint64
		for j < len(b) && b[j] >= '0' && b[j] <= '9' && j < 19 {
			n = n*10 + uint64(b[j]-'0')
			j++
		}
		if j == 0 {
			return 0, 0, 0, false
		}
		nums[k] = n
		b = b[j:]
		if k < 2 {
			if len(b) == 0 || b[0] != '.' {
				return 0, 0, 0, false
			}
			b = b[1:]
		}
	}
	if nums[2] > math.MaxInt64 {
		return 0, 0, 0, false
	}
	return nums[0], nums[1], int64(nums[2]), true
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// deliver accounts one message received by a subscriber.
func (s *fanoutSub) deliver(at time.Time, payload []byte) {
	if s.ignore {
		return
	}
	f := s.f
	pub, seq, ns, ok := parseStamp(payload)
	if !ok {
		f.unstamped.Add(1)
		return
	}
	rooms := uint64(f.spec.Rooms)
	switch {
	case pub >= uint64(len(f.sent)):
		s.r.countError(kindFanoutBadStamp, 1)
		return
	case pub%rooms != uint64(s.room):
		s.r.countError(kindFanoutWrongRoom, 1)
		return
	}
	w := &s.wins[pub/rooms]
	if !w.add(seq) {
		f.dups.Add(1)
		return
	}
	f.distinct.Add(1)
	now := at.UnixNano()
	f.lastRecv.Store(now)
	s.r.ms.record(0, deliveryMetric, (now-ns)/1000)
}

// runFanout runs this process's share of the fan-out scenario.
func (r *scenRun) runFanout(ctx context.Context) (*scenPart, error) {
	spec := r.sc.Fanout
	perRoom := (spec.Publishers + spec.Rooms - 1) / spec.Rooms
	if int64(spec.Subscribers)*int64(perRoom) > maxFanoutWindows {
		return nil, errors.Join(errUsage, errors.New("fanout: subscribers × publishers per room is too large"))
	}
	f := &fanState{spec: spec, sent: make([]atomic.Uint64, spec.Publishers)}
	self := newSampler(os.Getpid(), time.Now())
	r.base = time.Now()
	fp := &fanoutPart{Published: map[string]int64{}, Subscribed: map[string]int64{}}
	var fpMu sync.Mutex

	// Subscribers: dial, run the subscribe steps, then count deliveries.
	var subs, pubsWG sync.WaitGroup
	n, first := r.share.of(spec.Subscribers), r.share.first(spec.Subscribers)
	subURL := spec.SubscribeURL
	var held []*vu
	var heldMu sync.Mutex
	for i := 0; i < n; i++ {
		id := uint64(first + i)
		v := newVU(r, id)
		subs.Add(1)
		go func() {
			defer subs.Done()
			if !v.dialWith(ctx, subURL) {
				return
			}
			heldMu.Lock()
			held = append(held, v)
			heldMu.Unlock()
			if err := v.exec(spec.Subscribe); err != nil {
				return
			}
			room := int(id % uint64(spec.Rooms))
			v.fanout.Store(&fanoutSub{r: r, f: f, room: room, wins: make([]seqWindow, perRoom)})
			fpMu.Lock()
			fp.Subscribed[strconv.Itoa(room)]++
			fpMu.Unlock()
		}()
	}
	subs.Wait()
	// Publishers.
	np, firstP := r.share.of(spec.Publishers), r.share.first(spec.Publishers)
	pubs := make([]*vu, 0, np)
	for j := 0; j < np; j++ {
		v := newVU(r, uint64(firstP+j))
		pubsWG.Add(1)
		go func() {
			defer pubsWG.Done()
			if v.dialWith(ctx, spec.PublishURL) {
				v.fanout.Store(&fanoutSub{ignore: true}) // publishers ignore what they get
				heldMu.Lock()
				pubs = append(pubs, v)
				heldMu.Unlock()
			}
		}()
	}
	pubsWG.Wait()
	if !r.begin(ctx, self, spec.Settle) {
		r.closeVUs(append(held, pubs...))
		return nil, errNotStarted
	}
	fp.FirstPubNS = time.Now().UnixNano()
	done := make(chan struct{})
	go func() {
		r.publish(ctx, pubs, f, fp, &fpMu)
		close(done)
	}()
	r.tickUntil(ctx, 0, done)
	// Drain: wait until deliveries stop arriving for a second (bounded);
	// alone, this process knows what to expect and stops when all came.
	var expect int64 = -1
	if r.share.count == 1 {
		fpMu.Lock()
		expect = 0
		for room, n := range fp.Published {
			expect += n * fp.Subscribed[room]
		}
		fpMu.Unlock()
	}
	deadline := time.Now().Add(r.sc.Timeout)
	last := f.distinct.Load() + f.dups.Load()
	quietSince := time.Now()
	lastTick := time.Now()
	for time.Now().Before(deadline) && time.Since(quietSince) < time.Second && ctx.Err() == nil &&
		(expect < 0 || f.distinct.Load() < expect) {
		time.Sleep(50 * time.Millisecond)
		if n := f.distinct.Load() + f.dups.Load(); n != last {
			last, quietSince = n, time.Now()
		}
		if time.Since(lastTick) >= time.Second {
			lastTick = r.emitTick(lastTick)
		}
	}
	r.emitTick(lastTick)
	r.stopped.Store(true)
	close(r.stop)
	r.stopCancel()
	r.closeVUs(append(held, pubs...))
	part, err := r.end(ctx, self)
	fp.Deliveries = f.distinct.Load()
	fp.Duplicated = f.dups.Load()
	fp.Unstamped = f.unstamped.Load()
	fp.LastRecvNS = f.lastRecv.Load()
	part.Fanout = fp
	return part, err
}

// publish paces the publishers: rate messages per second each, staggered,
// for the scenario's duration or messages per publisher.
func (r *scenRun) publish(ctx context.Context, pubs []*vu, f *fanState, fp *fanoutPart, mu *sync.Mutex) {
	spec := r.sc.Fanout
	if len(pubs) == 0 {
		return
	}
	interval := time.Duration(float64(time.Second) / spec.Rate)
	start := time.Now()
	end := time.Time{}
	if d := r.sc.Duration; d > 0 {
		end = start.Add(d)
	} else if spec.Messages == 0 {
		end = start.Add(10 * time.Second)
	}
	// Every publisher has the same interval and the first sends are
	// staggered by index, so they stay in due order: a cursor walks them,
	// O(1) per message.
	next := make([]time.Time, len(pubs))
	for i := range next {
		next[i] = start.Add(interval * time.Duration(i) / time.Duration(len(pubs)))
	}
	var stamp, buf []byte
	for k, n := 0, int64(0); ; {
		if spec.Messages > 0 && n >= spec.Messages {
			return
		}
		if !end.IsZero() && !next[k].Before(end) {
			return
		}
		if !r.sleepUntil(ctx, next[k]) {
			return
		}
		v := pubs[k]
		seq := f.sent[v.id].Load()
		now := time.Now()
		stamp = append(stamp[:0], stampPrefix...)
		stamp = strconv.AppendUint(stamp, v.id, 10)
		stamp = append(stamp, '.')
		stamp = strconv.AppendUint(stamp, seq, 10)
		stamp = append(stamp, '.')
		stamp = strconv.AppendInt(stamp, now.UnixNano(), 10)
		vars := tmplVars{conn: v.id, seq: seq, now: now, text: !spec.Binary, stamp: stamp, rng: v.rng}
		buf = spec.Publish.expand(buf[:0], &vars)
		fr := session.BorrowText(buf)
		if spec.Binary {
			fr = session.BorrowBinary(buf)
		}
		if err := v.sess.Send(ctx, fr); err != nil {
			if ctx.Err() != nil {
				return
			}
			r.countError(kindSend, 1)
		} else {
			f.sent[v.id].Add(1)
			r.sent.Add(1)
			r.sts[0].sent.Add(1)
			mu.Lock()
			fp.Published[strconv.FormatUint(v.id%uint64(spec.Rooms), 10)]++
			mu.Unlock()
		}
		next[k] = next[k].Add(interval)
		if k++; k == len(pubs) {
			k, n = 0, n+1
		}
	}
}

// dialWith dials a vu with url (nil: the scenario's url).
func (v *vu) dialWith(ctx context.Context, url *tmpl) bool {
	if url == nil {
		return v.dial(ctx)
	}
	v.url = url
	return v.dial(ctx)
}

// closeVUs closes connections normally and waits for them (bounded).
func (r *scenRun) closeVUs(vs []*vu) {
	var wg sync.WaitGroup
	for _, v := range vs {
		if v.sess == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.closeWith(session.CloseReason{Code: frame.CloseNormal, Reason: "wsbench done"})
		}()
	}
	wg.Wait()
}
