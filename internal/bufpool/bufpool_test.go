package bufpool

import (
	"bytes"
	"testing"
)

func TestGetCapacity(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int
		min  int
	}{
		{"zero", 0, 64},
		{"one", 1, 64},
		{"class boundary", 64, 64},
		{"just above", 65, 128},
		{"4KiB", 4096, 4096},
		{"largest class", 16 << 20, 16 << 20},
		{"beyond pooling", 16<<20 + 1, 16<<20 + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := Get(tt.n)
			if len(b.B) != 0 || cap(b.B) < tt.min {
				t.Fatalf("Get(%d): len %d cap %d, want len 0 cap >= %d", tt.n, len(b.B), cap(b.B), tt.min)
			}
			Put(b)
		})
	}
}

func TestPutAdvancesGeneration(t *testing.T) {
	b := Get(100)
	g := b.Gen()
	Put(b)
	if b.Gen() == g {
		t.Fatal("Put did not change the generation")
	}
}

func TestPutNeverShrinksClass(t *testing.T) {
	// A buffer grown by append to a capacity between classes must not be
	// handed out for a larger request.
	b := &Buf{B: make([]byte, 0, 200)}
	Put(b)
	for i := 0; i < 100; i++ {
		g := Get(256)
		if cap(g.B) < 256 {
			t.Fatalf("Get(256) returned cap %d", cap(g.B))
		}
	}
}

func TestGrowKeepsBytes(t *testing.T) {
	b := Get(10)
	b.B = append(b.B, "hello"...)
	b = Grow(b, 1000)
	if !bytes.Equal(b.B, []byte("hello")) || cap(b.B)-len(b.B) < 1000 {
		t.Fatalf("Grow: %q cap %d", b.B, cap(b.B))
	}
	Put(b)
}

func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	Put(Get(1024)) // warm the class
	if n := testing.AllocsPerRun(1000, func() { Put(Get(1024)) }); n != 0 {
		t.Fatalf("Get+Put allocated %v times", n)
	}
}

func BenchmarkGetPut(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Put(Get(1024))
	}
}
