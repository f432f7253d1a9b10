package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// tagEcho answers each text message with its tag, a colon and the message,
// so a client can tell which route's handler served it.
type tagEcho struct {
	session.NopHandler
	tag string
}

func (h tagEcho) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), session.CopyText(h.tag+":"+f.Text()))
}

// tagSession is tagEcho in the channel style.
func tagSession(tag string) func(*session.Session) {
	return func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), session.CopyText(tag+":"+f.Text()))
			f.Release()
		}
	}
}

// routeAnswer dials url, sends msg, and returns the answer; the session is
// closed normally before it returns.
func routeAnswer(ctx context.Context, url, msg string, d *engine.Dialer) (string, error) {
	c, err := engine.Dial(ctx, url, &engine.DialOptions{Dialer: d})
	if err != nil {
		return "", err
	}
	defer func() {
		_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
		select {
		case <-c.Done():
		case <-ctx.Done():
			c.Terminate()
		}
	}()
	if err := c.Send(ctx, session.CopyText(msg)); err != nil {
		return "", err
	}
	select {
	case f, ok := <-c.Incoming():
		if !ok {
			return "", fmt.Errorf("session ended: %v %v", c.CloseReason(), c.Err())
		}
		defer f.Release()
		return f.Text(), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// TestRoutesAddedWhileServing adds routes (both styles) while clients keep
// upgrading on an existing one, on the event loops and through ServeHTTP.
// Under -race it checks that the route table is published safely; in any
// mode, that a path is refused with 404 until its route is added and served
// by it right after, that a later route for a path replaces the earlier one
// for new sessions without disturbing open ones, and that a "/" added late
// catches the paths no other route matches.
func TestRoutesAddedWhileServing(t *testing.T) {
	for _, via := range []string{"event loop", "net/http"} {
		t.Run(via, func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 2}})
			srv.HandleEvents("/base", tagEcho{tag: "base"})
			var addr string
			if via == "net/http" {
				addr = newHTTPServer(t, srv).Listener.Addr().String()
			} else {
				addr = startServer(t, srv)
			}
			base := "ws://" + addr
			d, err := engine.NewDialer(engine.ReactorConfig{Loops: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()

			// A session opened on /base before anything changes: it must
			// keep its handler when /base is replaced.
			early, err := engine.Dial(ctx, base+"/base", &engine.DialOptions{Dialer: d})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(early.Terminate)

			// Clients upgrading on /base all along.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var upgrades atomic.Int64
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						msg := fmt.Sprint("w", w, "-", i)
						got, err := routeAnswer(ctx, base+"/base", msg, d)
						if err != nil {
							t.Errorf("upgrade on /base while routes are added: %v", err)
							return
						}
						// /base is replaced at the end, by "base2".
						if got != "base:"+msg && got != "base2:"+msg {
							t.Errorf("/base answered %q to %q", got, msg)
							return
						}
						upgrades.Add(1)
					}
				}()
			}
			// Routes added in a burst on another goroutine, never dialled:
			// more table copies racing with the upgrades.
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 200; i++ {
					srv.HandleEvents(fmt.Sprint("/burst", i), session.NopHandler{})
				}
			}()

			const routes = 30
			for i := 0; i < routes; i++ {
				path := fmt.Sprint("/r", i)
				_, err := routeAnswer(ctx, base+path, "early", d)
				if err == nil {
					t.Fatalf("%s answered before its route was added", path)
				}
				checkHandshakeError(t, err, http.StatusNotFound, "Not Found")
				tag := fmt.Sprint("r", i)
				if i%2 == 0 {
					srv.HandleEvents(path, tagEcho{tag: tag})
				} else {
					srv.HandleSession(path, tagSession(tag))
				}
				got, err := routeAnswer(ctx, base+path, "late", d)
				if err != nil {
					t.Fatalf("%s right after its route was added: %v", path, err)
				}
				if got != tag+":late" {
					t.Fatalf("%s answered %q, want %q", path, got, tag+":late")
				}
			}

			// Replace /base: new sessions get the new handler, the early one
			// keeps the old.
			srv.HandleSession("/base", tagSession("base2"))
			if got, err := routeAnswer(ctx, base+"/base", "replaced", d); err != nil || got != "base2:replaced" {
				t.Fatalf("/base after replacement answered %q, %v; want %q", got, err, "base2:replaced")
			}
			if err := early.Send(ctx, session.CopyText("still")); err != nil {
				t.Fatal(err)
			}
			select {
			case f, ok := <-early.Incoming():
				if !ok || f.Text() != "base:still" {
					t.Fatalf("the session opened before the replacement answered %q (open %v), want %q", f.Text(), ok, "base:still")
				}
				f.Release()
			case <-ctx.Done():
				t.Fatal("the session opened before the replacement did not answer")
			}

			// A catch-all added late serves the unknown paths.
			if _, err := routeAnswer(ctx, base+"/unknown", "x", d); err == nil {
				t.Fatal("/unknown answered before a catch-all was added")
			}
			srv.HandleEvents("/", tagEcho{tag: "any"})
			if got, err := routeAnswer(ctx, base+"/unknown", "x", d); err != nil || got != "any:x" {
				t.Fatalf("/unknown after the catch-all answered %q, %v; want %q", got, err, "any:x")
			}
			if got, err := routeAnswer(ctx, base+"/r3", "exact", d); err != nil || got != "r3:exact" {
				t.Fatalf("/r3 after the catch-all answered %q, %v; want its own route", got, err)
			}

			close(stop)
			wg.Wait()
			if upgrades.Load() == 0 {
				t.Fatal("no upgrade on /base completed while routes were added")
			}
			t.Logf("%d upgrades on /base while %d routes were added", upgrades.Load(), routes+200+2)
			if t.Failed() {
				return
			}
			early.Terminate()
			waitFor(t, ioTimeout, "Conns() == 0", func() bool { return srv.Stats().Conns == 0 })
		})
	}
}
