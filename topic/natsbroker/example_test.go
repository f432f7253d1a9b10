package natsbroker_test

import (
	"fmt"
	"log"

	"github.com/nats-io/nats.go"

	"github.com/surgews/surge/topic"
	"github.com/surgews/surge/topic/natsbroker"
)

// A hub whose topics are shared with every process joined to the same NATS
// server. The connection must not echo: a node delivers its own publishes.
func ExampleNew() {
	nc, err := nats.Connect(nats.DefaultURL, nats.NoEcho(), nats.MaxReconnects(-1))
	if err != nil {
		return // no NATS server here
	}
	defer nc.Close()
	b, err := natsbroker.New(nc, "")
	if err != nil {
		log.Fatal(err)
	}
	hub, err := topic.NewHub(b)
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
	// hub.Subscribe(s, "room/42") in handlers; hub.Publish reaches every node.
}

func ExampleSubject() {
	fmt.Println(natsbroker.Subject("surge.topic", "room/42"))
	fmt.Println(natsbroker.Subject("surge.topic", "a.b"))
	// Output:
	// surge.topic.room%2F42
	// surge.topic.a%2Eb
}
