package conformance_test

import (
	"fmt"

	"github.com/surgews/surge/frame"
)

// framingCases are Autobahn section 1: messages of every length form
// (RFC 6455 §5.2: 7-bit, 16-bit and 64-bit lengths) echoed intact.
func framingCases() []tcase {
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536}
	var out []tcase
	for k, kind := range []struct {
		name string
		op   frame.Opcode
		mk   func(int) []byte
	}{{"text", frame.OpText, bytesOf}, {"binary", frame.OpBinary, binOf}} {
		for i, n := range sizes {
			pl := kind.mk(n)
			out = append(out, tcase{
				id:    fmt.Sprintf("1.%d.%d", k+1, i+1),
				desc:  fmt.Sprintf("Send a %s message with a payload of %d bytes; expect it echoed.", kind.name, n),
				steps: seq(send(wframe{fin: true, op: kind.op, payload: pl}), expectMsg(kind.op, pl), normalClose()),
			})
		}
		pl := kind.mk(65536)
		out = append(out, tcase{
			id:    fmt.Sprintf("1.%d.8", k+1),
			desc:  fmt.Sprintf("Send a %s message of 65536 bytes in 997-byte writes; expect it echoed.", kind.name),
			steps: seq(send(wframe{fin: true, op: kind.op, payload: pl}), expectMsg(kind.op, pl), normalClose()),
			chops: []int{997}, fullChop: true,
		})
	}
	return out
}

// pingCases are Autobahn section 2: pings answered by pongs with the same
// payload (RFC 6455 §5.5.2, §5.5.3), oversized pings refused (§5.5),
// unsolicited pongs ignored.
func pingCases() []tcase {
	bin8 := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	b125, b126 := binOf(125), binOf(126)
	var pings []step
	var pongs []step
	for i := range 10 {
		pl := fmt.Appendf(nil, "payload-%d", i)
		pings = append(pings, send(ping(pl)))
		pongs = append(pongs, expectPong(pl))
	}
	var tenPings []wframe
	for i := range 10 {
		tenPings = append(tenPings, ping(fmt.Appendf(nil, "payload-%d", i)))
	}
	return []tcase{
		{id: "2.1", desc: "Send a ping without payload; expect a pong without payload.",
			steps: seq(send(ping(nil)), expectPong(nil), normalClose())},
		{id: "2.2", desc: "Send a ping with a small text payload; expect a pong with the same payload.",
			steps: seq(send(ping([]byte("Hello, world!"))), expectPong([]byte("Hello, world!")), normalClose())},
		{id: "2.3", desc: "Send a ping with a small binary (non UTF-8) payload; expect a pong with the same payload.",
			steps: seq(send(ping(bin8)), expectPong(bin8), normalClose())},
		{id: "2.4", desc: "Send a ping with a 125-byte binary payload; expect a pong with the same payload.",
			steps: seq(send(ping(b125)), expectPong(b125), normalClose())},
		{id: "2.5", desc: "Send a ping with a 126-byte payload (over the control frame limit); expect close 1002.",
			steps: seq(send(ping(b126)), failWith(frame.CloseProtocolError))},
		{id: "2.6", desc: "Send a ping with a 125-byte payload in 1-byte writes; expect a pong with the same payload.",
			steps: seq(send(ping(b125)), expectPong(b125), normalClose()), chops: []int{1}, fullChop: true},
		{id: "2.7", desc: "Send an unsolicited pong without payload; expect nothing, then a normal close.",
			steps: seq(send(pong(nil)), quiet(), normalClose())},
		{id: "2.8", desc: "Send an unsolicited pong with payload; expect nothing, then a normal close.",
			steps: seq(send(pong([]byte("unsolicited pong payload"))), quiet(), normalClose())},
		{id: "2.9", desc: "Send an unsolicited pong, then a ping; expect a pong for the ping only.",
			steps: seq(send(pong([]byte("unsolicited pong payload")), ping([]byte("ping payload"))),
				expectPong([]byte("ping payload")), quiet(), normalClose())},
		{id: "2.10", desc: "Send 10 pings back to back; expect 10 pongs with the payloads in order.",
			steps: seq(send(tenPings...), pongs, normalClose())},
		{id: "2.11", desc: "Send 10 pings, each its own write (1-byte writes in chopped variants); expect 10 pongs in order.",
			steps: seq(pings, pongs, normalClose())},
	}
}

// rsvFrame sets the Autobahn-style RSV value (0..7, RSV1 the high bit).
func rsvFrame(f wframe, rsv byte) wframe {
	f.rsv = rsv << 4
	return f
}

// rsvCases are Autobahn section 3: RSV bits without a negotiated extension
// fail the connection with 1002 (RFC 6455 §5.2), after the frames before
// them were handled and before the frames after them are.
func rsvCases() []tcase {
	hello := "Hello, world!"
	return []tcase{
		{id: "3.1", desc: "Send a small text message with RSV = 1; expect close 1002.",
			steps: seq(send(rsvFrame(text(hello), 1)), failWith(frame.CloseProtocolError))},
		{id: "3.2", desc: "Send a small text message, the same with RSV = 2, then a ping; expect the echo of the first, close 1002, no pong.",
			steps: seq(send(text(hello), rsvFrame(text(hello), 2), ping([]byte(hello))), expectText(hello), failWith(frame.CloseProtocolError))},
		{id: "3.3", desc: "As 3.2 with RSV = 3, each frame its own write.",
			steps: seq(sendEach(text(hello), rsvFrame(text(hello), 3), ping([]byte(hello))), expectText(hello), failWith(frame.CloseProtocolError))},
		{id: "3.4", desc: "As 3.2 with RSV = 4, in 1-byte writes.",
			steps: seq(send(text(hello), rsvFrame(text(hello), 4), ping([]byte(hello))), expectText(hello), failWith(frame.CloseProtocolError)),
			chops: []int{1}, fullChop: true},
		{id: "3.5", desc: "Send a small binary message with RSV = 5; expect close 1002.",
			steps: seq(send(rsvFrame(binMsg(binOf(8)), 5)), failWith(frame.CloseProtocolError))},
		{id: "3.6", desc: "Send a ping with RSV = 6; expect close 1002 and no pong.",
			steps: seq(send(rsvFrame(ping([]byte(hello)), 6)), failWith(frame.CloseProtocolError))},
		{id: "3.7", desc: "Send a close with RSV = 7; expect close 1002.",
			steps: seq(send(rsvFrame(closeFrame(frame.CloseNormal, ""), 7)), failWith(frame.CloseProtocolError))},
	}
}

// opcodeCases are Autobahn section 4: reserved opcodes fail the
// connection with 1002 (RFC 6455 §5.2, §11.8).
func opcodeCases() []tcase {
	hello := "Hello, world!"
	var out []tcase
	for g, ops := range [][]frame.Opcode{{3, 4, 5, 6, 7}, {11, 12, 13, 14, 15}} {
		kind := "non-control"
		if g == 1 {
			kind = "control"
		}
		for i, op := range ops {
			id := fmt.Sprintf("4.%d.%d", g+1, i+1)
			switch i {
			case 0:
				out = append(out, tcase{id: id,
					desc:  fmt.Sprintf("Send a frame with reserved %s opcode %d, no payload; expect close 1002.", kind, op),
					steps: seq(send(wframe{fin: true, op: op}), failWith(frame.CloseProtocolError))})
			case 1:
				out = append(out, tcase{id: id,
					desc:  fmt.Sprintf("Send a frame with reserved %s opcode %d and a payload; expect close 1002.", kind, op),
					steps: seq(send(wframe{fin: true, op: op, payload: []byte("reserved opcode payload")}), failWith(frame.CloseProtocolError))})
			default:
				var pl []byte
				if i > 2 {
					pl = []byte("reserved opcode payload")
				}
				out = append(out, tcase{id: id,
					desc: fmt.Sprintf("Send a small text message, a frame with reserved %s opcode %d, then a ping; expect the echo, close 1002, no pong.", kind, op),
					steps: seq(send(text(hello), wframe{fin: true, op: op, payload: pl}, ping([]byte(hello))),
						expectText(hello), failWith(frame.CloseProtocolError))})
			}
		}
	}
	return out
}
