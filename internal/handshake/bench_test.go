package handshake

import (
	"testing"
)

func benchmarkUpgrade(b *testing.B, req []byte, cfg *Config) {
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		var err error
		_, out, err = Upgrade(req, cfg, out[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpgrade is a Chrome request: 11 headers, Origin, no subprotocol,
// no extension.
func BenchmarkUpgrade(b *testing.B) {
	benchmarkUpgrade(b, fixture(b, "chrome.http"), nil)
}

func BenchmarkUpgradeHooks(b *testing.B) {
	benchmarkUpgrade(b, fixture(b, "chrome.http"), &Config{
		Route:       func(path string) bool { return path == "/chat" },
		CheckOrigin: func(r Request) bool { return r.Origin == "https://example.com" },
	})
}

func BenchmarkUpgradeSubprotocol(b *testing.B) {
	benchmarkUpgrade(b, fixture(b, "rfc6455.http"), &Config{Protocols: []string{"chat"}})
}

func BenchmarkUpgradeReject(b *testing.B) {
	req := []byte(head(with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")...))
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		_, out, _ = Upgrade(req, nil, out[:0])
	}
}

func BenchmarkAcceptKey(b *testing.B) {
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	var dst [AcceptLen]byte
	b.ReportAllocs()
	b.SetBytes(int64(len(key)))
	for b.Loop() {
		AcceptKey(&dst, key)
	}
}

func BenchmarkHeaderEnd(b *testing.B) {
	req := fixture(b, "chrome.http")
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if HeaderEnd(req) != len(req) {
			b.Fatal("HeaderEnd")
		}
	}
}

func BenchmarkAppendRequest(b *testing.B) {
	r := &ClientRequest{Host: "example.com", Path: "/chat"}
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out, _, _ = AppendRequest(out[:0], r)
	}
	b.SetBytes(int64(len(out)))
}

func BenchmarkParseResponse(b *testing.B) {
	resp := response(switching...)
	b.ReportAllocs()
	b.SetBytes(int64(len(resp)))
	for b.Loop() {
		if _, err := ParseResponse(resp, rfcKey, nil); err != nil {
			b.Fatal(err)
		}
	}
}
