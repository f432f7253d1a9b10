package engine

import (
	"testing"
	"time"
)

func TestDefaultMaxConns(t *testing.T) {
	cases := []struct {
		name    string
		fdLimit int
		want    int
	}{
		{"unknown limit", 0, 0},
		{"tiny limit keeps one", 20, 1},
		{"small limit reserves 32", 256, 224},
		{"1024 reserves an eighth", 1024, 896},
		{"20000 reserves 512", 20000, 19488},
		{"a million reserves 512", 1 << 20, 1<<20 - 512},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := defaultMaxConns(tc.fdLimit); got != tc.want {
				t.Errorf("defaultMaxConns(%d) = %d, want %d", tc.fdLimit, got, tc.want)
			}
		})
	}
}

func TestConfigMaxConns(t *testing.T) {
	cases := []struct {
		name string
		set  int
		want int
	}{
		{"explicit", 100, 100},
		{"negative is no limit", -1, 0},
		{"zero follows the fd limit", 0, defaultMaxConns(fdLimit())},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{MaxConns: tc.set}
			if got := c.maxConns(); got != tc.want {
				t.Errorf("MaxConns %d resolves to %d, want %d", tc.set, got, tc.want)
			}
		})
	}
}

// TestAcceptPause: 5 ms doubling to 1 s, and back to 5 ms after a success.
func TestAcceptPause(t *testing.T) {
	var p acceptPause
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i, w := range want {
		if got := p.next(); got != w*time.Millisecond {
			t.Fatalf("pause %d = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	p.reset()
	if got := p.next(); got != acceptPauseMin {
		t.Fatalf("pause after reset = %v, want %v", got, acceptPauseMin)
	}
}
