package conformance_test

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/surgews/surge/frame"
)

// kosme is "κόσμε", the multi-byte sample text of the UTF-8 decoder tests.
const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

// utf8Vector is one payload of Autobahn cases 6.5 to 6.23, with whether it
// is valid UTF-8 (RFC 3629, which RFC 6455 §5.6 refers to).
type utf8Vector struct {
	valid bool
	hex   string
}

// utf8Group is one Autobahn subsection of UTF-8 vectors.
type utf8Group struct {
	title   string
	vectors []utf8Vector
}

func ok(hexs ...string) []utf8Vector  { return vectors(true, hexs) }
func bad(hexs ...string) []utf8Vector { return vectors(false, hexs) }
func vectors(valid bool, hexs []string) []utf8Vector {
	out := make([]utf8Vector, len(hexs))
	for i, h := range hexs {
		out[i] = utf8Vector{valid, h}
	}
	return out
}

// utf8Groups lists the vectors of Autobahn 6.5 ... 6.23, taken from Markus
// Kuhn's UTF-8 decoder stress test as Autobahn arranges them. The validity
// of each is stated, not computed, and checked against unicode/utf8 by
// TestUTF8Vectors.
func utf8Groups() []utf8Group {
	hexOf := func(s string) string { return hex.EncodeToString([]byte(s)) }
	var prefixes []utf8Vector
	for i := 1; i <= len(kosme); i++ {
		// Code points of kosme end after bytes 2, 5, 7, 9 and 11.
		v := i == 2 || i == 5 || i == 7 || i == 9 || i == 11
		prefixes = append(prefixes, utf8Vector{v, hexOf(kosme[:i])})
	}
	var cont strings.Builder
	for b := 0x80; b < 0xbf; b++ {
		cont.WriteByte(byte(b))
	}
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s strings.Builder
		for b := r[0]; b < r[1]; b++ {
			s.WriteByte(byte(b))
			s.WriteByte(' ')
		}
		lonely = append(lonely, hexOf(s.String()))
	}
	missing := []string{"c0", "e080", "f08080", "f8808080", "fc80808080", "df", "efbf", "f7bfbf", "fbbfbfbf", "fdbfbfbfbf"}
	var nonChars []string
	for _, z1 := range []string{"f0", "f1", "f2", "f3", "f4"} {
		for _, z2 := range []string{"8f", "9f", "af", "bf"} {
			if z1 == "f4" && z2 != "8f" {
				continue // beyond U+10FFFF
			}
			for _, z3 := range []string{"be", "bf"} {
				zz := z1 + z2 + "bf" + z3
				if zz != "f08fbfbe" && zz != "f08fbfbf" { // overlong
					nonChars = append(nonChars, zz)
				}
			}
		}
	}
	return []utf8Group{
		{"valid UTF-8 sequences", ok(hexOf("hello$world"), hexOf("hello\u00a2world"), hexOf("hello\u20acworld"), hexOf("hello\U00024b62world"), hexOf(kosme))},
		{"prefixes of a valid multi-byte string", prefixes},
		{"first possible sequence of a length", ok("00", "c280", "e0a080", "f0908080")},
		{"first possible 5/6-byte sequence (invalid)", bad("f888808080", "fc8480808080")},
		{"last possible sequence of a length", ok("7f", "dfbf", "efbfbf", "f48fbfbf")},
		{"last possible 4/5/6-byte sequence (invalid)", bad("f7bfbfbf", "fbbfbfbfbf", "fdbfbfbfbfbf")},
		{"other boundary conditions", append(ok("ed9fbf", "ee8080", "efbfbd", "f48fbfbf"), bad("f4908080")...)},
		{"unexpected continuation bytes", bad("80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf", hexOf(cont.String()))},
		{"lonely start characters", bad(lonely...)},
		{"sequences with the last continuation byte missing", bad(missing...)},
		{"concatenation of incomplete sequences", bad(strings.Join(missing, ""))},
		{"impossible bytes", bad("fe", "ff", "fefeffff")},
		{"overlong ASCII characters", bad("c0af", "e080af", "f08080af", "f8808080af", "fc80808080af")},
		{"maximum overlong sequences", bad("c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf")},
		{"overlong NUL", bad("c080", "e08080", "f0808080", "f880808080", "fc8080808080")},
		{"single UTF-16 surrogates", bad("eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf")},
		{"paired UTF-16 surrogates", bad("eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf", "edae80edb080", "edae80edbfbf", "edafbfedb080", "edafbfedbfbf")},
		{"non-character code points (valid)", append(ok("efbfbe", "efbfbf"), ok(nonChars...)...)},
		{"Unicode specials (valid)", ok("efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf")},
	}
}

// TestUTF8Vectors checks the stated validity of every vector against the
// standard library, so a typo in the table cannot turn a case around.
func TestUTF8Vectors(t *testing.T) {
	n := 0
	for _, g := range utf8Groups() {
		for _, v := range g.vectors {
			b, err := hex.DecodeString(v.hex)
			if err != nil {
				t.Fatalf("%s: %v", g.title, err)
			}
			if utf8.Valid(b) != v.valid {
				t.Errorf("%s: %s stated valid=%v", g.title, v.hex, v.valid)
			}
			n++
		}
	}
	if n != 132 {
		t.Errorf("%d vectors, want the 132 of Autobahn 6.5-6.23", n)
	}
}

// utf8Cases are Autobahn section 6: text must be valid UTF-8 (RFC 6455
// §5.6), invalid text fails the connection with 1007 (§8.1), and surge
// fails fast: at the first bad byte, without waiting for the end of the
// frame or the message.
func utf8Cases() []tcase {
	cont := func(fin bool, b []byte) wframe { return frag(frame.OpContinuation, fin, b) }
	hello := []byte("Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!")
	octets := func(b []byte) []wframe {
		var fs []wframe
		for i := range b {
			op := frame.OpContinuation
			if i == 0 {
				op = frame.OpText
			}
			fs = append(fs, frag(op, i == len(b)-1, b[i:i+1]))
		}
		return fs
	}
	invalid := []byte(kosme + "\xed\xa0\x80" + "edited")
	part1, part2, part3 := []byte(kosme), []byte("\xf4\x90\x80\x80"), []byte("edited")
	whole := append(append(append([]byte{}, part1...), part2...), part3...)
	invalidFrame := textB(whole)
	out := []tcase{
		{id: "6.1.1", desc: "Send an empty text message; expect it echoed.",
			steps: seq(send(text("")), expectText(""), normalClose())},
		{id: "6.1.2", desc: "Send a text message of 3 empty fragments; expect an empty message echoed.",
			steps: seq(send(frag(frame.OpText, false, nil), cont(false, nil), cont(true, nil)), expectText(""), normalClose())},
		{id: "6.1.3", desc: "Send a text message of 3 fragments, the first and last empty; expect the middle payload echoed.",
			steps: seq(send(frag(frame.OpText, false, nil), cont(false, []byte("middle frame payload")), cont(true, nil)),
				expectText("middle frame payload"), normalClose())},
		{id: "6.2.1", desc: "Send valid multi-byte UTF-8 text in one fragment; expect it echoed.",
			steps: seq(send(textB(hello)), expectMsg(frame.OpText, hello), normalClose())},
		{id: "6.2.2", desc: "Send valid UTF-8 text in 2 fragments split at a code point boundary; expect it echoed.",
			steps: seq(send(frag(frame.OpText, false, hello[:12]), cont(true, hello[12:])), expectMsg(frame.OpText, hello), normalClose())},
		{id: "6.2.3", desc: "Send valid UTF-8 text in 1-byte fragments; expect it echoed.",
			steps: seq(send(octets(hello)...), expectMsg(frame.OpText, hello), normalClose())},
		{id: "6.2.4", desc: "Send valid UTF-8 text in 1-byte fragments that end inside code points; expect it echoed.",
			steps: seq(send(octets([]byte(kosme))...), expectText(kosme), normalClose())},
		{id: "6.3.1", desc: "Send invalid UTF-8 text (a UTF-16 surrogate) in one fragment; expect close 1007.",
			steps: seq(send(textB(invalid)), failWith(frame.CloseInvalidPayload))},
		{id: "6.3.2", desc: "Send invalid UTF-8 text in 1-byte fragments; expect close 1007.",
			steps: seq(send(octets(invalid)...), failWith(frame.CloseInvalidPayload))},
		{id: "6.4.1", desc: "Fail fast: send a valid first fragment, pause, then a fragment with the code point U+110000; expect close 1007 before the final fragment is sent.",
			steps: seq(send(frag(frame.OpText, false, part1)), quiet(), send(cont(false, part2)),
				expectFailFast(frame.CloseInvalidPayload), closed())},
		{id: "6.4.2", desc: "Fail fast: send fragments ending in 0xF4, then the byte 0x90 that makes it invalid; expect close 1007 before the final fragment is sent.",
			steps: seq(send(frag(frame.OpText, false, whole[:12])), quiet(), send(cont(false, whole[12:13])),
				expectFailFast(frame.CloseInvalidPayload), closed())},
		{id: "6.4.3", desc: "Fail fast inside one frame: send its header and valid first part, pause, then the invalid part; expect close 1007 before the rest of the frame is sent.",
			steps: seq(sendFramePart(invalidFrame, 0, len(part1)), quiet(), sendFramePart(invalidFrame, len(part1), len(part1)+len(part2)),
				expectFailFastMidFrame(frame.CloseInvalidPayload, invalidFrame, len(part1)+len(part2)), closed())},
		{id: "6.4.4", desc: "Fail fast inside one frame: the first part ends in 0xF4, the second part is the byte 0x90; expect close 1007 before the rest of the frame is sent.",
			steps: seq(sendFramePart(invalidFrame, 0, 12), quiet(), sendFramePart(invalidFrame, 12, 13),
				expectFailFastMidFrame(frame.CloseInvalidPayload, invalidFrame, 13), closed())},
	}
	for gi, g := range utf8Groups() {
		for vi, v := range g.vectors {
			b, _ := hex.DecodeString(v.hex)
			id := fmt.Sprintf("6.%d.%d", gi+5, vi+1)
			if v.valid {
				out = append(out, tcase{id: id, desc: fmt.Sprintf("Send valid UTF-8 text (%s) 0x%s; expect it echoed.", g.title, clipHex(v.hex)),
					steps: seq(send(textB(b)), expectMsg(frame.OpText, b), normalClose())})
			} else {
				out = append(out, tcase{id: id, desc: fmt.Sprintf("Send invalid UTF-8 text (%s) 0x%s; expect close 1007.", g.title, clipHex(v.hex)),
					steps: seq(send(textB(b)), failWith(frame.CloseInvalidPayload))})
			}
		}
	}
	return out
}

// expectFailFastMidFrame expects the fail-fast close while the peer is in
// the middle of frame f (sent up to byte sent of its payload). A close
// frame cannot be sent mid-frame, so the peer first finishes the frame, as
// a real endpoint would, then answers the close.
func expectFailFastMidFrame(code frame.CloseCode, f wframe, sent int) step {
	return func(p *peer) error {
		if err := expectCloseIn(failFastWindow, false, code)(p); err != nil {
			return err
		}
		if err := sendFramePart(f, sent, len(f.payload))(p); err != nil {
			return err
		}
		return send(closeFrame(code, ""))(p)
	}
}

// clipHex keeps long vectors readable in the report.
func clipHex(h string) string {
	if len(h) > 48 {
		return h[:48] + "…"
	}
	return h
}
