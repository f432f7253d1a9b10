package topic

import "github.com/surgews/surge/frame"

// Broker carries the publishes of a Hub to the hubs of other processes (the
// nodes of a cluster) and theirs to it. A hub calls Subscribe when a topic
// gets its first subscriber on this node and Unsubscribe when it loses its
// last, so a node receives only the topics it has subscribers for, each
// message once whatever the number of subscribers. A hub delivers its own
// publishes on its node itself: a broker must not hand them back.
//
// A broker that loses its connection is expected to restore it and its
// subscriptions on its own; messages published elsewhere meanwhile may be
// lost (subscribers are not told), and Publish reports what it could not
// hand over. topic/natsbroker documents what its NATS implementation does.
type Broker interface {
	// Open starts the broker; from then on it calls deliver, from any
	// goroutine, with every message published on another node to a topic
	// it subscribes to. payload is valid only during the call.
	Open(deliver func(topic string, op frame.Opcode, payload []byte)) error
	// Subscribe asks for the messages of topic.
	Subscribe(topic string) error
	// Unsubscribe stops the messages of topic.
	Unsubscribe(topic string) error
	// Publish sends a message (op is frame.OpText or frame.OpBinary) to
	// the other nodes. It must not keep payload.
	Publish(topic string, op frame.Opcode, payload []byte) error
	// Close stops the broker.
	Close() error
}
