package conformance_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/surgews/surge/frame"
)

// surgeLimit is MaxMessageSize in the S cases that test it.
const surgeLimit = 1024

// surgeCases cover rules Autobahn does not reach (or reaches only from one
// side): the mask bit's direction, length overflow, message size limits,
// IANA-registered close codes and the client's side of closing TCP.
func surgeCases() []tcase {
	whole := []int{0}
	cont := func(fin bool, b []byte) wframe { return frag(frame.OpContinuation, fin, b) }
	p125 := binOf(125)
	return []tcase{
		{id: "S.1", desc: "Send a frame with the wrong mask bit for its direction (unmasked to a server, masked to a client, RFC 6455 §5.1); expect close 1002.",
			steps: seq(send(wframe{fin: true, op: frame.OpText, payload: []byte("Hello"), flipMask: true}), failWith(frame.CloseProtocolError))},
		{id: "S.2", desc: "Send a header with a 64-bit length whose most significant bit is set (§5.2); expect close 1002 and TCP closed.",
			steps: seq(sendFn(overflowHeader), failWith(frame.CloseProtocolError)), chops: whole},
		{id: "S.3", desc: "With MaxMessageSize 1024, send a 1025-byte text frame; expect close 1009.",
			steps: seq(send(textB(bytesOf(surgeLimit+1))), failWith(frame.CloseMessageTooBig)), limit: surgeLimit},
		{id: "S.4", desc: "With MaxMessageSize 1024, send a message of 3 fragments of 400 bytes; expect close 1009 at the third.",
			steps: seq(send(frag(frame.OpBinary, false, binOf(400)), cont(false, binOf(400)), cont(true, binOf(400))),
				failWith(frame.CloseMessageTooBig)), limit: surgeLimit},
		{id: "S.5", desc: "With MaxMessageSize 1024, send a message of exactly 1024 bytes in 2 fragments; expect it echoed.",
			steps: seq(send(frag(frame.OpText, false, bytesOf(512)), cont(true, bytesOf(512))), expectMsg(frame.OpText, bytesOf(surgeLimit)), normalClose()),
			limit: surgeLimit},
		{id: "S.6", desc: "With MaxMessageSize 1024, send only the header of a 1 GiB binary frame; expect close 1009 at once, without the payload.",
			steps: seq(sendFn(func(p *peer) []byte {
				b := p.encode(wframe{fin: true, op: frame.OpBinary})
				return hugeLength(b, 1<<30)
			}), failWith(frame.CloseMessageTooBig)), limit: surgeLimit, chops: whole},
		{id: "S.7.1", desc: "Send a close with the IANA-registered code 1012 (service restart); expect close 1012 or 1000.",
			steps: seq(send(closeFrame(1012, "")), expectClose(1012, frame.CloseNormal), closed())},
		{id: "S.7.2", desc: "Send a close with the IANA-registered code 1013 (try again later); expect close 1013 or 1000.",
			steps: seq(send(closeFrame(1013, "")), expectClose(1013, frame.CloseNormal), closed())},
		{id: "S.7.3", desc: "Send a close with the IANA-registered code 1014 (bad gateway); expect close 1014 or 1000.",
			steps: seq(send(closeFrame(1014, "")), expectClose(1014, frame.CloseNormal), closed())},
		{id: "S.8", desc: "Send a binary message in 3 fragments with 125-byte pings between them; expect both pongs, then the joined message.",
			steps: seq(send(frag(frame.OpBinary, false, binOf(100)), ping(p125), cont(false, binOf(200)), ping(p125[:7]), cont(true, binOf(300))),
				expectPong(p125), expectPong(p125[:7]), expectMsg(frame.OpBinary, append(append(binOf(100), binOf(200)...), binOf(300)...)), normalClose())},
		{id: "S.9", desc: "Send a 125-byte unsolicited pong between two fragments; expect nothing but the joined message.",
			steps: seq(send(frag(frame.OpText, false, []byte("frag")), pong(p125), cont(true, []byte("ment"))), expectText("fragment"), normalClose())},
		{id: "S.10", desc: "Send a close with code 1000 and a reason, then keep TCP open after the handshake; the client must not close TCP at once but after its CloseTimeout (RFC 6455 §7.1.1).",
			steps: seq(send(closeFrame(frame.CloseNormal, "bye")), expectClose(frame.CloseNormal), clientGivesUp()), only: "client"},
		{id: "S.11", desc: "Send a ping with a 125-byte payload in 1-byte writes while a text message is open; expect the pong, then the message.",
			steps: seq(send(frag(frame.OpText, false, []byte("open ")), ping(p125), cont(true, []byte("message"))),
				expectPong(p125), expectText("open message"), normalClose()), chops: []int{1}, fullChop: true},
	}
}

// sendFn writes bytes computed for this peer (its mask bit and key).
func sendFn(build func(p *peer) []byte) step {
	return func(p *peer) error {
		p.send(build(p))
		return nil
	}
}

// overflowHeader is a text frame header announcing a 64-bit length with the
// most significant bit set, which §5.2 forbids.
func overflowHeader(p *peer) []byte {
	b := p.encode(wframe{fin: true, op: frame.OpText})
	b = hugeLength(b, 1<<30)
	binary.BigEndian.PutUint64(b[2:10], 1<<63|1)
	return b
}

// hugeLength rewrites an empty frame's header b to announce n payload
// bytes in the 64-bit form, keeping its masking key.
func hugeLength(b []byte, n uint64) []byte {
	out := []byte{b[0], b[1]&0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(out[2:10], n)
	return append(out, b[2:]...) // the masking key, if any
}

// clientGivesUp checks, against a client after a normal close handshake
// the server does not finish by closing TCP, that the client waits a while
// and then closes TCP itself within its CloseTimeout.
func clientGivesUp() step {
	return func(p *peer) error {
		p.flush()
		h, pl, err := p.readFrame(quietWindow)
		switch {
		case err == nil:
			return fmt.Errorf("after the close handshake the client sent %s", describe(h, pl))
		case !isTimeout(err):
			return fmt.Errorf("the client closed TCP before the server did (RFC 6455 §7.1.1): %v", err)
		}
		err = p.expectEOF(suiteCloseTimeout + 2*readTimeout/5)
		if err != nil {
			return errors.Join(errors.New("the client did not close TCP after its CloseTimeout"), err)
		}
		return nil
	}
}
