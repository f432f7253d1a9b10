package seam

// Runner is work posted to an event loop; Run is called on the loop's
// goroutine. Posting a pointer that implements Runner allocates nothing,
// where posting a closure would.
type Runner interface {
	Run()
}

// Loop is the event loop that serves a session: the topic package groups a
// publish's subscribers by their Loop and posts each loop one Runner with its
// share, instead of writing to every subscriber from the publisher.
type Loop interface {
	// Post queues r to run on the loop's goroutine. On a loop that has
	// stopped, r runs at once on the caller's goroutine, so that whatever
	// it holds is released; its sessions are closed by then.
	Post(r Runner)
}

// LoopDriver is implemented by a Driver whose session is served by an event
// loop. A driver without one (net.Conn, the tests' pipes) has its sessions'
// deliveries made on the publisher's goroutine.
type LoopDriver interface {
	Loop() Loop
}

// VectorWriter is implemented by a Driver that can write several buffers in
// one system call (writev). Like Write it never blocks and must not keep
// the buffers.
type VectorWriter interface {
	Writev(bufs [][]byte) (int, error)
}

// PairWriter is implemented by a Driver that can write two buffers in one
// system call: a frame's header, behind whatever the session has batched,
// and a large payload, which the session then writes from the caller's bytes
// instead of copying it. Like Write it never blocks and must not keep the
// buffers. Two slices by value, unlike VectorWriter's slice of slices, need
// no array that would escape to the heap on every call.
type PairWriter interface {
	WritePair(a, b []byte) (int, error)
}
