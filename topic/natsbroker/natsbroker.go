// Package natsbroker is a topic.Broker over NATS (github.com/nats-io/nats.go):
// the hubs of several processes, each with its own NATS connection, share
// their topics through one NATS server or cluster. Core NATS only: no
// JetStream, no cluster protocol of surge's own.
//
// Each topic is one NATS subject, Subject(prefix, topic). A node subscribes
// to a topic's subject while it has subscribers of the topic, so a message
// reaches each interested node once, however many subscribers it has there;
// the node that publishes delivers to its own subscribers itself, which is
// why the connection must be made with nats.NoEcho.
//
// When the connection drops, nats.go reconnects on its own (per the
// connection's options: MaxReconnects, ReconnectWait) and subscribes again
// to every subject. Meanwhile:
//
//   - local delivery goes on: a publish still reaches the subscribers of its
//     own node;
//   - publishes are kept in nats.go's reconnect buffer (ReconnectBufSize,
//     8 MiB by default) and sent after the reconnection; once it is full,
//     Publish returns nats.ErrReconnectBufExceeded and the message does not
//     leave the node;
//   - messages published by other nodes while this one is cut off are lost
//     for it (core NATS delivers at most once);
//   - the application is told through the connection's own handlers
//     (nats.DisconnectErrHandler, nats.ReconnectHandler, nats.ClosedHandler)
//     and through the errors of topic.Hub.Publish; once nats.go gives up
//     reconnecting, Publish returns nats.ErrConnectionClosed.
//
// docs/pubsub.md has the tested sequence.
package natsbroker

import (
	"errors"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/topic"
)

// defaultPrefix is the subject prefix New uses for "".
const defaultPrefix = "surge.topic"

// errEcho is returned by New for a connection that would hand a node its own
// publishes back.
var errEcho = errors.New("natsbroker: the NATS connection must be made with nats.NoEcho()")

// New returns a broker over nc whose subjects start with prefix ("" means
// "surge.topic"). nc must have been made with nats.NoEcho(); its reconnect
// options and handlers are the application's. The broker does not close
// nc: Close only ends its subscriptions.
func New(nc *nats.Conn, prefix string) (topic.Broker, error) {
	if !nc.Opts.NoEcho {
		return nil, errEcho
	}
	if prefix == "" {
		prefix = defaultPrefix
	}
	return &broker{nc: nc, prefix: prefix, subs: make(map[string]*nats.Subscription), subjects: make(map[string]string)}, nil
}

// broker is the topic.Broker of New.
type broker struct {
	nc      *nats.Conn
	prefix  string
	deliver func(string, frame.Opcode, []byte)

	mu       sync.Mutex
	subs     map[string]*nats.Subscription // topic → its subscription
	subjects map[string]string             // topic → subject, for Publish
}

// maxSubjects bounds the subjects Publish keeps for topics without a
// subscription here, so a stream of one-off topic names cannot grow it.
const maxSubjects = 4096

func (b *broker) Open(deliver func(string, frame.Opcode, []byte)) error {
	b.deliver = deliver
	return nil
}

func (b *broker) Subscribe(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[name] != nil {
		return nil
	}
	sub, err := b.nc.Subscribe(b.subjectLocked(name), func(m *nats.Msg) {
		op, payload, ok := decode(m.Data)
		if ok {
			b.deliver(name, op, payload)
		}
	})
	if err != nil {
		return err
	}
	b.subs[name] = sub
	return nil
}

func (b *broker) Unsubscribe(name string) error {
	b.mu.Lock()
	sub := b.subs[name]
	delete(b.subs, name)
	b.mu.Unlock()
	if sub == nil {
		return nil
	}
	return sub.Unsubscribe()
}

// bufs holds the buffers Publish encodes into; nats.go copies the message
// before Publish returns.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

func (b *broker) Publish(name string, op frame.Opcode, payload []byte) error {
	b.mu.Lock()
	subj := b.subjectLocked(name)
	b.mu.Unlock()
	p := bufs.Get().(*[]byte)
	*p = append(append((*p)[:0], byte(op)), payload...)
	err := b.nc.Publish(subj, *p)
	bufs.Put(p)
	return err
}

func (b *broker) Close() error {
	b.mu.Lock()
	subs := b.subs
	b.subs = make(map[string]*nats.Subscription)
	b.mu.Unlock()
	var err error
	for _, s := range subs {
		err = errors.Join(err, s.Unsubscribe())
	}
	return err
}

// subjectLocked returns the subject of a topic, kept for the next time.
func (b *broker) subjectLocked(name string) string {
	if s, ok := b.subjects[name]; ok {
		return s
	}
	s := Subject(b.prefix, name)
	if len(b.subjects) >= maxSubjects {
		clear(b.subjects)
	}
	b.subjects[name] = s
	return s
}

// decode splits a NATS message into the opcode byte and the payload.
func decode(data []byte) (frame.Opcode, []byte, bool) {
	if len(data) == 0 {
		return 0, nil, false
	}
	op := frame.Opcode(data[0])
	if op != frame.OpText && op != frame.OpBinary {
		return 0, nil, false
	}
	return op, data[1:], true
}

// Subject returns the NATS subject of a topic: prefix, a dot, and the topic
// as one subject token. Bytes other than ASCII letters, digits, '_' and '-'
// are escaped as '%' and two upper-case hex digits ('.' separates tokens,
// '*' and '>' are wildcards, and white space ends a subject in the NATS
// protocol; '%' itself is escaped so that the mapping is one to one). The
// empty topic is the token "%".
//
// A message on the subject is one byte, the WebSocket opcode (1 text,
// 2 binary), followed by the payload; other publishers may send to a topic
// that way.
func Subject(prefix, topic string) string {
	if topic == "" {
		return prefix + ".%"
	}
	b := make([]byte, 0, len(prefix)+1+len(topic))
	b = append(b, prefix...)
	b = append(b, '.')
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
