package conformance_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/surgews/surge/frame"
)

// closeCases are Autobahn section 7: the closing handshake (RFC 6455 §5.5.1,
// §7): a close is answered once, nothing is handled after it, close
// payloads are checked (length, code §7.4, UTF-8 reason §5.5.1 → 1007).
func closeCases() []tcase {
	hello := "Hello World!"
	whole := []int{0} // the frames after a close must reach surge in the same read as the close
	big := bytesOf(256 << 10)
	out := []tcase{
		{id: "7.1.1", desc: "Send a text message, then a close; expect the echo, then close 1000.",
			steps: seq(send(text(hello)), expectText(hello), normalClose())},
		{id: "7.1.2", desc: "Send two close frames; expect one close 1000, then TCP closed.",
			steps: seq(send(closeFrame(frame.CloseNormal, ""), closeFrame(frame.CloseNormal, "")), expectClose(frame.CloseNormal), closed()),
			chops: whole},
		{id: "7.1.3", desc: "Send a close, then a ping; expect close 1000 and no pong.",
			steps: seq(send(closeFrame(frame.CloseNormal, ""), ping([]byte(hello))), expectClose(frame.CloseNormal), closed()),
			chops: whole},
		{id: "7.1.4", desc: "Send a close, then a text message; expect close 1000 and no echo.",
			steps: seq(send(closeFrame(frame.CloseNormal, ""), text(hello)), expectClose(frame.CloseNormal), closed()),
			chops: whole},
		{id: "7.1.5", desc: "Send a first fragment, a close, then the final fragment; expect close 1000 and no echo.",
			steps: seq(send(frag(frame.OpText, false, []byte("fragment1")), closeFrame(frame.CloseNormal, ""),
				frag(frame.OpContinuation, true, []byte("fragment2"))), expectClose(frame.CloseNormal), closed()),
			chops: whole},
		{id: "7.1.6", desc: "Send a 256 KiB text message, a close, then a ping; expect the echo (if the echo was already queued) and close 1000, no pong.",
			steps: seq(send(textB(big), closeFrame(frame.CloseNormal, ""), ping([]byte(hello))), echoThenClose(big), closed()),
			chops: whole},
		{id: "7.3.1", desc: "Send a close with an empty payload; expect a close with an empty payload or 1000.",
			steps: seq(send(closeRaw(nil)), expectClose(frame.CloseNoStatus, frame.CloseNormal), closed())},
		{id: "7.3.2", desc: "Send a close with a 1-byte payload; expect close 1002.",
			steps: seq(send(closeRaw([]byte{0x03})), failWith(frame.CloseProtocolError))},
		{id: "7.3.3", desc: "Send a close 1000 without reason; expect close 1000.",
			steps: seq(send(closeFrame(frame.CloseNormal, "")), expectClose(frame.CloseNormal), closed())},
		{id: "7.3.4", desc: "Send a close 1000 with a short reason; expect close 1000.",
			steps: seq(send(closeFrame(frame.CloseNormal, hello)), expectClose(frame.CloseNormal), closed())},
		{id: "7.3.5", desc: "Send a close 1000 with a 123-byte reason (125-byte payload); expect close 1000.",
			steps: seq(send(closeFrame(frame.CloseNormal, strings.Repeat("*", 123))), expectClose(frame.CloseNormal), closed())},
		{id: "7.3.6", desc: "Send a close 1000 with a 124-byte reason (126-byte payload); expect close 1002.",
			steps: seq(send(closeRaw(append(frame.AppendClose(nil, frame.CloseNormal, ""), strings.Repeat("*", 124)...))),
				failWith(frame.CloseProtocolError))},
		{id: "7.5.1", desc: "Send a close 1000 whose reason is invalid UTF-8; expect close 1007.",
			steps: seq(send(closeRaw(append(frame.AppendClose(nil, frame.CloseNormal, ""), kosme+"\xed\xa0\x80edited"...))),
				failWith(frame.CloseInvalidPayload))},
	}
	for i, c := range []frame.CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		out = append(out, tcase{id: fmt.Sprintf("7.7.%d", i+1), desc: fmt.Sprintf("Send a close with valid code %d; expect close %d or 1000.", c, c),
			steps: seq(send(closeFrame(c, "")), expectClose(c, frame.CloseNormal), closed())})
	}
	for i, c := range []frame.CloseCode{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		out = append(out, tcase{id: fmt.Sprintf("7.9.%d", i+1), desc: fmt.Sprintf("Send a close with invalid code %d; expect close 1002.", c),
			steps: seq(send(closeRaw(binary.BigEndian.AppendUint16(nil, uint16(c)))), failWith(frame.CloseProtocolError))})
	}
	for i, c := range []frame.CloseCode{5000, 65535} {
		out = append(out, tcase{id: fmt.Sprintf("7.13.%d", i+1), desc: fmt.Sprintf("Send a close with code %d (out of range); expect close 1002.", c),
			steps: seq(send(closeRaw(binary.BigEndian.AppendUint16(nil, uint16(c)))), failWith(frame.CloseProtocolError))})
	}
	return out
}

// echoThenClose accepts, as Autobahn 7.1.6 does, either the echo of payload
// followed by close 1000, or close 1000 alone when the close overtook a
// handler that had not sent the echo yet. A partial echo is an error.
func echoThenClose(payload []byte) step {
	return func(p *peer) error {
		h, pl, err := p.readMessage(readTimeout)
		if err != nil {
			return err
		}
		if h.Op == frame.OpText {
			if string(pl) != string(payload) {
				return errors.New("the echo differs from the message")
			}
			h, pl, err = p.readFrame(readTimeout)
			if err != nil {
				return err
			}
		}
		if h.Op != frame.OpClose {
			return fmt.Errorf("expected close 1000, got %s", describe(h, pl))
		}
		code, _, _ := frame.ParseClose(pl)
		p.noteClose(true, code)
		if code != frame.CloseNormal {
			return fmt.Errorf("expected close 1000, got %d", code)
		}
		return nil
	}
}
