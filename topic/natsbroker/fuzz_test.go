package natsbroker

import (
	"strconv"
	"strings"
	"testing"

	"github.com/surgews/surge/frame"
)

// FuzzSubject checks the topic-to-subject mapping on any topic: the token
// holds only bytes NATS takes in a subject token, and it maps back to the
// topic (one topic, one subject).
func FuzzSubject(f *testing.F) {
	for _, s := range []string{"", "lobby", "a.b", "*", ">", "a b", "%", "%41", "é", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		subj := Subject("p", topic)
		token, ok := strings.CutPrefix(subj, "p.")
		if !ok || token == "" {
			t.Fatalf("Subject(%q) = %q: not prefix and one token", topic, subj)
		}
		for i := 0; i < len(token); i++ {
			c := token[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '%') {
				t.Fatalf("Subject(%q) = %q: byte %q", topic, subj, c)
			}
		}
		if back := unescape(t, token); back != topic {
			t.Fatalf("Subject(%q) = %q reads back as %q", topic, subj, back)
		}
	})
}

// unescape is the inverse of the mapping, for the test.
func unescape(t *testing.T, token string) string {
	if token == "%" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(token); i++ {
		if token[i] != '%' {
			b.WriteByte(token[i])
			continue
		}
		if i+2 >= len(token) {
			t.Fatalf("truncated escape in %q", token)
		}
		v, err := strconv.ParseUint(token[i+1:i+3], 16, 8)
		if err != nil {
			t.Fatalf("bad escape in %q: %v", token, err)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String()
}

// FuzzDecode checks that any message on a topic's subject is either refused
// or split into a data opcode and the rest, never a panic.
func FuzzDecode(f *testing.F) {
	for _, s := range [][]byte{nil, {1}, {2, 'x'}, {8, 0}, {0}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op, p, ok := decode(data)
		if !ok {
			return
		}
		if op != frame.OpText && op != frame.OpBinary || len(p) != len(data)-1 {
			t.Fatalf("decode(%q) = %v, %q", data, op, p)
		}
	})
}
