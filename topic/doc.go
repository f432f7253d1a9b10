// Package topic is surge's publish/subscribe: sessions subscribe to named
// topics on a [Hub], and a publish reaches every subscriber, each message
// encoded once and written to all of them from one shared pooled buffer.
//
// A publish never waits for a subscriber. Subscribers are grouped by the
// event loop that serves them, and each loop is handed one task with its
// share; the loop writes the prepared frame to each of its subscribers
// through the session's own write path, so consecutive publishes to one
// session coalesce into one write (writev) and a slow subscriber meets its
// own Backpressure policy (see [session.Backpressure]): its frame is dropped,
// or it is closed with 1008 (policy violation), and the hub counts both
// ([Hub.Stats]). Sessions without an event loop (net.Conn driver, TLS) are
// written to on the publisher's goroutine, never waiting either.
//
// A session's subscriptions end with it. A [Broker] carries publishes to
// the hubs of other processes: a hub with none is in-process only; package
// topic/natsbroker is one over NATS. The engine knows nothing of topics.
//
// docs/pubsub.md describes the design, the costs and the cluster semantics.
package topic
