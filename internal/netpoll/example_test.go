package netpoll_test

import (
	"fmt"

	"github.com/surgews/surge/internal/netpoll"
)

func ExampleEvent_String() {
	fmt.Println(netpoll.EventRead | netpoll.EventHup)
	fmt.Println(netpoll.Event(0))
	// Output:
	// read|hup
	// none
}
