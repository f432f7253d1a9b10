package wstest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/wstest"
)

// fakeT records what wstest reports, so that the tests can check that the
// helpers fail when they should. Fatalf stops the goroutine, as testing's
// does. testing.TB has unexported methods, so fakeT embeds one (nil: a call
// to a method wstest is not expected to use panics) and overrides the
// methods wstest calls.
type fakeT struct {
	testing.TB
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
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleSession("/", func(s *session.Session) {
		for f := range s.Incoming() {
			f.Release()
		}
	})
	return srv
}

// TestHelpersFail runs each failure in both modes: the loopback and the
// portable client must report the same cause.
func TestHelpersFail(t *testing.T) {
	cases := []struct {
		name  string
		body  func(ft *fakeT, cl wstest.Client)
		fatal bool
		want  []string
		only  string // run in this mode alone; "" means both
		alone bool   // the failure is the only one
	}{
		{
			name: "conversation_timeout",
			body: func(ft *fakeT, cl wstest.Client) {
				cl.Timeout = 300 * time.Millisecond
				cl.Conversation(ft, silentServer(), "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.CopyText("anyone?")
					wstest.ReadText(ft, in) // the watchdog ends this read
				})
			},
			fatal: true,
			want:  []string{"ran longer than 300ms"},
		},
		{
			name: "read_after_close",
			body: func(ft *fakeT, cl wstest.Client) {
				srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
				srv.HandleSession("/", func(s *session.Session) {})
				cl.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					wstest.ReadText(ft, in)
				})
			},
			fatal: true,
			want:  []string{"session ended"},
		},
		{
			name: "text_wanted_binary_got",
			body: func(ft *fakeT, cl wstest.Client) {
				srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
				srv.HandleEvents("/", inlineEcho{})
				cl.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.BorrowBinary([]byte{0xff})
					wstest.ReadText(ft, in)
				})
			},
			fatal: true,
			want:  []string{"binary", "want text"},
		},
		{
			name: "event_style_client",
			body: func(ft *fakeT, cl wstest.Client) {
				cl.Options = &engine.DialOptions{Handler: session.NopHandler{}}
				cl.Conversation(ft, silentServer(), "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					wstest.ReadFrame(ft, in)
				})
			},
			fatal: true,
			want:  []string{"nil incoming"},
		},
		{
			name:  "relative_path",
			body:  func(ft *fakeT, cl wstest.Client) { cl.Dial(ft, silentServer(), "echo") },
			fatal: true,
			want:  []string{"must start with /"},
		},
		{
			name: "no_route",
			body: func(ft *fakeT, cl wstest.Client) {
				srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
				srv.HandleEvents("/only", inlineEcho{})
				cl.Dial(ft, srv, "/other")
			},
			fatal: true,
			want:  []string{"wstest: dial /other", "handshake failed with 404"},
		},
		{
			name: "deflate_answer_refused",
			body: func(ft *fakeT, cl wstest.Client) {
				// The server announces server_max_window_bits, which the
				// client's policy refuses: the client must fail the
				// handshake (RFC 7692 §7.1.2.1).
				srv := engine.New(engine.Config{
					Reactor:    engine.ReactorConfig{Loops: 1},
					Extensions: []extension.Factory{deflate.New(deflate.Config{ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 10})},
				})
				srv.HandleEvents("/", inlineEcho{})
				cl.Options = &engine.DialOptions{Extensions: []extension.Factory{deflate.New(deflate.Config{ServerMaxWindowBits: deflate.PolicyRefuse})}}
				cl.Dial(ft, srv, "/")
			},
			fatal: true,
			want:  []string{"wstest: dial /", "handshake failed with 101", "extension", "server_max_window_bits"},
		},
		{
			// Loopback: Start refuses a closed server.
			name:  "closed_server",
			body:  dialClosedServer,
			fatal: true,
			want:  []string{"wstest: dial /", "server closed"},
			only:  "loopback",
		},
		{
			// Portable: ServeConn answers the request with 503.
			name:  "closed_server_portable",
			body:  dialClosedServer,
			fatal: true,
			want:  []string{"wstest: dial /", "handshake failed with 503"},
			only:  "portable",
		},
		{
			// The server says goodbye; the conversation goes on writing
			// after it. Every frame is lost, and that must fail the test
			// (Ktor's outgoing.send would throw).
			name: "write_after_server_closed",
			body: func(ft *fakeT, cl wstest.Client) {
				srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
				srv.HandleSession("/", func(s *session.Session) {
					_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "bye"})
				})
				cl.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					for f := range in { // until the server's close has ended the session
						f.Release()
					}
					out <- session.CopyText("anyone there?")
					out <- session.CopyText("hello?")
				})
			},
			want:  []string{"wstest: conversation with /", "2 frame(s) written to out were not sent", "1000 normal closure: bye"},
			alone: true,
		},
		{
			name: "send_after_wait_closed",
			body: func(ft *fakeT, cl wstest.Client) {
				// The only failure must be the final Fatalf: WaitClosed
				// passes on an ended session, Send after it fails.
				c := cl.Dial(ft, silentServer(), "/")
				_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
				if r := wstest.WaitClosed(ft, c); r.Code != frame.CloseNormal {
					ft.Errorf("close code %v", r.Code)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := c.Send(ctx, session.CopyText("late")); err == nil {
					ft.Errorf("send after close: no error")
				}
				ft.Fatalf("reached the end")
			},
			fatal: true,
			alone: true,
			want:  []string{"reached the end"},
		},
	}
	for _, m := range modes {
		for _, tc := range cases {
			if tc.only != "" && tc.only != m.name {
				continue
			}
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				ft := runFake(t, func(ft *fakeT) { tc.body(ft, m.client) })
				t.Logf("reported: %q", ft.errs)
				if ft.fatal != tc.fatal {
					t.Errorf("fatal = %v, want %v (failures %q)", ft.fatal, tc.fatal, ft.errs)
				}
				if !ft.failedWith(tc.want...) {
					t.Errorf("failures %q, want one containing %q", ft.errs, tc.want)
				}
				if tc.alone && len(ft.errs) != 1 {
					t.Errorf("unexpected failures %q", ft.errs)
				}
			})
		}
	}
}

// TestHelpersPass checks that a good conversation reports nothing: a fakeT
// that records would show a spurious failure.
func TestHelpersPass(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ft := runFake(t, func(ft *fakeT) {
				srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
				srv.HandleEvents("/", inlineEcho{})
				m.client.Conversation(ft, srv, "/", func(in <-chan session.Frame, out chan<- session.Frame) {
					out <- session.CopyText("a")
					out <- session.BorrowBinary([]byte("b"))
					if got := wstest.ReadText(ft, in); got != "a" {
						ft.Errorf("got %q", got)
					}
					if got := readBinary(ft, in); string(got) != "b" {
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

// dialClosedServer dials a server that was closed before the dial.
func dialClosedServer(ft *fakeT, cl wstest.Client) {
	srv := silentServer()
	_ = srv.Close()
	cl.Dial(ft, srv, "/")
}
