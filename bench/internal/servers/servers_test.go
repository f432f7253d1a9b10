package servers

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/surgews/surge/bench/internal/stats"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestEcho drives every library's server with surge's client: text and
// binary messages of several sizes come back unchanged, and the counters
// see the session and the messages.
func TestEcho(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 1024, 16 << 10, 70 << 10}
	for _, lib := range Names() {
		t.Run(lib, func(t *testing.T) {
			var c stats.Counters
			srv, err := Start(lib, "127.0.0.1:0", &c)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cl, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/echo", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Terminate()
			sent := 0
			for _, n := range sizes {
				if n == 0 && lib == "nbio" {
					// nbio v1.6.8 never delivers an empty message to
					// OnMessage; wsbench payloads are at least 16 bytes.
					continue
				}
				for _, text := range []bool{false, true} {
					p := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
					f := session.BorrowBinary(p)
					if text {
						f = session.BorrowText(p)
					}
					if err := cl.Send(ctx, f); err != nil {
						t.Fatal(err)
					}
					sent++
					select {
					case got := <-cl.Incoming():
						if !bytes.Equal(got.Payload, p) || got.Op != f.Op {
							t.Fatalf("size %d text %v: got %d bytes op %v, want %d bytes op %v", n, text, len(got.Payload), got.Op, n, f.Op)
						}
						got.Release()
					case <-ctx.Done():
						t.Fatalf("size %d text %v: no echo", n, text)
					}
				}
			}
			if got := c.Conns(); got != 1 {
				t.Errorf("Conns = %d with one session open", got)
			}
			if got := c.Messages(); got != int64(sent) {
				t.Errorf("Messages = %d, want %d", got, sent)
			}
			if err := cl.Close(session.CloseReason{Code: frame.CloseNormal}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-cl.Done():
			case <-ctx.Done():
				t.Fatal("closing handshake did not finish")
			}
			deadline := time.Now().Add(5 * time.Second)
			for c.Conns() != 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := c.Conns(); got != 0 {
				t.Errorf("Conns = %d after close", got)
			}
		})
	}
}

func TestStartUnknown(t *testing.T) {
	if _, err := Start("nope", "127.0.0.1:0", &stats.Counters{}); !errors.Is(err, ErrUnknownLib) {
		t.Fatalf("err = %v, want ErrUnknownLib", err)
	}
}

func TestIsSurge(t *testing.T) {
	for _, lib := range Names() {
		want := len(lib) > 6 && lib[:6] == "surge-"
		if IsSurge(lib) != want {
			t.Errorf("IsSurge(%q) = %v", lib, !want)
		}
	}
}

// TestReadyLine: what echoserver prints is what the harness and the attack
// suite parse; a line without both fields is refused.
func TestReadyLine(t *testing.T) {
	addr, pid, ok := ParseReadyLine(ReadyLine("gorilla", 42, "127.0.0.1:9000"))
	if !ok || addr != "127.0.0.1:9000" || pid != 42 {
		t.Fatalf("round trip = %q, %d, %v", addr, pid, ok)
	}
	for _, l := range []string{"", "echoserver lib=gws addr=127.0.0.1:1", "echoserver pid=7", "pid=0 addr=x", "pid=-3 addr=x"} {
		if _, _, ok := ParseReadyLine(l); ok {
			t.Errorf("ParseReadyLine(%q) accepted", l)
		}
	}
}
