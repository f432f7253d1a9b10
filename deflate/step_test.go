package deflate_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/stepdecode"
)

// stepped decodes payload through stepdecode.Begin in steps of random
// sizes drawn by step (0: the rest at once), and returns the output and
// how many steps it took.
func stepped(t testing.TB, e *deflate.Extension, dst, payload []byte, limit int64, step func() int) ([]byte, int, error) {
	t.Helper()
	d, err := stepdecode.Begin(e, dst, frame.Rsv1, payload, limit)
	if err != nil {
		return dst, 0, err
	}
	if d == nil {
		t.Fatal("deflate's extension cannot decode in steps")
	}
	for n := 1; ; n++ {
		done, err := d.Step(step())
		if err != nil {
			return dst, n, err
		}
		if done {
			return d.Finish(), n, nil
		}
		if n > 1<<20 {
			t.Fatal("the decode never ends")
		}
	}
}

// TestDecodeInSteps: a message decoded in steps of random sizes comes out
// byte for byte as DecodeMessage gives it, in every window mode (under
// context takeover a sequence, so the window kept between messages is
// checked too).
func TestDecodeInSteps(t *testing.T) {
	msgs := [][]byte{nil, jsonish(1<<10, 1), jsonish(300<<10, 2), randomBytes(100<<10, 3), make([]byte, 1<<20), jsonish(5000, 4)}
	for _, m := range allocModes {
		t.Run(m.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 5))
			sender, plain := pair(t, m.cfg, m.cfg)
			_, steps := pair(t, m.cfg, m.cfg)
			for i := 0; i < 3*len(msgs); i++ {
				msg := msgs[i%len(msgs)]
				wire, rsv, err := sender.EncodeMessage(nil, msg)
				if err != nil {
					t.Fatal(err)
				}
				if rsv == 0 {
					continue // sent as it is: nothing to inflate
				}
				want, err := plain.DecodeMessage(nil, frame.Rsv1, wire, 64<<20)
				if err != nil || !bytes.Equal(want, msg) {
					t.Fatalf("message %d: DecodeMessage: %v", i, err)
				}
				prefix := []byte("kept")
				got, n, err := stepped(t, steps, append(make([]byte, 0, 8), prefix...), wire, 64<<20, func() int {
					if r.IntN(8) == 0 {
						return 0
					}
					return 1 + r.IntN(64<<10)
				})
				if err != nil {
					t.Fatalf("message %d: in steps: %v", i, err)
				}
				if !bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want) {
					t.Fatalf("message %d (%d bytes): in %d steps got %d bytes that differ", i, len(msg), n, len(got)-len(prefix))
				}
			}
		})
	}
}

// TestDecodeInStepsLimits: the limit and the expansion cap end a decode in
// steps where they end DecodeMessage, after about budget/step steps, with
// dst still the caller's; a corrupt payload fails; nothing stays borrowed
// from the buffer pool, also when a decode is abandoned.
func TestDecodeInStepsLimits(t *testing.T) {
	bomb, rsv, err := deflate.New(deflate.Config{Threshold: -1}).
		TestExtension(false).EncodeMessage(nil, make([]byte, 16<<20))
	if err != nil || rsv == 0 {
		t.Fatalf("making the bomb: %v", err)
	}
	const step = 256 << 10
	cases := []struct {
		name      string
		cfg       deflate.Config
		payload   []byte
		limit     int64
		want      error
		wantSteps int // at least: the budget in steps
	}{
		{"limit", deflate.Config{}, bomb, 1 << 20, frame.ErrMessageTooBig, 4},
		{"expansion cap", deflate.Config{MaxExpansion: 100}, bomb, 32 << 20, frame.ErrMessageTooBig, 100 * len(bomb) / step},
		{"within the limit", deflate.Config{}, bomb, 32 << 20, nil, 64},
		{"corrupt", deflate.Config{}, []byte{0x07, 0xff, 0xff, 0xff}, 1 << 20, deflate.ErrCorrupt, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := bufpool.InUse()
			e := deflate.New(tc.cfg).TestExtension(true)
			dst := []byte("dst")
			got, n, err := stepped(t, e, dst, tc.payload, tc.limit, func() int { return step })
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v after %d steps, want %v", err, n, tc.want)
			}
			// A step also ends after moving the output to a larger
			// buffer, which happens at most once per doubling.
			if n < tc.wantSteps || n > tc.wantSteps+12 {
				t.Fatalf("ended after %d steps, want %d to %d", n, tc.wantSteps, tc.wantSteps+12)
			}
			if err != nil && string(got) != "dst" {
				t.Fatalf("dst is %q after the error", got)
			}
			if err == nil && len(got) != 3+16<<20 {
				t.Fatalf("inflated %d bytes", len(got)-3)
			}
			if err == nil {
				bufpool.Put(&bufpool.Buf{B: got}) // the output's array is ours
			}
			if d := bufpool.InUse() - before; d != 0 && err != nil {
				t.Fatalf("%d pooled buffers still out", d)
			}
		})
	}
	t.Run("abandoned", func(t *testing.T) {
		before := bufpool.InUse()
		e := deflate.New(deflate.Config{}).TestExtension(true)
		d, err := stepdecode.Begin(e, nil, frame.Rsv1, bomb, 32<<20)
		if err != nil {
			t.Fatal(err)
		}
		if done, err := d.Step(step); done || err != nil {
			t.Fatalf("first step: done %v, %v", done, err)
		}
		d.Abort()
		if n := bufpool.InUse() - before; n != 0 {
			t.Fatalf("%d pooled buffers still out after Abort", n)
		}
	})
}
