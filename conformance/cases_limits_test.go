package conformance_test

import (
	"encoding/binary"
	"fmt"

	"github.com/surgews/surge/frame"
)

// limitCases are Autobahn sections 9 (limits and performance, at Autobahn's
// sizes; smaller under the race detector) and 10 (miscellaneous).
func limitCases() []tcase {
	var out []tcase
	kinds := []struct {
		name string
		op   frame.Opcode
		mk   func(int) []byte
	}{{"text", frame.OpText, bytesOf}, {"binary", frame.OpBinary, binOf}}
	// 9.1, 9.2: one big message, Autobahn's sizes.
	for k, kind := range kinds {
		sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
		if raceEnabled {
			sizes = []int{64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20}
		}
		for i, n := range sizes {
			pl := kind.mk(n)
			out = append(out, tcase{id: fmt.Sprintf("9.%d.%d", k+1, i+1),
				desc:  fmt.Sprintf("Send a %s message of %s; expect it echoed.", kind.name, size(n)),
				steps: seq(send(wframe{fin: true, op: kind.op, payload: pl}), expectMsg(kind.op, pl), normalClose()),
				chops: bigChops})
		}
	}
	// 9.3, 9.4: a 4 MiB message fragmented into frames of growing size.
	fragMsg := 4 << 20
	if raceEnabled {
		fragMsg = 256 << 10
	}
	for k, kind := range kinds {
		pl := kind.mk(fragMsg)
		for i, fs := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20} {
			out = append(out, tcase{id: fmt.Sprintf("9.%d.%d", k+3, i+1),
				desc:  fmt.Sprintf("Send a %s message of %s in frames of %s; expect it echoed joined.", kind.name, size(fragMsg), size(fs)),
				steps: seq(send(fragments(kind.op, pl, fs)...), expectMsg(kind.op, pl), normalClose()),
				chops: []int{0}})
		}
	}
	// 9.5, 9.6: a 1 MiB message written in chops of growing size.
	chopMsg := 1 << 20
	if raceEnabled {
		chopMsg = 64 << 10
	}
	for k, kind := range kinds {
		pl := kind.mk(chopMsg)
		for i, c := range []int{64, 128, 256, 512, 1024, 2048} {
			out = append(out, tcase{id: fmt.Sprintf("9.%d.%d", k+5, i+1),
				desc:  fmt.Sprintf("Send a %s message of %s in %d-byte writes; expect it echoed.", kind.name, size(chopMsg), c),
				steps: seq(send(wframe{fin: true, op: kind.op, payload: pl}), expectMsg(kind.op, pl), normalClose()),
				chops: []int{c}, fullChop: true})
		}
	}
	// 9.7, 9.8: many small messages in one burst.
	burst := 1000
	if raceEnabled {
		burst = 200
	}
	for k, kind := range kinds {
		for i, n := range []int{0, 16, 64, 256, 1024, 4096} {
			var fs []wframe
			var want []step
			for j := range burst {
				pl := kind.mk(n)
				if n >= 4 {
					binary.BigEndian.PutUint32(pl, uint32(j)) // order is checked too
					if kind.op == frame.OpText {
						copy(pl, fmt.Sprintf("%04d", j))
					}
				}
				fs = append(fs, wframe{fin: true, op: kind.op, payload: pl})
				want = append(want, expectMsg(kind.op, pl))
			}
			out = append(out, tcase{id: fmt.Sprintf("9.%d.%d", k+7, i+1),
				desc:  fmt.Sprintf("Send %d %s messages of %d bytes in one burst; expect them all echoed in order.", burst, kind.name, n),
				steps: seq(send(fs...), want, normalClose()),
				chops: bigChops})
		}
	}
	pl := bytesOf(65536)
	out = append(out, tcase{id: "10.1.1", desc: "Send a text message of 65536 bytes in frames of 1300 bytes; expect it echoed as one message.",
		steps: seq(send(fragments(frame.OpText, pl, 1300)...), expectMsg(frame.OpText, pl), normalClose())})
	return out
}

// fragments splits payload into frames of at most n bytes.
func fragments(op frame.Opcode, payload []byte, n int) []wframe {
	var fs []wframe
	for off := 0; off < len(payload) || off == 0; off += n {
		end := min(off+n, len(payload))
		o := op
		if off > 0 {
			o = frame.OpContinuation
		}
		fs = append(fs, wframe{fin: end == len(payload), op: o, payload: payload[off:end]})
		if end == len(payload) {
			break
		}
	}
	return fs
}

// size renders a byte count as Autobahn's descriptions do.
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
