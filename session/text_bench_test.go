package session_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/seam"
)

// textPayload returns n bytes of valid text in the given script, cut at a
// character boundary at or below n.
func textPayload(script string, n int) []byte {
	var unit string
	switch script {
	case "ascii":
		unit = `{"id":12345,"name":"surge","ok":true}`
	case "cyrillic":
		unit = "Привет, как дела? Всё хорошо. "
	case "cjk":
		unit = "今日は良い天気ですね。明日も晴れるでしょう。"
	case "mixed":
		unit = `{"user":"José","msg":"ça va? 日本語 и кириллица 🌍"} `
	}
	s := strings.Repeat(unit, n/len(unit)+1)[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return []byte(s)
}

// BenchmarkReceiveText feeds one masked text message per op to a server
// session, as BenchmarkReceive does, in several scripts: text that is not
// plain ASCII costs the UTF-8 validation that RFC 6455 §8.1 requires.
func BenchmarkReceiveText(b *testing.B) {
	for _, script := range []string{"ascii", "cyrillic", "cjk", "mixed"} {
		for _, n := range []int{1 << 10, 16 << 10} {
			b.Run(fmt.Sprintf("%s/%d", script, n), func(b *testing.B) {
				p := textPayload(script, n)
				h := frame.Header{Fin: true, Op: frame.OpText, Length: int64(len(p)), Masked: true}
				benchFeed(b, seam.Server, append(frame.AppendHeader(nil, &h), p...), len(p))
			})
		}
	}
}
