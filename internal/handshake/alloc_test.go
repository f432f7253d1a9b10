package handshake

import (
	"testing"
)

// TestNoAllocs gates the allocation counts that the doc of Upgrade promises.
// Race-detector and coverage builds allocate more, so it runs in plain
// builds only.
func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("instrumented build: allocation counts differ")
	}
	chrome := fixture(t, "chrome.http")
	rfc := fixture(t, "rfc6455.http")
	badKey := []byte(head(with("Sec-WebSocket-Key", "")...))
	out := make([]byte, 0, 512)
	chat := &Config{Protocols: []string{"chat"}}
	hooks := &Config{
		Route:       func(path string) bool { return path == "/chat" },
		CheckOrigin: func(r Request) bool { return r.Origin == "https://example.com" },
	}
	tests := []struct {
		name string
		max  float64
		fn   func()
	}{
		{
			name: "Upgrade chrome request keeps one string block",
			max:  1,
			fn:   func() { _, out, _ = Upgrade(chrome, nil, out[:0]) },
		},
		{
			name: "Upgrade chrome request through Route and CheckOrigin",
			max:  1,
			fn:   func() { _, out, _ = Upgrade(chrome, hooks, out[:0]) },
		},
		{
			name: "Upgrade with offered subprotocols adds the Protocols slice",
			max:  2,
			fn:   func() { _, out, _ = Upgrade(rfc, chat, out[:0]) },
		},
		{
			name: "Upgrade rejection",
			max:  0,
			fn:   func() { _, out, _ = Upgrade(badKey, nil, out[:0]) },
		},
		{
			name: "Upgrade of an incomplete head",
			max:  0,
			fn:   func() { _, out, _ = Upgrade(chrome[:100], nil, out[:0]) },
		},
		{
			name: "AcceptKey",
			max:  0,
			fn: func() {
				var a [AcceptLen]byte
				AcceptKey(&a, chrome[:KeyLen])
			},
		},
		{
			name: "HeaderEnd",
			max:  0,
			fn:   func() { _ = HeaderEnd(chrome) },
		},
		{
			name: "AppendRequest without extra headers",
			max:  0,
			fn: func() {
				out, _, _ = AppendRequest(out[:0], &ClientRequest{Host: "example.com", Path: "/chat"})
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(100, tc.fn); got > tc.max {
				t.Errorf(
					"%v allocs per run, want at most %v",
					got,
					tc.max,
				)
			}
		})
	}
}
