package topic_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
)

// A ticker: every session of /ticks subscribes to "ticks" when it opens, and
// one Publish reaches them all. The subscription ends with the session.
func Example() {
	var hub topic.Hub // in-process; topic.NewHub joins a cluster
	srv := engine.New(engine.Config{})
	srv.HandleSession("/ticks", func(s *session.Session) {
		if err := hub.Subscribe(s, "ticks"); err != nil {
			return
		}
		_ = s.Send(context.Background(), session.CopyText("subscribed"))
		for f := range s.Incoming() {
			f.Release()
		}
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/ticks", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Terminate()
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()

	_ = hub.Publish("ticks", frame.OpText, []byte("tick 1"), nil)
	f = <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()
	// Output:
	// subscribed
	// tick 1
}

// Subscribing from an event-style handler; Publish from OnMessage excludes
// the sender.
func ExampleHub_Subscribe() {
	var hub topic.Hub
	srv := engine.New(engine.Config{})
	srv.HandleEvents("/chat", &room{hub: &hub})
	fmt.Println(hub.Stats().Published)
	// Output: 0
}

func ExampleHub_Publish() {
	var hub topic.Hub
	// No subscriber: the message goes nowhere, and that is not an error.
	fmt.Println(hub.Publish("news", frame.OpText, []byte("hello"), nil))
	// A message no session could send is refused.
	fmt.Println(hub.Publish("news", frame.OpText, []byte{0xff}, nil) != nil)
	// Output:
	// <nil>
	// true
}

// NewHub joins a hub to other processes through a Broker; see
// topic/natsbroker for one over NATS.
func ExampleNewHub() {
	var b topic.Broker // natsbroker.New(nc, "") for a NATS cluster
	if b == nil {
		return
	}
	hub, err := topic.NewHub(b)
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
}

func ExampleHub_Stats() {
	var hub topic.Hub
	_ = hub.Publish("empty", frame.OpBinary, []byte{1}, nil)
	st := hub.Stats()
	fmt.Println(st.Published, st.Delivered, st.Dropped, st.Closed)
	// Output: 1 0 0 0
}
