package handshake

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadHead: the head comes back with whatever followed it, whole or read
// a byte at a time; a stream that ends first returns its error, and one
// without an end within the limit fails with ErrHeadTooLong.
func TestReadHead(t *testing.T) {
	const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	frame := "\x81\x02hi"
	for _, tt := range []struct {
		name string
		r    io.Reader
		max  int
		want string
		err  error
	}{
		{name: "whole, with a frame behind", r: strings.NewReader(head + frame), max: 1024, want: head + frame},
		{name: "a byte at a time", r: iotest.OneByteReader(strings.NewReader(head + frame)), max: 1024, want: head},
		{name: "ends first", r: strings.NewReader(head[:20]), max: 1024, err: io.EOF},
		{name: "read error", r: iotest.ErrReader(io.ErrClosedPipe), max: 1024, err: io.ErrClosedPipe},
		{name: "too long", r: strings.NewReader(strings.Repeat("x", 100) + head), max: 64, err: ErrHeadTooLong},
		{name: "at the limit", r: iotest.OneByteReader(strings.NewReader(head)), max: len(head), want: head},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadHead(tt.r, tt.max)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && !bytes.Equal(got, []byte(tt.want)) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
