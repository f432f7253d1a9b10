package conformance_test

import (
	"fmt"
	"strings"

	"github.com/surgews/surge/frame"
)

// deflateCases are a representative part of Autobahn section 12 (messages
// of growing size over permessage-deflate, RFC 7692; 1000 messages per case
// as in Autobahn) and surge's own checks of the extension's framing rules.
// Section 13 (the other parameter combinations: context takeover, window
// bits) is in cases_pmd_test.go.
func deflateCases() []tcase {
	var out []tcase
	sizes := []int{16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072}
	count := 1000
	if raceEnabled {
		count = 10
	}
	for k, kind := range []struct {
		name string
		op   frame.Opcode
		mk   func(int) []byte
	}{{"text", frame.OpText, prose}, {"binary", frame.OpBinary, binOf}} {
		for i, n := range sizes {
			var fs []wframe
			var want []step
			for j := range count {
				pl := kind.mk(n)
				copy(pl, fmt.Sprintf("%04d", j)) // order is checked too
				fs = append(fs, wframe{fin: true, op: kind.op, payload: pl, compress: true})
				want = append(want, expectMsg(kind.op, pl))
			}
			out = append(out, tcase{id: fmt.Sprintf("12.%d.%d", k+1, i+1), deflate: true, chops: bigChops,
				desc:  fmt.Sprintf("With permessage-deflate, send %d compressed %s messages of %d bytes in a burst; expect them all echoed (compressed) in order.", count, kind.name, n),
				steps: seq(send(fs...), want, normalClose())})
		}
	}
	text := prose(3000)
	z := compress(text)
	third := len(z) / 3
	cont := func(fin bool, b []byte) wframe { return frag(frame.OpContinuation, fin, b) }
	out = append(out,
		tcase{id: "S.12.1", deflate: true,
			desc: "With permessage-deflate, send a compressed message in 3 fragments, RSV1 on the first only (RFC 7692 §6.1); expect it echoed.",
			steps: seq(send(wframe{op: frame.OpText, rsv: frame.Rsv1, payload: z[:third]}, cont(false, z[third:2*third]), cont(true, z[2*third:])),
				expectMsg(frame.OpText, text), normalClose())},
		tcase{id: "S.12.2", deflate: true,
			desc:  "With permessage-deflate, send an uncompressed message (RSV1 clear); expect it echoed.",
			steps: seq(send(textB(text)), expectMsg(frame.OpText, text), normalClose())},
		tcase{id: "S.12.3", deflate: true,
			desc: "With permessage-deflate, send a compressed message with RSV1 also set on a continuation frame (RFC 7692 §6.1); expect close 1002.",
			steps: seq(send(wframe{op: frame.OpText, rsv: frame.Rsv1, payload: z[:third]}, wframe{op: frame.OpContinuation, fin: true, rsv: frame.Rsv1, payload: z[third:]}),
				failWith(frame.CloseProtocolError))},
		tcase{id: "S.12.4", deflate: true,
			desc:  "With permessage-deflate, send a ping with RSV1 set (RFC 7692 §6: control frames are never compressed); expect close 1002.",
			steps: seq(send(wframe{fin: true, op: frame.OpPing, rsv: frame.Rsv1, payload: []byte("ping")}), failWith(frame.CloseProtocolError))},
		tcase{id: "S.12.5", deflate: true,
			desc:  "With permessage-deflate, send a compressed text message that inflates to invalid UTF-8; expect close 1007.",
			steps: seq(send(wframe{fin: true, op: frame.OpText, payload: []byte("valid, then \xed\xa0\x80"), compress: true}), failWith(frame.CloseInvalidPayload))},
		tcase{id: "S.12.6", deflate: true,
			desc:  "With permessage-deflate, send a message with RSV1 whose payload is not DEFLATE data; expect the connection failed (close 1002 or 1007).",
			steps: seq(send(wframe{fin: true, op: frame.OpBinary, rsv: frame.Rsv1, payload: []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x01}}), failWith(frame.CloseProtocolError, frame.CloseInvalidPayload))},
	)
	return out
}

// prose returns n bytes of compressible ASCII text.
func prose(n int) []byte {
	const line = "The quick brown fox jumps over the lazy dog; permessage-deflate squeezes repeated words. "
	return []byte(strings.Repeat(line, n/len(line)+1)[:n])
}
