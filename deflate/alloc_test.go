package deflate_test

import (
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/frame"
)

var allocModes = []struct {
	name string
	cfg  deflate.Config
}{
	{"no context takeover", deflate.Config{}},
	{"context takeover", deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}},
	{"context takeover, 10-bit windows", deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept,
		ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 10, ClientWindowBits: 10}},
}

func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so pooled code allocates")
	}
	for _, m := range allocModes {
		for _, n := range []int{1 << 10, 64 << 10} {
			t.Run(m.name+"/"+sizeName(n), func(t *testing.T) {
				c, s := pair(t, m.cfg, m.cfg)
				msg := jsonish(n, 1)
				wire := make([]byte, 0, n+64)
				out := make([]byte, 0, 16)
				var err error
				var rsv byte
				step := func() {
					wire, rsv, err = s.EncodeMessage(wire[:0], msg)
					if err != nil || rsv == 0 {
						t.Fatalf("encode: rsv %d, %v", rsv, err)
					}
					// The result replaces dst: DecodeMessage may have given
					// dst's array to the pool (see its doc).
					out, err = c.DecodeMessage(out[:0], frame.Rsv1, wire, 1<<20)
					if err != nil || len(out) != n {
						t.Fatalf("decode: %d bytes, %v", len(out), err)
					}
				}
				for i := 0; i < 10; i++ {
					step()
				}
				if a := testing.AllocsPerRun(200, step); a != 0 {
					t.Fatalf("%v allocs per message, want 0", a)
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
