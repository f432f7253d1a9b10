// Package docs_test holds the code of the user guide, docs/guide.md: each
// ```go block of the guide is an excerpt of an Example or Test below, and
// guide_test.go checks that they stay the same.
package docs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/wstest"
)

// waitLimit bounds every wait of the examples, so that a broken build fails
// instead of hanging; the machine running the tests may be busy.
const waitLimit = 10 * time.Second

// listen starts srv on a free loopback port and returns its ws:// base URL.
func listen(srv *engine.Server) string {
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	return "ws://" + srv.Addr().String()
}

// dial opens a client session or stops the example.
func dial(url string, opts *engine.DialOptions) *session.Session {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := engine.Dial(ctx, url, opts)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// next returns the next message of a channel-style session as text, or says
// why there is none.
func next(c *session.Session) string {
	select {
	case f, ok := <-c.Incoming():
		if !ok {
			return "(closed)"
		}
		defer f.Release()
		return f.Text()
	case <-time.After(waitLimit):
		return "(timed out)"
	}
}

// await waits for ch to be closed or to deliver, at most waitLimit.
func await[T any](ch <-chan T) {
	select {
	case <-ch:
	case <-time.After(waitLimit):
		fmt.Println("(timed out)")
	}
}

// within returns the next value from ch, or says that none came in time.
func within[T any](ch <-chan T) (v T) {
	select {
	case v = <-ch:
	case <-time.After(waitLimit):
		fmt.Println("(timed out)")
	}
	return v
}

// sayBye closes a client session normally and waits for the handshake.
func sayBye(c *session.Session) {
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	await(c.Done())
}

// --- Installing and configuring -------------------------------------------

func Example_install() {
	srv := engine.New(engine.Config{
		Session: session.Config{
			PingInterval: 60 * time.Second, // 0, the default, sends no pings
			Timeout:      15 * time.Second, // for a pong or a close; the default
			MaxFrameSize: math.MaxInt64,    // Ktor's "unlimited"; the default is 32 MiB
			Masking:      false,
		},
		// Ktor's extensions { install(...) }
		Extensions: []extension.Factory{deflate.New(deflate.Config{})},
	})
	srv.HandleSession("/settings", func(s *session.Session) {
		_ = s.SendText(context.Background(), fmt.Sprint(
			s.PingInterval(), " ", s.Timeout(), " ", s.MaxFrameSize() == math.MaxInt64, " ",
			s.Masking(), " ", s.Request().Extensions[0].Name()))
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/settings", &engine.DialOptions{
		Extensions: []extension.Factory{deflate.New(deflate.Config{})},
	})
	fmt.Println(next(c))
	// Output:
	// 1m0s 15s true false permessage-deflate
}

// Example_run is compile-only: it serves on a fixed port until SIGINT.
func Example_run() {
	srv := engine.New(engine.Config{})
	srv.HandleSession("/echo", func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f)
		}
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		if err := srv.ListenAndServe(":8080"); !errors.Is(err, engine.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	<-ctx.Done()
	// Graceful: every session gets 1001 (going away) after what it has queued.
	grace, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		log.Print(err)
	}
}

// --- Usage: as an actor and as a channel ----------------------------------

func Example_actor() {
	srv := engine.New(engine.Config{})
	srv.HandleSession("/", func(s *session.Session) {
		ctx := context.Background()
		for f := range s.Incoming() {
			if f.Op == frame.OpText {
				text := f.Text()
				_ = s.SendText(ctx, "YOU SAID: "+text)
				if strings.EqualFold(text, "bye") {
					_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "Client said BYE"})
				}
			}
			f.Release()
		}
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/", nil)
	ctx := context.Background()
	_ = c.SendText(ctx, "hello")
	_ = c.SendText(ctx, "BYE")
	for f := range c.Incoming() { // ends when the session ends
		fmt.Println(f.Text())
		f.Release()
	}
	fmt.Println(c.CloseReason())
	// Output:
	// YOU SAID: hello
	// YOU SAID: BYE
	// 1000 normal closure: Client said BYE
}

func Example_channel() {
	srv := engine.New(engine.Config{})
	srv.HandleSession("/", func(s *session.Session) {
		out := s.Outgoing()
		for f := range s.Incoming() {
			if f.Op != frame.OpText {
				f.Release()
				continue
			}
			text := f.Text()
			f.Release()
			out <- session.CopyText("YOU SAID " + text)
			if strings.EqualFold(text, "bye") {
				_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "Client said BYE"})
			}
		}
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/", nil)
	ctx := context.Background()
	_ = c.Send(ctx, session.BorrowBinary([]byte{1, 2, 3})) // skipped
	_ = c.SendText(ctx, "hello")
	_ = c.SendText(ctx, "bye")
	fmt.Println(next(c))
	fmt.Println(next(c))
	fmt.Println(next(c))
	fmt.Println(c.CloseReason().Reason)
	// Output:
	// YOU SAID hello
	// YOU SAID bye
	// (closed)
	// Client said BYE
}

// A channel-style function may select over Incoming and channels of its own,
// here a feed of prices pushed to the client until it leaves.
func Example_channelSelect() {
	prices := make(chan string)
	srv := engine.New(engine.Config{})
	srv.HandleSession("/prices", func(s *session.Session) {
		ctx := context.Background()
		for {
			select {
			case f, ok := <-s.Incoming():
				if !ok {
					return // the client left
				}
				f.Release() // this feed ignores what clients send
			case p := <-prices:
				if err := s.SendText(ctx, p); err != nil {
					return
				}
			}
		}
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/prices", nil)
	prices <- "EUR 1.08"
	prices <- "GBP 1.27"
	fmt.Println(next(c))
	fmt.Println(next(c))
	sayBye(c)
	// Output:
	// EUR 1.08
	// GBP 1.27
}

// --- The Session API ---------------------------------------------------------

func Example_session() {
	done := make(chan struct{})
	srv := engine.New(engine.Config{Session: session.Config{Timeout: 5 * time.Second}})
	srv.HandleSession("/api", func(s *session.Session) {
		defer close(done)
		ctx := context.Background()

		// call and application
		req := s.Request()
		fmt.Println(req.Path, req.RawQuery, req.Header.Get("User-Agent"), req.Remote.Addr().IsLoopback())
		fmt.Println(s.Server() == srv, len(req.Extensions), req.Protocol == "")

		// per-session settings, whose defaults come from the Config
		s.SetPingInterval(20 * time.Second)
		s.SetMaxFrameSize(1 << 20)
		fmt.Println(s.PingInterval(), s.Timeout(), s.Masking(), s.MaxFrameSize())

		// one value of the application's own, such as the user
		s.SetValue("user-42")
		fmt.Println(s.Value())

		// incoming, send, outgoing, flush
		f := <-s.Incoming()
		fmt.Println("received", f.Text())
		_ = s.Send(ctx, f)
		s.Outgoing() <- session.CopyText("two")
		_ = s.Flush(ctx)

		// close and closeReason
		_ = s.Close(session.CloseReason{Code: frame.CloseNormal, Reason: "done"})
		<-s.Done()
		fmt.Println(s.CloseReason(), s.Err())
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/api?room=7", &engine.DialOptions{Header: http.Header{"User-Agent": {"guide/1"}}})
	_ = c.SendText(context.Background(), "one")
	for f := range c.Incoming() {
		f.Release()
	}
	await(done)
	// Output:
	// /api room=7 guide/1 true
	// true 0 true
	// 20s 5s false 1048576
	// user-42
	// received one
	// 1000 normal closure: done <nil>
}

// Terminate drops the connection without a closing handshake; both ends see
// 1006.
func Example_terminate() {
	reasons := make(chan session.CloseReason, 1)
	srv := engine.New(engine.Config{})
	srv.HandleSession("/", func(s *session.Session) {
		s.Terminate()
		reasons <- s.CloseReason() // 1006 abnormal closure: terminated
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/", nil)
	// Terminate drops the connection before the handler goes on, so either
	// end may see it first: print both here, in order.
	fmt.Println("server:", within(reasons))
	await(c.Done())
	fmt.Println("client:", c.CloseReason().Code)
	// Output:
	// server: 1006 abnormal closure: terminated
	// client: abnormal closure
}

// --- Frames ----------------------------------------------------------------

func Example_frames() {
	for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary, frame.OpClose, frame.OpPing, frame.OpPong} {
		fmt.Println(op, "control:", op.IsControl())
	}

	t := session.CopyText("héllo") // a pooled copy: send it once, or Release it
	fmt.Println(t.Fin, t.Op, t.Rsv1, t.Text(), len(t.Payload))
	t.Release()

	b := session.BorrowBinary([]byte{0xca, 0xfe}) // borrows the slice: no copy
	fmt.Println(b.Op, b.Payload)

	ping := session.Frame{Fin: true, Op: frame.OpPing, Payload: []byte("are you there?")}
	fmt.Println(ping.Op, ping.Text())

	// Ktor's Frame.Close.readReason: a close payload read as a CloseReason.
	payload := frame.AppendClose(nil, frame.CloseGoingAway, "restart")
	code, reason, _ := frame.ParseClose(payload)
	fmt.Println(session.CloseReason{Code: code, Reason: string(reason)})
	// Output:
	// text control: false
	// binary control: false
	// close control: true
	// ping control: true
	// pong control: true
	// true text false héllo 6
	// binary [202 254]
	// ping are you there?
	// 1001 going away: restart
}

// A received frame is valid until it is released, sent, or (event style)
// OnMessage returns; Clone keeps it longer.
func Example_frameOwnership() {
	done := make(chan struct{})
	srv := engine.New(engine.Config{})
	srv.HandleSession("/", func(s *session.Session) {
		defer close(done)
		var kept []session.Frame
		for f := range s.Incoming() {
			kept = append(kept, f.Clone())      // a copy of our own
			_ = s.Send(context.Background(), f) // Send takes f: do not use it after
		}
		for _, k := range kept {
			fmt.Println("kept", k.Text())
			k.Release()
		}
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/", nil)
	_ = c.SendText(context.Background(), "a")
	fmt.Println("echo", next(c))
	sayBye(c)
	await(done)
	// Output:
	// echo a
	// kept a
}

// --- Testing ---------------------------------------------------------------

func TestGuideConversation(t *testing.T) {
	var (
		mu       sync.Mutex
		received []string
	)
	srv := engine.New(engine.Config{})
	srv.HandleSession("/echo", func(s *session.Session) {
		for f := range s.Incoming() {
			mu.Lock()
			received = append(received, f.Text())
			mu.Unlock()
			_ = s.Send(context.Background(), f)
		}
	})

	wstest.Conversation(t, srv, "/echo", func(in <-chan session.Frame, out chan<- session.Frame) {
		textMessages := []string{"HELLO", "WORLD"}
		for _, msg := range textMessages {
			out <- session.CopyText(msg)
			if got := wstest.ReadText(t, in); got != msg {
				t.Errorf("echo %q, want %q", got, msg)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(received, textMessages) {
			t.Errorf("server received %q, want %q", received, textMessages)
		}
	})
}

func TestGuideCloseReason(t *testing.T) {
	srv := engine.New(engine.Config{})
	srv.HandleSession("/once", func(s *session.Session) {
		f := <-s.Incoming()
		f.Release()
		_ = s.Close(session.CloseReason{Code: frame.ClosePolicyViolation, Reason: "one message only"})
	})

	c := wstest.Client{}.Dial(t, srv, "/once")
	if err := c.SendText(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	if r := wstest.WaitClosed(t, c); r.Code != frame.ClosePolicyViolation {
		t.Errorf("closed with %v, want 1008", r)
	}
}

// --- Standard events -------------------------------------------------------

func Example_standardEvents() {
	done := make(chan struct{}, 1)
	srv := engine.New(engine.Config{})
	srv.HandleSession("/echo", func(s *session.Session) {
		fmt.Println("onConnect")
		for f := range s.Incoming() {
			fmt.Println("onMessage", f.Text())
			_ = s.Send(context.Background(), f)
		}
		if err := s.Err(); err != nil {
			fmt.Println("onError", s.CloseReason().Code, err)
		} else {
			fmt.Println("onClose", s.CloseReason())
		}
		done <- struct{}{}
	})
	url := listen(srv)
	defer srv.Close()

	// A client that says hello and leaves.
	c := dial(url+"/echo", nil)
	_ = c.SendText(context.Background(), "hello")
	next(c)
	sayBye(c)
	await(done)

	// A client that breaks the protocol: text that is not UTF-8.
	c = dial(url+"/echo", nil)
	_ = c.Send(context.Background(), session.BorrowText([]byte{0xff}))
	await(c.Done())
	await(done)
	// Output:
	// onConnect
	// onMessage hello
	// onClose 1000 normal closure
	// onConnect
	// onError invalid payload data websocket: 1007 invalid payload data: invalid UTF-8 in text message
}

// events is an event-style handler: the standard events, with no goroutine
// per session.
type events struct {
	session.NopHandler
	done chan struct{}
}

func (events) OnOpen(s *session.Session) {
	fmt.Println("onConnect", s.Request().Path)
}

func (events) OnMessage(s *session.Session, f session.Frame) {
	fmt.Println("onMessage", f.Text())
	_ = s.Send(context.Background(), f)
}

func (events) OnError(s *session.Session, err error) {
	fmt.Println("onError", s.CloseReason().Code, err)
}

func (h events) OnClose(s *session.Session, r session.CloseReason) {
	fmt.Println("onClose", r)
	h.done <- struct{}{}
}

func Example_standardEventsHandler() {
	h := events{done: make(chan struct{}, 1)}
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/echo", h)
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/echo", nil)
	_ = c.SendText(context.Background(), "hello")
	next(c)
	sayBye(c)
	await(h.done)

	c = dial(url+"/echo", nil)
	_ = c.Send(context.Background(), session.BorrowText([]byte{0xff}))
	await(h.done)
	// Output:
	// onConnect /echo
	// onMessage hello
	// onClose 1000 normal closure
	// onConnect /echo
	// onError invalid payload data websocket: 1007 invalid payload data: invalid UTF-8 in text message
	// onClose 1007 invalid payload data: invalid UTF-8 in text message
}

// --- Event style for millions of sessions ----------------------------------

// upper answers each text message in upper case. It does not block, so it
// can run inline on the event loop.
type upper struct{ session.NopHandler }

func (upper) OnMessage(s *session.Session, f session.Frame) {
	_ = s.SendText(context.Background(), strings.ToUpper(f.Text()))
}

// lookup answers with what a slow store holds for the key it receives. It
// blocks, so it runs on the worker pool.
type lookup struct {
	session.NopHandler
	store func(key string) string // a database call, say
}

func (l lookup) OnMessage(s *session.Session, f session.Frame) {
	_ = s.SendText(context.Background(), l.store(f.Text()))
}

func Example_eventStyle() {
	srv := engine.New(engine.Config{
		Reactor: engine.ReactorConfig{Workers: 16}, // the pool of DispatchPool
	})
	// Inline, the default: the handler runs on the event loop.
	srv.HandleEvents("/upper", upper{})
	// Pool: the handler may block; each session's events stay in order.
	srv.Handle("/lookup", engine.Route{
		Events:  lookup{store: func(key string) string { return key + "=42" }},
		Session: &session.Config{Dispatch: session.DispatchPool},
	})
	url := listen(srv)
	defer srv.Close()

	for _, path := range []string{"/upper", "/lookup"} {
		c := dial(url+path, nil)
		_ = c.SendText(context.Background(), "answer")
		fmt.Println(path, next(c))
		sayBye(c)
	}
	// Output:
	// /upper ANSWER
	// /lookup answer=42
}

// --- Backpressure ----------------------------------------------------------

// stalled dials a client that never reads: after its socket buffers and
// Incoming fill, what the server sends to it stays in the server's backlog.
func stalled(url string) *session.Session {
	return dial(url, &engine.DialOptions{Session: session.Config{IncomingBuffer: 1, QueueLimit: 1}})
}

func Example_backpressure() {
	chunk := make([]byte, 64<<10)
	results := make(chan error, 2)
	feed := func(s *session.Session) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		var err error
		for i := 0; i < 2000 && err == nil; i++ { // 125 MiB at most
			err = s.Send(ctx, session.BorrowBinary(chunk))
		}
		results <- err
	}
	srv := engine.New(engine.Config{})
	// BackpressureWait, the default: Send waits while the backlog is over
	// Backlog, until it drains, ctx ends, or the session closes.
	srv.Handle("/wait", engine.Route{Run: feed, Session: &session.Config{
		Backlog: 256 << 10,
	}})
	// BackpressureDrop: Send returns ErrBacklogFull at once, sending nothing.
	srv.Handle("/drop", engine.Route{Run: feed, Session: &session.Config{
		Backlog:      256 << 10,
		Backpressure: session.BackpressureDrop,
	}})
	url := listen(srv)
	defer srv.Close()

	for _, path := range []string{"/wait", "/drop"} {
		c := stalled(url + path)
		err := within(results)
		fmt.Println(path, errors.Is(err, context.DeadlineExceeded), errors.Is(err, session.ErrBacklogFull))
		c.Terminate()
	}
	// Output:
	// /wait true false
	// /drop false true
}

// --- Broadcast -------------------------------------------------------------

// room sends every message to every member, the sender included. Handlers
// of several sessions run at once (on several event loops), hence the mutex.
type room struct {
	session.NopHandler
	mu      sync.Mutex
	members []*session.Session
}

func (r *room) OnOpen(s *session.Session) {
	r.mu.Lock()
	// Copy on write: a broadcast reads the old slice without the lock.
	r.members = append(r.members[:len(r.members):len(r.members)], s)
	r.mu.Unlock()
	_ = s.SendText(context.Background(), "welcome")
}

func (r *room) OnClose(s *session.Session, _ session.CloseReason) {
	r.mu.Lock()
	r.members = slices.DeleteFunc(slices.Clone(r.members), func(m *session.Session) bool { return m == s })
	r.mu.Unlock()
}

func (r *room) OnMessage(_ *session.Session, f session.Frame) {
	r.mu.Lock()
	members := r.members
	r.mu.Unlock()
	// One payload for all: a Frame literal borrows f's bytes, and each Send
	// copies them only if that member's socket cannot take them now.
	msg := session.Frame{Fin: true, Op: f.Op, Payload: f.Payload}
	for _, m := range members {
		_ = m.Send(context.Background(), msg)
	}
}

func Example_broadcast() {
	srv := engine.New(engine.Config{Session: session.Config{
		Backlog:      256 << 10,
		Backpressure: session.BackpressureDrop, // a slow member misses messages, nobody waits
	}})
	srv.HandleEvents("/room", &room{})
	url := listen(srv)
	defer srv.Close()

	ada, bob := dial(url+"/room", nil), dial(url+"/room", nil)
	fmt.Println(next(ada), next(bob)) // both are members now
	_ = ada.SendText(context.Background(), "hi all")
	fmt.Println("ada got:", next(ada))
	fmt.Println("bob got:", next(bob))
	sayBye(ada)
	sayBye(bob)
	// Output:
	// welcome welcome
	// ada got: hi all
	// bob got: hi all
}

// lobby puts every session in one topic of a hub and publishes what each
// one sends to all of them.
type lobby struct {
	session.NopHandler
	hub *topic.Hub
}

func (l lobby) OnOpen(s *session.Session) {
	if err := l.hub.Subscribe(s, "lobby"); err != nil {
		_ = s.Close(session.CloseReason{Code: frame.CloseInternalError, Reason: "no lobby"})
		return
	}
	_ = s.SendText(context.Background(), "welcome")
}

func (l lobby) OnMessage(_ *session.Session, f session.Frame) {
	// Encoded once for all subscribers; Publish copies the payload and
	// never waits for a subscriber. The subscription ends with the session.
	_ = l.hub.Publish("lobby", f.Op, f.Payload, nil)
}

func Example_broadcastTopic() {
	var hub topic.Hub // the zero value is an in-process hub
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/lobby", lobby{hub: &hub})
	url := listen(srv)
	defer srv.Close()

	ada, bob := dial(url+"/lobby", nil), dial(url+"/lobby", nil)
	fmt.Println(next(ada), next(bob)) // both are subscribed now
	_ = bob.SendText(context.Background(), "hello lobby")
	fmt.Println("ada got:", next(ada))
	fmt.Println("bob got:", next(bob))
	sayBye(ada)
	sayBye(bob)
	// Output:
	// welcome welcome
	// ada got: hello lobby
	// bob got: hello lobby
}

// --- TLS -------------------------------------------------------------------

// testCertificate makes a self-signed certificate for 127.0.0.1 and a pool
// that trusts it; a deployment loads its own with tls.LoadX509KeyPair.
func testCertificate() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "surge guide"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

func Example_tls() {
	cert, roots := testCertificate()
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/upper", upper{})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "wss://"+ln.Addr().String()+"/upper", &engine.DialOptions{
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = c.SendText(ctx, "secret")
	fmt.Println(next(c))
	sayBye(c)
	// Output:
	// SECRET
}

// --- net/http --------------------------------------------------------------

func Example_netHTTP() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/ws", upper{})
	defer srv.Close()

	mux := http.NewServeMux()
	// Authenticate with net/http, then hand the request to surge.
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer let-me-in" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		srv.ServeHTTP(w, r) // the connection leaves net/http for an event loop
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "a page") })
	ts := httptest.NewServer(mux)
	defer ts.Close()

	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	_, err := engine.Dial(ctx, url, nil)
	var refused *engine.HandshakeError
	fmt.Println(errors.As(err, &refused), refused.StatusCode)

	c := dial(url, &engine.DialOptions{Header: http.Header{"Authorization": {"Bearer let-me-in"}}})
	_ = c.SendText(ctx, "in")
	fmt.Println(next(c))
	sayBye(c)
	// Output:
	// true 401
	// IN
}

// --- Serialization ---------------------------------------------------------

// chatMessage is what the chat's clients and server exchange.
type chatMessage struct {
	From string `json:"from"`
	Text string `json:"text"`
}

func Example_serialization() {
	srv := engine.New(engine.Config{})
	// Channel style: Receive decodes the next message (io.EOF at the end).
	srv.HandleSession("/chat", func(s *session.Session) {
		ctx := context.Background()
		for {
			var m chatMessage
			if err := s.Receive(ctx, &m); err != nil {
				return // io.EOF: the session ended
			}
			_ = s.SendValue(ctx, chatMessage{From: "server", Text: "got " + m.Text})
		}
	})
	url := listen(srv)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, url+"/chat", nil)
	if err != nil {
		log.Fatal(err)
	}
	_ = c.SendValue(ctx, chatMessage{From: "ada", Text: "hi"})
	var reply chatMessage
	if err := c.Receive(ctx, &reply); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", reply)
	sayBye(c)
	fmt.Println(c.Receive(ctx, &reply) == io.EOF)
	// Output:
	// {From:server Text:got hi}
	// true
}

// echoValue is an event-style handler that decodes with Decode.
type echoValue struct{ session.NopHandler }

func (echoValue) OnMessage(s *session.Session, f session.Frame) {
	var m chatMessage
	if err := s.Decode(f, &m); err != nil { // Decode releases f
		_ = s.Close(session.CloseReason{Code: frame.CloseUnsupportedData, Reason: "want a chat message"})
		return
	}
	_ = s.SendValue(context.Background(), chatMessage{From: "server", Text: "got " + m.Text})
}

// point is a value with a binary encoding of its own.
type point struct{ X, Y int32 }

func (p point) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint32(b, uint32(p.X))
	return binary.BigEndian.AppendUint32(b, uint32(p.Y)), nil
}

func (p *point) UnmarshalBinary(b []byte) error {
	if len(b) != 8 {
		return fmt.Errorf("point: %d bytes, want 8", len(b))
	}
	p.X, p.Y = int32(binary.BigEndian.Uint32(b)), int32(binary.BigEndian.Uint32(b[4:]))
	return nil
}

// binaryCodec sends values that encode themselves (encoding.BinaryAppender
// and encoding.BinaryUnmarshaler) in binary frames, without reflection.
type binaryCodec struct{}

func (binaryCodec) Append(dst []byte, v any) ([]byte, error) {
	a, ok := v.(interface{ AppendBinary([]byte) ([]byte, error) })
	if !ok {
		return dst, fmt.Errorf("%T has no AppendBinary", v)
	}
	return a.AppendBinary(dst)
}

func (binaryCodec) Unmarshal(p []byte, v any) error {
	u, ok := v.(interface{ UnmarshalBinary([]byte) error })
	if !ok {
		return fmt.Errorf("%T has no UnmarshalBinary", v)
	}
	return u.UnmarshalBinary(p)
}

func (binaryCodec) Binary() bool { return true }

func Example_codec() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/chat", echoValue{}) // JSON, the default
	srv.Handle("/points", engine.Route{
		Run: func(s *session.Session) {
			var p point
			for s.Receive(context.Background(), &p) == nil {
				_ = s.SendValue(context.Background(), point{X: p.Y, Y: p.X})
			}
		},
		Session: &session.Config{Codec: binaryCodec{}},
	})
	url := listen(srv)
	defer srv.Close()

	ctx := context.Background()
	c := dial(url+"/chat", nil)
	_ = c.SendValue(ctx, chatMessage{From: "ada", Text: "hi"})
	fmt.Println(next(c))
	sayBye(c)

	c = dial(url+"/points", &engine.DialOptions{Session: session.Config{Codec: binaryCodec{}}})
	_ = c.SendValue(ctx, point{X: 1, Y: 2})
	var p point
	_ = c.Receive(ctx, &p)
	fmt.Printf("%+v\n", p)
	sayBye(c)
	// Output:
	// {"from":"server","text":"got hi"}
	// {X:2 Y:1}
}

// --- Subprotocols per route ------------------------------------------------

func Example_subprotocols() {
	srv := engine.New(engine.Config{})
	srv.Handle("/chat", engine.Route{
		Protocols: []string{"chat.v2", "chat.v1"}, // preferred first; one is required
		Run: func(s *session.Session) {
			_ = s.SendText(context.Background(), "speaking "+s.Request().Protocol)
		},
	})
	url := listen(srv)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, url+"/chat", &engine.DialOptions{Protocols: []string{"chat.v1"}})
	if err != nil {
		log.Fatal(err)
	}
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()

	_, err = engine.Dial(ctx, url+"/chat", nil) // offers no subprotocol
	var refused *engine.HandshakeError
	fmt.Println(errors.As(err, &refused), refused.StatusCode)
	// Output:
	// speaking chat.v1
	// true 400
}

// --- Request headers -------------------------------------------------------

// tenants greets each session with who it is, read from the request.
type tenants struct{ session.NopHandler }

func (tenants) OnOpen(s *session.Session) {
	// Every header is there in OnOpen, nothing to configure.
	h := s.Request().Header
	_ = s.SendText(context.Background(), h.Get("Authorization")+" from "+h.Get("X-Tenant"))
}

func (tenants) OnMessage(s *session.Session, f session.Frame) {
	// Later, only the headers listed in KeepHeaders are there.
	h := s.Request().Header
	_ = s.SendText(context.Background(), fmt.Sprintf("%q %q", h.Get("Authorization"), h.Get("X-Tenant")))
}

func Example_requestHeaders() {
	srv := engine.New(engine.Config{KeepHeaders: []string{"X-Tenant"}})
	srv.HandleEvents("/", tenants{})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/", &engine.DialOptions{Header: http.Header{
		"Authorization": {"Bearer abc"},
		"X-Tenant":      {"acme"},
	}})
	fmt.Println(next(c))
	_ = c.SendText(context.Background(), "again")
	fmt.Println(next(c))
	sayBye(c)
	// Output:
	// Bearer abc from acme
	// "" "acme"
}

// --- Ping and pong ---------------------------------------------------------

func Example_pingPong() {
	pings := make(chan string, 1)
	srv := engine.New(engine.Config{Session: session.Config{
		// Runs on the event loop after surge has answered the ping: keep it short.
		OnControl: func(s *session.Session, f session.Frame) {
			pings <- fmt.Sprintf("server saw %v %q", f.Op, f.Payload) // f.Payload is valid during the call only
		},
	}})
	srv.HandleEvents("/", upper{})
	url := listen(srv)
	defer srv.Close()

	// The client measures the round-trip time: its ping carries the time it
	// was sent, and the pong echoes it back.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rtts := make(chan time.Duration, 1)
	c, err := engine.Dial(ctx, url+"/", &engine.DialOptions{Session: session.Config{
		OnControl: func(s *session.Session, f session.Frame) {
			if f.Op == frame.OpPong && len(f.Payload) == 8 {
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(f.Payload)))
				rtts <- time.Since(sent)
			}
		},
	}})
	if err != nil {
		log.Fatal(err)
	}
	ping := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
	_ = c.Send(ctx, session.Frame{Fin: true, Op: frame.OpPing, Payload: ping})
	fmt.Println(within(pings) == fmt.Sprintf("server saw ping %q", ping))
	fmt.Println("rtt measured:", within(rtts) > 0)
	sayBye(c)
	// Output:
	// true
	// rtt measured: true
}

// --- Fragments as they arrive ----------------------------------------------

func Example_fragments() {
	done := make(chan string, 1)
	srv := engine.New(engine.Config{})
	srv.Handle("/upload", engine.Route{
		Session: &session.Config{Fragments: true},
		Run: func(s *session.Session) {
			var file strings.Builder // a file, a hash, a decoder: anything that streams
			for f := range s.Incoming() {
				fmt.Println(f.Op, f.Fin, len(f.Payload))
				file.Write(f.Payload)
				if f.Fin {
					done <- file.String()
					file.Reset()
				}
				f.Release()
			}
		},
	})
	url := listen(srv)
	defer srv.Close()

	// The client sends one text message in three frames.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, url+"/upload", nil)
	if err != nil {
		log.Fatal(err)
	}
	_ = c.Send(ctx, session.Frame{Op: frame.OpText, Payload: []byte("Hel")})
	_ = c.Send(ctx, session.Frame{Op: frame.OpContinuation, Payload: []byte("lo, ")})
	_ = c.Send(ctx, session.Frame{Fin: true, Op: frame.OpContinuation, Payload: []byte("world")})
	fmt.Println(within(done))
	sayBye(c)
	// Output:
	// text false 3
	// continuation false 4
	// continuation true 5
	// Hello, world
}

// --- Text shortcuts --------------------------------------------------------

func Example_textShortcuts() {
	srv := engine.New(engine.Config{})
	srv.HandleSession("/", func(s *session.Session) {
		ctx := context.Background()
		_ = s.SendText(ctx, "hello")                           // Ktor's send("hello")
		_ = s.Send(ctx, session.BorrowBinary([]byte{1, 2, 3})) // Ktor's send(byteArray)
	})
	url := listen(srv)
	defer srv.Close()

	c := dial(url+"/", nil)
	for f := range c.Incoming() {
		fmt.Println(f.Op, f.Payload)
		f.Release()
	}
	// Output:
	// text [104 101 108 108 111]
	// binary [1 2 3]
}

// --- The client ------------------------------------------------------------

func Example_client() {
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/upper", upper{})
	url := listen(srv) // "ws://127.0.0.1:port"
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, url+"/upper", nil)
	if err != nil {
		log.Fatal(err)
	}
	_ = c.SendText(ctx, "from the client")
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	fmt.Println(c.CloseReason())
	// Output:
	// FROM THE CLIENT
	// 1000 normal closure
}
