package topic

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// recorder is a Broker that records what the hub asks of it; deliver lets
// the test play another node.
type recorder struct {
	mu      sync.Mutex
	calls   []string
	deliver func(string, frame.Opcode, []byte)
	pubErr  error
}

func (r *recorder) log(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recorder) Open(d func(string, frame.Opcode, []byte)) error { r.deliver = d; return nil }
func (r *recorder) Subscribe(t string) error                        { r.log("sub " + t); return nil }
func (r *recorder) Unsubscribe(t string) error                      { r.log("unsub " + t); return nil }
func (r *recorder) Close() error                                    { r.log("close"); return nil }
func (r *recorder) Publish(t string, op frame.Opcode, p []byte) error {
	r.log("pub " + t + " " + op.String() + " " + string(p))
	return r.pubErr
}

// TestBrokerInterest covers the hub's side of a Broker: interest in a topic
// from its first subscriber on the node to its last, publishes handed over
// once and delivered here too, messages from other nodes delivered, and
// what no session could be sent ignored.
func TestBrokerInterest(t *testing.T) {
	r := &recorder{}
	h, err := NewHub(r)
	if err != nil {
		t.Fatal(err)
	}
	a, b := newTestSession(session.Config{}, nil), newTestSession(session.Config{}, nil)
	must(t, h.Subscribe(a.s, "t"))
	must(t, h.Subscribe(b.s, "t"))
	must(t, h.Publish("t", frame.OpText, []byte("mine"), nil))
	r.deliver("t", frame.OpBinary, []byte("theirs"))
	r.deliver("t", frame.OpPing, []byte("not a message"))
	r.deliver("t", frame.OpText, []byte{0xff})
	r.deliver("other", frame.OpText, []byte("no subscriber here"))
	h.Unsubscribe(a.s, "t")
	b.ep.Closed(nil)
	r.pubErr = errors.New("cut off")
	if err := h.Publish("t", frame.OpText, []byte("late"), nil); !errors.Is(err, r.pubErr) {
		t.Fatalf("Publish = %v, want the broker's error", err)
	}
	must(t, h.Close())
	want := []string{"sub t", "pub t text mine", "unsub t", "pub t text late", "close"}
	if !slices.Equal(r.calls, want) {
		t.Fatalf("broker calls %q, want %q", r.calls, want)
	}
	for _, ts := range []testSession{a, b} {
		if got, _ := ts.d.messages(t); !slices.Equal(got, []string{"mine", "theirs"}) {
			t.Fatalf("subscriber got %q", got)
		}
	}
}
