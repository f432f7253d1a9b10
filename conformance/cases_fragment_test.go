package conformance_test

import (
	"time"

	"github.com/surgews/surge/frame"
)

// fragmentCases are Autobahn section 5: fragmented messages are joined
// (RFC 6455 §5.4), control frames may come between fragments but may not be
// fragmented, and continuations without an open message, or a new message
// inside an open one, fail the connection with 1002.
func fragmentCases() []tcase {
	f1, f2 := []byte("fragment1"), []byte("fragment2")
	joined := "fragment1fragment2"
	pp := []byte("ping payload")
	cont := func(fin bool, b []byte) wframe { return frag(frame.OpContinuation, fin, b) }
	two := []wframe{frag(frame.OpText, false, f1), cont(true, f2)}
	withPing := []wframe{frag(frame.OpText, false, f1), ping(pp), cont(true, f2)}
	noCont := []wframe{cont(true, []byte("non-continuation payload")), text("Hello, world!")}
	noContOpen := []wframe{cont(false, []byte("non-continuation payload")), text("Hello, world!")}
	octet := []int{1}
	return []tcase{
		{id: "5.1", desc: "Send a ping in 2 fragments; expect close 1002.",
			steps: seq(send(frag(frame.OpPing, false, f1), cont(true, f2)), failWith(frame.CloseProtocolError))},
		{id: "5.2", desc: "Send a pong in 2 fragments; expect close 1002.",
			steps: seq(send(frag(frame.OpPong, false, f1), cont(true, f2)), failWith(frame.CloseProtocolError))},
		{id: "5.3", desc: "Send a text message in 2 fragments; expect the joined message echoed.",
			steps: seq(send(two...), expectText(joined), normalClose())},
		{id: "5.4", desc: "As 5.3, each frame its own write.",
			steps: seq(sendEach(two...), expectText(joined), normalClose())},
		{id: "5.5", desc: "As 5.3, in 1-byte writes.",
			steps: seq(send(two...), expectText(joined), normalClose()), chops: octet, fullChop: true},
		{id: "5.6", desc: "Send a text message in 2 fragments with a ping between them; expect the pong, then the joined message.",
			steps: seq(send(withPing...), expectPong(pp), expectText(joined), normalClose())},
		{id: "5.7", desc: "As 5.6, each frame its own write.",
			steps: seq(sendEach(withPing...), expectPong(pp), expectText(joined), normalClose())},
		{id: "5.8", desc: "As 5.6, in 1-byte writes.",
			steps: seq(send(withPing...), expectPong(pp), expectText(joined), normalClose()), chops: octet, fullChop: true},
		{id: "5.9", desc: "Send a final continuation with nothing to continue, then a text message; expect close 1002.",
			steps: seq(send(noCont...), failWith(frame.CloseProtocolError))},
		{id: "5.10", desc: "As 5.9, each frame its own write.",
			steps: seq(sendEach(noCont...), failWith(frame.CloseProtocolError))},
		{id: "5.11", desc: "As 5.9, in 1-byte writes.",
			steps: seq(send(noCont...), failWith(frame.CloseProtocolError)), chops: octet, fullChop: true},
		{id: "5.12", desc: "Send a non-final continuation with nothing to continue, then a text message; expect close 1002.",
			steps: seq(send(noContOpen...), failWith(frame.CloseProtocolError))},
		{id: "5.13", desc: "As 5.12, each frame its own write.",
			steps: seq(sendEach(noContOpen...), failWith(frame.CloseProtocolError))},
		{id: "5.14", desc: "As 5.12, in 1-byte writes.",
			steps: seq(send(noContOpen...), failWith(frame.CloseProtocolError)), chops: octet, fullChop: true},
		{id: "5.15", desc: "Send a text message in 2 fragments, then a non-final continuation with nothing to continue, then a text message; expect the echo, then close 1002.",
			steps: seq(send(frag(frame.OpText, false, f1), cont(true, f2), cont(false, []byte("fragment3")), text("fragment4")),
				expectText(joined), failWith(frame.CloseProtocolError))},
		{id: "5.16", desc: "Twice: a non-final continuation with nothing to continue, then a text message in 2 fragments; expect close 1002.",
			steps: seq(send(cont(false, f1), frag(frame.OpText, false, f2), cont(true, []byte("fragment3")),
				cont(false, f1), frag(frame.OpText, false, f2), cont(true, []byte("fragment3"))), failWith(frame.CloseProtocolError))},
		{id: "5.17", desc: "Twice: a final continuation with nothing to continue, then a text message in 2 fragments; expect close 1002.",
			steps: seq(send(cont(true, f1), frag(frame.OpText, false, f2), cont(true, []byte("fragment3")),
				cont(true, f1), frag(frame.OpText, false, f2), cont(true, []byte("fragment3"))), failWith(frame.CloseProtocolError))},
		{id: "5.18", desc: "Send a text message in 2 fragments both with opcode text; expect close 1002.",
			steps: seq(send(frag(frame.OpText, false, f1), frag(frame.OpText, true, f2)), failWith(frame.CloseProtocolError))},
		{id: "5.19", desc: "Send 2 text fragments and a ping, pause, 2 more fragments and a ping, then the final fragment; expect each pong when due and the joined message.",
			steps: fragmentsWithPauses(send)},
		{id: "5.20", desc: "As 5.19, each frame its own write.",
			steps: fragmentsWithPauses(sendEach)},
	}
}

// fragmentsWithPauses is the script of cases 5.19 and 5.20: a message open
// across pauses, with pings answered while it is open.
func fragmentsWithPauses(sender func(...wframe) step) []step {
	cont := func(fin bool, s string) wframe { return frag(frame.OpContinuation, fin, []byte(s)) }
	p1, p2 := []byte("pongme 1!"), []byte("pongme 2!")
	return seq(
		sender(frag(frame.OpText, false, []byte("fragment1")), cont(false, "fragment2"), ping(p1)),
		expectPong(p1),
		pause(200*time.Millisecond),
		sender(cont(false, "fragment3"), cont(false, "fragment4"), ping(p2)),
		expectPong(p2),
		pause(200*time.Millisecond),
		sender(cont(true, "fragment5")),
		expectText("fragment1fragment2fragment3fragment4fragment5"),
		normalClose(),
	)
}
