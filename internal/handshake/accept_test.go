package handshake

import (
	"crypto/sha1"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// referenceAccept is RFC 6455 §4.2.2 item 5.4 written the obvious way.
func referenceAccept(key []byte) string {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestAcceptKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want string
	}{
		{
			name: "rfc6455 section 1.3 example",
			key:  "dGhlIHNhbXBsZSBub25jZQ==",
			want: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
		},
		{
			name: "wikipedia example",
			key:  "x3JJHMbDL1EzLkh9GBhXDw==",
			want: "HSmrc0sMlYUkAGmm5OPpG2HaGWk=",
		},
		{
			name: "empty key",
			key:  "",
			want: referenceAccept(nil),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [AcceptLen]byte
			AcceptKey(&got, []byte(tc.key))
			if string(got[:]) != tc.want {
				t.Errorf(
					"AcceptKey(%q) = %q, want %q",
					tc.key,
					got,
					tc.want,
				)
			}
		})
	}
}

func TestAcceptKeyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		key := make([]byte, n)
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		var got [AcceptLen]byte
		AcceptKey(&got, key)
		if want := referenceAccept(key); string(got[:]) != want {
			t.Fatalf(
				"AcceptKey of %d bytes = %q, want %q",
				n,
				got,
				want,
			)
		}
	}
}

func TestHeaderEnd(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{name: "empty", in: "", want: -1},
		{name: "request line only", in: "GET / HTTP/1.1\r\n", want: -1},
		{name: "bare LFs are not an end", in: "GET / HTTP/1.1\n\n", want: -1},
		{name: "complete", in: "GET / HTTP/1.1\r\n\r\n", want: 18},
		{name: "complete with frame bytes after", in: "GET / HTTP/1.1\r\nA: b\r\n\r\n\x81\x00", want: 24},
		{name: "first end wins", in: "\r\n\r\n\r\n\r\n", want: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HeaderEnd([]byte(tc.in)); got != tc.want {
				t.Errorf(
					"HeaderEnd(%q) = %d, want %d",
					tc.in,
					got,
					tc.want,
				)
			}
		})
	}
}
