package topic

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/push"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// The hooks of package session, asserted once.
var (
	attach  = push.Attach.(func(*session.Session) *push.Member)
	deliver = push.Deliver.(func(*session.Session, []*push.Frame, []push.Result, [][]byte))
	loopOf  = push.LoopOf.(func(*session.Session) seam.Loop)
)

func init() { push.Ended = ended }

// Hub is a set of topics and their subscribers. The zero value is an
// in-process hub ready to use; [NewHub] makes one joined to other processes
// through a [Broker]. All methods are safe for concurrent use, from event
// handlers (inline, on an event loop, or pooled) and from channel-style
// handlers alike: none of them waits for a subscriber. A Hub must not be
// copied after first use.
type Hub struct {
	mu     sync.RWMutex
	topics map[string]*entry    // topics with subscribers on this node
	shards map[seam.Loop]*shard // one per event loop serving subscribers
	direct *shard               // subscribers without an event loop
	broker Broker

	published atomic.Uint64
	delivered atomic.Uint64
	dropped   atomic.Uint64
	closed    atomic.Uint64
}

// Stats are a hub's counters since it was made.
type Stats struct {
	// Published counts the messages this node delivered to its topics:
	// Publish calls it accepted (with or without subscribers here) and
	// messages that arrived from the broker.
	Published uint64
	// Delivered counts frames written to a subscriber or queued in its
	// backlog.
	Delivered uint64
	// Dropped counts frames not delivered because the subscriber's backlog
	// was full under session.BackpressureDrop, or because the subscriber
	// had a fragmented message of its own open.
	Dropped uint64
	// Closed counts subscribers closed with 1008 because their backlog was
	// full (session.BackpressureClose, or twice the limit under
	// session.BackpressureWait).
	Closed uint64
}

// entry is a topic with subscribers on this node, and the shards they are on.
type entry struct {
	name   string
	shards []shardRef
	// pub serializes the publishes of the topic while they are queued on
	// its shards, so that every subscriber on this node sees one order.
	pub sync.Mutex
}

// shardRef counts the subscriptions of a topic on one shard.
type shardRef struct {
	sh *shard
	n  int
}

// sub is one subscription: a session on a topic. hub, s, t and sh are fixed;
// next is guarded by the session's Member lock, idx belongs to the shard's
// runner.
type sub struct {
	hub  *Hub
	s    *session.Session
	t    *entry
	sh   *shard
	next *sub  // the session's next subscription, under its Member's lock
	idx  int32 // position in the shard's list of the topic
}

// NewHub returns a hub whose topics are shared, through b, with the hubs of
// other processes: a publish reaches the topic's subscribers on every node.
// It opens b; see Broker for what a node is told when it loses its broker.
func NewHub(b Broker) (*Hub, error) {
	h := &Hub{broker: b}
	if err := b.Open(h.fromBroker); err != nil {
		return nil, err
	}
	return h, nil
}

// Close closes the hub's broker, if any: publishes stay on this node from
// then on. Subscriptions are kept.
func (h *Hub) Close() error {
	h.mu.Lock()
	b := h.broker
	h.broker = nil
	h.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Close()
}

// Subscribe subscribes s to the topic name; subscribing twice is one
// subscription. The subscription ends with Unsubscribe or when s ends. It
// returns net.ErrClosed for a session that has ended, and the broker's error
// if the broker refused the topic.
func (h *Hub) Subscribe(s *session.Session, name string) error {
	m := attach(s)
	if m == nil {
		return net.ErrClosed
	}
	m.Mu.Lock()
	defer m.Mu.Unlock()
	if m.Done {
		return net.ErrClosed
	}
	first, _ := m.First.(*sub)
	for x := first; x != nil; x = x.next {
		if x.hub == h && x.t.name == name {
			return nil
		}
	}
	loop := loopOf(s)
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[name]
	if t == nil {
		if h.broker != nil {
			// Before the topic exists here, so that a refusal leaves
			// nothing behind.
			if err := h.broker.Subscribe(name); err != nil {
				return err
			}
		}
		if h.topics == nil {
			h.topics = make(map[string]*entry)
		}
		t = &entry{name: name}
		h.topics[name] = t
	}
	sh := h.shardLocked(loop)
	t.add(sh)
	x := &sub{hub: h, s: s, t: t, sh: sh, next: first}
	m.First = x
	sh.enqueue(item{kind: opSub, t: t, sub: x})
	return nil
}

// Unsubscribe ends the subscription of s to the topic name, if there is one.
func (h *Hub) Unsubscribe(s *session.Session, name string) {
	m := attach(s)
	if m == nil {
		return // ended: its subscriptions are gone
	}
	m.Mu.Lock()
	defer m.Mu.Unlock()
	var prev *sub
	first, _ := m.First.(*sub)
	for x := first; x != nil; prev, x = x, x.next {
		if x.hub != h || x.t.name != name {
			continue
		}
		if prev == nil {
			m.First = x.next
		} else {
			prev.next = x.next
		}
		h.drop(x)
		return
	}
}

// ended drops every subscription of a session that has ended (push.Ended).
func ended(m *push.Member) {
	m.Mu.Lock()
	first, _ := m.First.(*sub)
	m.First, m.Done = nil, true
	m.Mu.Unlock()
	for x := first; x != nil; x = x.next {
		x.hub.drop(x)
	}
}

// drop removes a subscription from its topic and its shard.
func (h *Hub) drop(x *sub) {
	h.mu.Lock()
	t := x.t
	if t.remove(x.sh) && h.topics[t.name] == t {
		delete(h.topics, t.name)
		if h.broker != nil {
			// Nothing to do about a failure: interest in a subject
			// with no subscriber here only costs the traffic.
			_ = h.broker.Unsubscribe(t.name)
		}
	}
	x.sh.enqueue(item{kind: opUnsub, t: t, sub: x})
	h.mu.Unlock()
}

// shardLocked returns the shard of loop, making it on first use.
func (h *Hub) shardLocked(loop seam.Loop) *shard {
	if loop == nil {
		if h.direct == nil {
			h.direct = newShard(h, nil)
		}
		return h.direct
	}
	sh := h.shards[loop]
	if sh == nil {
		if h.shards == nil {
			h.shards = make(map[seam.Loop]*shard)
		}
		sh = newShard(h, loop)
		h.shards[loop] = sh
	}
	return sh
}

// add counts one more subscription on sh.
func (t *entry) add(sh *shard) {
	for i := range t.shards {
		if t.shards[i].sh == sh {
			t.shards[i].n++
			return
		}
	}
	t.shards = append(t.shards, shardRef{sh: sh, n: 1})
}

// remove counts one subscription less on sh; it reports whether the topic
// has no subscriber left on this node.
func (t *entry) remove(sh *shard) bool {
	for i := range t.shards {
		if t.shards[i].sh != sh {
			continue
		}
		if t.shards[i].n--; t.shards[i].n == 0 {
			t.shards = append(t.shards[:i], t.shards[i+1:]...)
		}
		break
	}
	return len(t.shards) == 0
}

// Publish sends a message to every subscriber of the topic name but
// exclude (which may be nil), on this node and, through the hub's broker,
// on every other. op is frame.OpText or frame.OpBinary; payload is copied
// before Publish returns, so the caller may reuse it.
//
// Publish encodes the frame once and hands it to the event loops of the
// subscribers; it returns before they have written it, and never waits for
// a subscriber. It returns an error wrapping session.ErrInvalidFrame for
// another opcode or a text payload that is not UTF-8, and the broker's error
// when the message could not be handed to the broker (it was delivered on
// this node even so).
func (h *Hub) Publish(name string, op frame.Opcode, payload []byte, exclude *session.Session) error {
	switch {
	case op != frame.OpText && op != frame.OpBinary:
		return errOpcode
	case op == frame.OpText && !frame.ValidUTF8(payload):
		return errUTF8
	}
	h.local(name, op, payload, exclude)
	h.mu.RLock()
	b := h.broker
	h.mu.RUnlock()
	if b != nil {
		return b.Publish(name, op, payload)
	}
	return nil
}

// fromBroker delivers a message published on another node.
func (h *Hub) fromBroker(name string, op frame.Opcode, payload []byte) {
	if op != frame.OpText && op != frame.OpBinary || op == frame.OpText && !frame.ValidUTF8(payload) {
		return // not from a surge hub: nothing a subscriber could be sent
	}
	h.local(name, op, payload, nil)
}

// local delivers a message to the subscribers on this node.
func (h *Hub) local(name string, op frame.Opcode, payload []byte, exclude *session.Session) {
	h.published.Add(1)
	h.mu.RLock()
	t := h.topics[name]
	if t == nil {
		h.mu.RUnlock()
		return
	}
	f := push.NewFrame(op, payload)
	if n := len(t.shards); n > 1 {
		f.Retain(int32(n - 1))
	}
	t.pub.Lock()
	for _, r := range t.shards {
		r.sh.enqueue(item{kind: opPub, t: t, f: f, exclude: exclude})
	}
	t.pub.Unlock()
	h.mu.RUnlock()
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	return Stats{
		Published: h.published.Load(),
		Delivered: h.delivered.Load(),
		Dropped:   h.dropped.Load(),
		Closed:    h.closed.Load(),
	}
}
