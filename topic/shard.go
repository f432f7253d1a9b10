package topic

import (
	"sync"

	"github.com/surgews/surge/internal/push"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// item kinds.
const (
	opSub   uint8 = iota // add sub to its topic's list
	opUnsub              // remove sub from its topic's list
	opPub                // write f to the topic's subscribers
)

// item is one change or publish queued for a shard.
type item struct {
	kind    uint8
	t       *entry
	sub     *sub
	f       *push.Frame
	exclude *session.Session
}

// maxBatch bounds the consecutive publishes (to one topic or several) that a
// shard coalesces into one write per subscriber.
const maxBatch = 64

// keepQueue is the largest queue capacity (in items) a shard keeps between
// runs.
const keepQueue = 256

// shard is the part of a hub on one event loop: the loop's subscribers of
// each topic, and the queue of changes and publishes the loop has yet to
// apply. Subscriptions and publishes go through the one queue, so a loop
// sees them in the order they were made, and the lists need no lock: only
// the runner touches them.
type shard struct {
	hub  *Hub
	loop seam.Loop // nil: run on the goroutine that queues (no event loop)

	mu     sync.Mutex
	queue  []item
	spare  []item
	posted bool // a run is queued on the loop or in progress

	// The runner's, under runMu.
	runMu sync.Mutex
	lists map[*entry]*list
	fs    []*push.Frame // frames of one batch
	own   []*push.Frame // frames of one batch, for one subscriber
	res   []push.Result
	iov   [][]byte

	// A batch of publishes to several topics: each subscriber's frames,
	// gathered in publish order (pend), found by session (pendOf). Both
	// are kept between runs, so a steady stream allocates nothing.
	pend   []pending
	pendOf map[*session.Session]int32
}

// pending is one subscriber's frames of a batch to several topics.
type pending struct {
	s  *session.Session
	fs []*push.Frame
}

// list is a topic's subscribers on one shard.
type list struct {
	subs []*sub
}

func newShard(h *Hub, loop seam.Loop) *shard {
	return &shard{
		hub:    h,
		loop:   loop,
		lists:  make(map[*entry]*list),
		pendOf: make(map[*session.Session]int32),
		fs:     make([]*push.Frame, 0, maxBatch),
		own:    make([]*push.Frame, 0, maxBatch),
		res:    make([]push.Result, maxBatch),
		iov:    make([][]byte, maxIOV),
	}
}

// enqueue queues it and makes sure a run follows: one task posted to the
// loop however many items arrive before the loop gets to it, or, without a
// loop, a run on this goroutine unless another one is running.
func (sh *shard) enqueue(it item) {
	sh.mu.Lock()
	sh.queue = append(sh.queue, it)
	start := !sh.posted
	sh.posted = true
	sh.mu.Unlock()
	if !start {
		return
	}
	if sh.loop != nil {
		sh.loop.Post(sh)
		return
	}
	for sh.Run(); sh.more(); {
		sh.Run()
	}
}

// Run applies the queued items; it is seam.Runner, run on the loop. A loop
// keeps serving its sockets between two runs: a run takes what was queued
// when it started and posts the next one if more came meanwhile.
func (sh *shard) Run() {
	sh.runMu.Lock()
	sh.mu.Lock()
	q := sh.queue
	sh.queue = sh.spare[:0]
	sh.mu.Unlock()
	sh.apply(q)
	clear(q)
	if cap(q) > keepQueue {
		q = nil // a burst's queue is not kept for every idle moment after
	}
	sh.mu.Lock()
	sh.spare = q[:0]
	again := len(sh.queue) > 0
	if !again {
		sh.posted = false
	}
	sh.mu.Unlock()
	sh.runMu.Unlock()
	if again && sh.loop != nil {
		sh.loop.Post(sh)
	}
}

// more reports whether a shard without a loop has items left after a run.
func (sh *shard) more() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.posted
}

// apply applies q in order.
func (sh *shard) apply(q []item) {
	for i := 0; i < len(q); {
		it := &q[i]
		switch it.kind {
		case opSub:
			l := sh.lists[it.t]
			if l == nil {
				l = &list{}
				sh.lists[it.t] = l
			}
			it.sub.idx = int32(len(l.subs))
			l.subs = append(l.subs, it.sub)
		case opUnsub:
			l := sh.lists[it.t]
			k := it.sub.idx
			last := l.subs[len(l.subs)-1]
			l.subs[k], last.idx = last, k
			l.subs[len(l.subs)-1] = nil
			l.subs = l.subs[:len(l.subs)-1]
			if len(l.subs) == 0 {
				delete(sh.lists, it.t)
			}
		case opPub:
			// Consecutive publishes go out together: to one topic
			// through publish, to several through publishMixed, so that
			// a session subscribed to several topics gets one write.
			j, same := i+1, true
			for j < len(q) && j-i < maxBatch && q[j].kind == opPub {
				same = same && q[j].t == it.t
				j++
			}
			if same {
				sh.publish(q[i:j])
			} else {
				sh.publishMixed(q[i:j])
			}
			i = j
			continue
		}
		i++
	}
}

// publishMixed writes the frames of consecutive publishes to several
// topics to each subscriber of any of them on this shard, one write per
// subscriber with its frames in publish order, and gives up the shard's
// reference to each frame.
func (sh *shard) publishMixed(batch []item) {
	for i := range batch {
		it := &batch[i]
		l := sh.lists[it.t]
		if l == nil {
			continue
		}
		for _, x := range l.subs {
			if it.exclude == x.s {
				continue
			}
			k, ok := sh.pendOf[x.s]
			if !ok {
				k = int32(len(sh.pend))
				sh.pendOf[x.s] = k
				if int(k) < cap(sh.pend) {
					sh.pend = sh.pend[:k+1]
				} else {
					sh.pend = append(sh.pend, pending{})
				}
				sh.pend[k].s = x.s
			}
			sh.pend[k].fs = append(sh.pend[k].fs, it.f)
		}
	}
	var delivered, dropped, closed uint64
	for k := range sh.pend {
		p := &sh.pend[k]
		res := sh.res[:len(p.fs)]
		deliver(p.s, p.fs, res, sh.iov)
		for _, r := range res {
			switch r {
			case push.Written:
				delivered++
			case push.Dropped:
				dropped++
			case push.Closed:
				closed++
			}
		}
		clear(p.fs)
		p.fs, p.s = p.fs[:0], nil
	}
	sh.pend = sh.pend[:0]
	clear(sh.pendOf)
	for i := range batch {
		batch[i].f.Release()
	}
	sh.hub.count(delivered, dropped, closed)
}

// publish writes the frames of consecutive publishes to one topic to each of
// the topic's subscribers on this shard, one write per subscriber, and gives
// up the shard's reference to each frame.
func (sh *shard) publish(batch []item) {
	fs := sh.fs[:0]
	excl := false
	for i := range batch {
		fs = append(fs, batch[i].f)
		excl = excl || batch[i].exclude != nil
	}
	var delivered, dropped, closed uint64
	if l := sh.lists[batch[0].t]; l != nil {
		for _, x := range l.subs {
			mine := fs
			if excl {
				mine = sh.own[:0]
				for i := range batch {
					if batch[i].exclude != x.s {
						mine = append(mine, batch[i].f)
					}
				}
				if len(mine) == 0 {
					continue
				}
			}
			res := sh.res[:len(mine)]
			deliver(x.s, mine, res, sh.iov)
			for _, r := range res {
				switch r {
				case push.Written:
					delivered++
				case push.Dropped:
					dropped++
				case push.Closed:
					closed++
				}
			}
		}
	}
	for _, f := range fs {
		f.Release()
	}
	clear(fs)
	sh.hub.count(delivered, dropped, closed)
}

// count adds a batch's outcomes to the hub's statistics.
func (h *Hub) count(delivered, dropped, closed uint64) {
	if delivered > 0 {
		h.delivered.Add(delivered)
	}
	if dropped > 0 {
		h.dropped.Add(dropped)
	}
	if closed > 0 {
		h.closed.Add(closed)
	}
}
