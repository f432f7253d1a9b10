package reliability_test

import (
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/mask"
	"github.com/surgews/surge/session"
)

// longClose is the CloseTimeout of the invalid-close tests: a server that
// waits for it instead of dropping TCP fails the test.
const longClose = time.Minute

// TestInvalidCloseDropsTCP: a close frame from the peer that is invalid is
// still its last frame (RFC 6455 §5.5.1), so the server answers with its
// close code and drops TCP once that is written, without waiting
// CloseTimeout for a close that will not come; in every dispatch mode.
func TestInvalidCloseDropsTCP(t *testing.T) {
	closeWith := func(mutate func(h *frame.Header), payload []byte) []byte {
		h := frame.Header{Fin: true, Op: frame.OpClose, Masked: true, Key: maskKey, Length: int64(len(payload))}
		mutate(&h)
		b := frame.AppendHeader(nil, &h)
		n := len(b)
		b = append(b, payload...)
		if h.Masked {
			mask.XOR(b[n:], h.Key, 0)
		}
		return b
	}
	same := func(*frame.Header) {}
	cases := []struct {
		name string
		wire []byte
		want frame.CloseCode
	}{
		{"reason over 123 bytes", closeWith(same, append([]byte{0x03, 0xe8}, strings.Repeat("r", 128)...)), frame.CloseProtocolError},
		{"fragmented", closeWith(func(h *frame.Header) { h.Fin = false }, frame.AppendClose(nil, frame.CloseNormal, "")), frame.CloseProtocolError},
		{"RSV1", closeWith(func(h *frame.Header) { h.Rsv = frame.Rsv1 }, frame.AppendClose(nil, frame.CloseNormal, "")), frame.CloseProtocolError},
		{"unmasked", closeWith(func(h *frame.Header) { h.Masked = false }, frame.AppendClose(nil, frame.CloseNormal, "")), frame.CloseProtocolError},
		{"one-byte payload", closeWith(same, []byte{3}), frame.CloseProtocolError},
		{"code 1005 on the wire", closeWith(same, []byte{0x03, 0xed}), frame.CloseProtocolError},
		{"reason not UTF-8", closeWith(same, []byte{0x03, 0xe8, 0xff, 0xfe}), frame.CloseInvalidPayload},
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			srv := modeServer(mode, engine.Config{Session: session.Config{CloseTimeout: longClose}})
			addr := startServer(t, srv)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					p := upgradePeer(t, addr, "/", nil)
					// A message first: its echo must still come before the close.
					p.write(append(clientFrame(frame.OpText, []byte("before")), tc.wire...))
					h, b, err := p.readFrame()
					if err != nil || h.Op != frame.OpText || string(b) != "before" {
						t.Fatalf("got %v %q %v, want the echo of the message before the close", h.Op, b, err)
					}
					if code := p.expectClose(); code != tc.want {
						t.Errorf("close code %v, want %v", code, tc.want)
					}
					start := time.Now()
					if !p.eofWithin(ioWait) {
						t.Fatalf("the server kept TCP open %v after answering an invalid close (CloseTimeout %v)", ioWait, longClose)
					}
					t.Logf("TCP closed %v after our close frame", time.Since(start).Round(time.Millisecond))
				})
			}
		})
	}
}
