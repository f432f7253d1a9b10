package session_test

import (
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// handshakeBlock returns a path that, like the handshake's, is a substring
// of a fresh string block holding the path, query, host and origin.
func handshakeBlock(path string) string {
	block := strings.Clone(path + "?token=0123456789abcdef" + "example.com:443" + "https://example.com")
	return block[:len(path)]
}

// TestPathShared: sessions of a route that come with the same path share
// one copy of it, and no session keeps the handshake's string block alive
// for its path; a session with another path gets its own.
func TestPathShared(t *testing.T) {
	mk := newRoute(&session.Config{}, session.NopHandler{}, nil, nil, nil)
	tests := []struct {
		name   string
		path   string
		shared bool // with the previous case's session
	}{
		{"first", "/chat", false},
		{"same path", "/chat", true},
		{"other path", "/news", false},
		{"back to the first", "/chat", false},
		{"same again", "/chat", true},
		{"root", "/", false},
	}
	var prev string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := handshakeBlock(tc.path)
			s, _ := mk(seam.Server, nopDriver{}, session.Request{Path: in})
			got := s.Request().Path
			if got != tc.path {
				t.Fatalf("Request().Path = %q, want %q", got, tc.path)
			}
			if unsafe.StringData(got) == unsafe.StringData(in) {
				t.Errorf("the session keeps the handshake's block for its path")
			}
			if shared := prev != "" && unsafe.StringData(got) == unsafe.StringData(prev); shared != tc.shared {
				t.Errorf("path shared with the previous session: %v, want %v", shared, tc.shared)
			}
			prev = got
		})
	}
}

// TestIdlePathBytes: sessions whose paths come from handshake blocks hold
// the session struct and nothing else, however long the request's query,
// host and origin were.
func TestIdlePathBytes(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation sizes")
	}
	const n = 5000
	mk := newRoute(&session.Config{}, session.NopHandler{}, nil, nil, nil)
	keep := make([]*session.Session, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // the second empties sync.Pool victim caches
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i], _ = mk(seam.Server, nopDriver{}, session.Request{Path: handshakeBlock("/chat")})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	per := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	size := float64(unsafe.Sizeof(session.Session{}))
	t.Logf("%.1f heap bytes per session (struct %.0f)", per, size)
	if per > size+4 { // a little GC noise
		t.Errorf("%.1f heap bytes per idle session, want the struct's %.0f: the path holds more", per, size)
	}
	if per < 0.98*size {
		t.Fatalf("measured %.1f bytes, below the struct's %.0f: the measurement is broken", per, size)
	}
}
