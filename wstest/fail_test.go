package wstest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/wstest"
)

// fakeT records what wstest reports, so that the tests can check that the
// helpers fail when they should. Fatalf stops the goroutine, as testing's
// does.
type fakeT struct {
	mu       sync.Mutex
	errs     []string
	fatal    bool
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
	f.fatal = true
	f.mu.Unlock()
	runtime.Goexit()
}

// runFake runs fn as a test body on a goroutine of its own, then the
// cleanups, and returns the record. It fails t if fn does not end in time.
func runFake(t *testing.T, fn func(ft *fakeT)) *fakeT {
	t.Helper()
	ft := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for i := len(ft.cleanups) - 1; i >= 0; i-- {
				ft.cleanups[i]()
			}
		}()
		fn(ft)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the fake test did not end")
	}
	return ft
}

// failedWith reports whether a recorded failure contains each of parts.
func (f *fakeT) failedWith(parts ...string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.errs {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(e, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func silentServer() *engine.Server {
	srv := engine.New(engine.Config{Loops: 1})
	srv.HandleFunc("/", func(s *session.Session) {
		for f := range s.Incoming() {
			f.Release()
		}
	})
	return srv
}

func TestHelpersFail(t *testing.T) {
	cases := []struct {
		name  string
		body  func(ft *fakeT)
		fatal bool
		want  []string
	}{
		{
			name: "conversation_timeout",
			body: func(ft *fakeT) {
				wstest.Client{Timeout: 300 * time.Millisecond}.Conversation(ft, silentServer(), "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.Text("anyone?")
					wstest.ReadText(ft, in) // the watchdog ends this read
				})
			},
			fatal: true,
			want:  []string{"ran longer than 300ms"},
		},
		{
			name: "read_after_close",
			body: func(ft *fakeT) {
				srv := engine.New(engine.Config{Loops: 1})
				srv.HandleFunc("/", func(s *session.Session) {})
				wstest.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					wstest.ReadText(ft, in)
				})
			},
			fatal: true,
			want:  []string{"session ended"},
		},
		{
			name: "text_wanted_binary_got",
			body: func(ft *fakeT) {
				srv := engine.New(engine.Config{Loops: 1})
				srv.Handle("/", inlineEcho{})
				wstest.Client{Portable: true}.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.Binary([]byte{0xff})
					wstest.ReadText(ft, in)
				})
			},
			fatal: true,
			want:  []string{"binary", "want text"},
		},
		{
			name: "binary_wanted_text_got",
			body: func(ft *fakeT) {
				srv := engine.New(engine.Config{Loops: 1})
				srv.Handle("/", inlineEcho{})
				wstest.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.Text("hi")
					wstest.ReadBinary(ft, in)
				})
			},
			fatal: true,
			want:  []string{"text", "want binary"},
		},
		{
			name: "event_style_client",
			body: func(ft *fakeT) {
				cl := wstest.Client{Options: &engine.DialOptions{Session: &session.Config{Handler: session.NopHandler{}}}}
				cl.Conversation(ft, silentServer(), "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					wstest.ReadFrame(ft, in)
				})
			},
			fatal: true,
			want:  []string{"nil incoming"},
		},
		{
			name:  "relative_path",
			body:  func(ft *fakeT) { wstest.Dial(ft, silentServer(), "echo") },
			fatal: true,
			want:  []string{"must start with /"},
		},
		{
			name: "no_route_loopback",
			body: func(ft *fakeT) {
				srv := engine.New(engine.Config{Loops: 1})
				srv.Handle("/only", inlineEcho{})
				wstest.Dial(ft, srv, "/other")
			},
			fatal: true,
			want:  []string{"dial /other", "404"},
		},
		{
			name: "no_route_portable",
			body: func(ft *fakeT) {
				srv := engine.New(engine.Config{Loops: 1})
				srv.Handle("/only", inlineEcho{})
				wstest.Client{Portable: true}.Dial(ft, srv, "/other")
			},
			fatal: true,
			want:  []string{"dial /other", "404"},
		},
		{
			name: "closed_server",
			body: func(ft *fakeT) {
				srv := silentServer()
				_ = srv.Close()
				wstest.Dial(ft, srv, "/")
			},
			fatal: true,
			want:  []string{"server closed"},
		},
		{
			name: "send_after_wait_closed",
			body: func(ft *fakeT) {
				// The only failure must be the final Fatalf: WaitClosed
				// passes on an ended session, Send after it fails.
				c := wstest.Dial(ft, silentServer(), "/")
				_ = c.Close(session.CloseReason{Code: 1000})
				if r := wstest.WaitClosed(ft, c); r.Code != 1000 {
					ft.Errorf("close code %v", r.Code)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := c.Send(ctx, session.Text("late")); err == nil {
					ft.Errorf("send after close: no error")
				}
				ft.Fatalf("reached the end")
			},
			fatal: true,
			want:  []string{"reached the end"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ft := runFake(t, tc.body)
			if ft.fatal != tc.fatal {
				t.Errorf("fatal = %v, want %v (failures %q)", ft.fatal, tc.fatal, ft.errs)
			}
			if !ft.failedWith(tc.want...) {
				t.Errorf("failures %q, want one containing %q", ft.errs, tc.want)
			}
			if tc.name == "send_after_wait_closed" && len(ft.errs) != 1 {
				t.Errorf("unexpected failures %q", ft.errs)
			}
		})
	}
}

// TestHelpersPass checks that a good conversation reports nothing: a fakeT
// that records would show a spurious failure.
func TestHelpersPass(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ft := runFake(t, func(ft *fakeT) {
				srv := engine.New(engine.Config{Loops: 1})
				srv.Handle("/", inlineEcho{})
				m.client.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.Text("a")
					out <- session.Binary([]byte("b"))
					if got := wstest.ReadText(ft, in); got != "a" {
						ft.Errorf("got %q", got)
					}
					if got := wstest.ReadBinary(ft, in); string(got) != "b" {
						ft.Errorf("got %q", got)
					}
				})
			})
			if ft.fatal || len(ft.errs) > 0 {
				t.Errorf("failures %q", ft.errs)
			}
		})
	}
}
