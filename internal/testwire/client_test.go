package testwire

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/surgews/surge/frame"
)

// TestClientFrame: what ClientFrame writes, ReadFrame reads back, masked
// with MaskKey, for payloads on each side of the 7- and 16-bit lengths.
func TestClientFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   frame.Opcode
		n    int
	}{
		{"empty_close", frame.OpClose, 0},
		{"7_bit_text", frame.OpText, 125},
		{"16_bit_binary", frame.OpBinary, 126},
		{"64_bit_binary", frame.OpBinary, 70000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := bytes.Repeat([]byte("p"), tc.n)
			h, got, err := ReadFrame(bytes.NewReader(ClientFrame(tc.op, p)), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !h.Fin || h.Op != tc.op || !h.Masked || h.Key != MaskKey || !bytes.Equal(got, p) {
				t.Errorf("read back %+v with %d bytes, want a final masked %v frame of %d", h, len(got), tc.op, tc.n)
			}
		})
	}
	// Headers a peer must refuse are written as given.
	h, _, err := ReadFrame(bytes.NewReader(AppendFrame(nil, frame.Header{Op: frame.OpClose, Rsv: frame.Rsv1}, []byte{3})), 10)
	if err != nil || h.Fin || h.Rsv != frame.Rsv1 || h.Masked || h.Length != 1 {
		t.Errorf("AppendFrame of a fragmented RSV1 close: %+v, %v", h, err)
	}
}

// TestUpgradeRequest: net/http reads the request with every header the
// handshake needs and the extra lines.
func TestUpgradeRequest(t *testing.T) {
	raw := UpgradeRequest("/chat?x=1", "Origin: http://surge.test", "Cookie: c=1")
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": Key,
		"Sec-WebSocket-Version": "13", "Origin": "http://surge.test", "Cookie": "c=1",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if r.Method != http.MethodGet || r.URL.RequestURI() != "/chat?x=1" || !strings.HasSuffix(raw, "\r\n\r\n") {
		t.Errorf("request line %s %s", r.Method, r.URL.RequestURI())
	}
}
