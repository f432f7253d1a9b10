package engine_test

import (
	"context"
	"testing"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// TestStatsCounts: what a server and a Dialer report after a known exchange
// through each kind of connection: a dialled echo with text and binary
// messages, a ping, a close with 1000, and a refused handshake.
func TestStatsCounts(t *testing.T) {
	for _, dispatch := range []session.Dispatch{session.DispatchInline, session.DispatchPool} {
		name := map[session.Dispatch]string{session.DispatchInline: "inline", session.DispatchPool: "pool"}[dispatch]
		t.Run(name, func(t *testing.T) {
			srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 2}, Session: session.Config{Dispatch: dispatch}})
			srv.HandleEvents("/echo", echoHandler{})
			addr := startServer(t, srv)
			d, err := engine.NewDialer(engine.ReactorConfig{Loops: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()

			// A refused handshake: no route at /nowhere (404).
			ctx, cancel := context.WithTimeout(context.Background(), dialWait)
			defer cancel()
			if c, err := engine.Dial(ctx, "ws://"+addr+"/nowhere", &engine.DialOptions{Dialer: d}); err == nil {
				c.Terminate()
				t.Fatal("dial to a missing route succeeded")
			}

			c, err := engine.Dial(ctx, "ws://"+addr+"/echo", &engine.DialOptions{Dialer: d})
			if err != nil {
				t.Fatal(err)
			}
			const texts, binaries = 5, 3
			for i := range texts + binaries {
				f := session.CopyText("hello")
				if i >= texts {
					f = session.CopyBinary([]byte("0123456789"))
				}
				if err := c.Send(ctx, f); err != nil {
					t.Fatal(err)
				}
				r := <-c.Incoming()
				r.Release()
			}
			if err := c.Send(ctx, session.Frame{Fin: true, Op: frame.OpPing, Payload: []byte("p")}); err != nil {
				t.Fatal(err)
			}
			_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
			<-c.Done()
			waitFor(t, ioTimeout, "server Conns back to 0", func() bool { return srv.Stats().Conns == 0 })

			st := srv.Stats()
			if st.Upgraded != 1 || st.Accepted != 2 || st.Rejected[404] != 1 {
				t.Errorf("server: accepted %d, upgraded %d, rejected %v; want 2, 1, 404:1", st.Accepted, st.Upgraded, st.Rejected)
			}
			if st.MessagesIn.Text != texts || st.MessagesIn.Binary != binaries || st.MessagesOut != st.MessagesIn {
				t.Errorf("server messages in %+v out %+v, want %d text %d binary each way", st.MessagesIn, st.MessagesOut, texts, binaries)
			}
			if st.BytesIn.Text != 5*texts || st.BytesIn.Binary != 10*binaries || st.BytesOut != st.BytesIn {
				t.Errorf("server bytes in %+v out %+v", st.BytesIn, st.BytesOut)
			}
			if st.PingsIn != 1 || st.PongsOut != 1 {
				t.Errorf("server pings in %d, pongs out %d, want 1, 1", st.PingsIn, st.PongsOut)
			}
			if st.ClosesReceived["1000"] != 1 || st.ClosesSent["1000"] != 1 || st.Ended["normal"] != 1 {
				t.Errorf("server closes received %v sent %v, ended %v", st.ClosesReceived, st.ClosesSent, st.Ended)
			}
			// Frames in: 8 messages, a ping, a close; out: 8, a pong, a close.
			if st.FramesIn != texts+binaries+2 || st.FramesOut != texts+binaries+2 {
				t.Errorf("server frames in %d out %d, want %d each", st.FramesIn, st.FramesOut, texts+binaries+2)
			}
			if st.WireIn <= st.BytesIn.Text+st.BytesIn.Binary || st.WireOut <= st.BytesOut.Text+st.BytesOut.Binary {
				t.Errorf("wire bytes in %d out %d do not cover the payloads", st.WireIn, st.WireOut)
			}
			if len(st.Loops) != 2 || st.Loops[0].Busy+st.Loops[1].Busy <= 0 || st.Loops[0].Wait+st.Loops[1].Wait <= 0 {
				t.Errorf("loop times %+v", st.Loops)
			}

			ds := d.Stats()
			if ds.Upgraded != 1 || ds.MessagesOut.Text != texts || ds.MessagesIn.Binary != binaries || ds.PingsOut != 1 ||
				ds.ClosesSent["1000"] != 1 || ds.Ended["normal"] != 1 {
				t.Errorf("dialer stats %+v", ds)
			}
		})
	}
}

// TestStatsEndReasons: the reasons sessions end are told apart.
func TestStatsEndReasons(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}, Session: session.Config{MaxMessageSize: 16}})
	srv.HandleSession("/", func(s *session.Session) {
		for f := range s.Incoming() {
			if f.Text() == "panic" {
				panic("boom")
			}
			f.Release()
		}
	})
	addr := startServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), dialWait)
	defer cancel()
	// A peer that vanishes, one that sends too much, one whose message
	// makes the handler panic.
	gone := dialSession(t, "ws://"+addr+"/", nil)
	gone.Terminate()
	big := dialSession(t, "ws://"+addr+"/", nil)
	_ = big.Send(ctx, session.CopyText("far more than sixteen bytes"))
	<-big.Done()
	p := dialSession(t, "ws://"+addr+"/", nil)
	_ = p.Send(ctx, session.CopyText("panic"))
	<-p.Done()
	waitFor(t, ioTimeout, "sessions ended", func() bool { return srv.Stats().Conns == 0 })
	st := srv.Stats()
	if st.Ended["peer_gone"] != 1 || st.Ended["message_too_big"] != 1 || st.Ended["handler_panic"] != 1 {
		t.Errorf("ended %v, want peer_gone, message_too_big, handler_panic once each", st.Ended)
	}
	if st.ProtocolErrors["1009"] != 1 || st.ClosesSent["1009"] != 1 || st.ClosesSent["1011"] != 1 {
		t.Errorf("protocol errors %v, closes sent %v", st.ProtocolErrors, st.ClosesSent)
	}
}

// TestStatsShutdown: sessions a Shutdown closes count as "shutdown".
func TestStatsShutdown(t *testing.T) {
	srv := engine.New(engine.Config{Reactor: engine.ReactorConfig{Loops: 1}})
	srv.HandleEvents("/", echoHandler{})
	addr := startServer(t, srv)
	c := dialSession(t, "ws://"+addr+"/", nil)
	ctx, cancel := context.WithTimeout(context.Background(), dialWait)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if got := srv.Stats().Ended["shutdown"]; got != 1 {
		t.Errorf("ended %v, want shutdown: 1", srv.Stats().Ended)
	}
}
