package attack_test

import (
	"fmt"

	"github.com/surgews/surge/bench/internal/attack"
	"github.com/surgews/surge/bench/internal/servers"
	"github.com/surgews/surge/bench/internal/stats"
)

// An attack needs only the server's address; a PID adds the figures from
// /proc. Here the server runs in the same process, so there is no PID.
func ExampleCloseOrder() {
	srv, err := servers.Start("gorilla", "127.0.0.1:0", &stats.Counters{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	r, err := attack.CloseOrder(attack.Target{Addr: srv.Addr().String()}, 5, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d runs in order, close codes %d\n", r.InOrder, r.Runs, r.Codes)
	// Output: 5 of 5 runs in order, close codes [1000]
}

func ExampleInvalidCloseFrames() {
	srv, err := servers.Start("surge-inline", "127.0.0.1:0", &stats.Counters{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	rs, err := attack.InvalidCloseFrames(attack.Target{Addr: srv.Addr().String()})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs {
		fmt.Printf("%s: echo %v, close %d, %s\n", r.Case, r.Echo, r.Code, r.End)
	}
	// Output:
	// reason over 123 bytes: echo true, close 1002, FIN
	// fragmented: echo true, close 1002, FIN
	// RSV1: echo true, close 1002, FIN
	// unmasked: echo true, close 1002, FIN
	// one-byte payload: echo true, close 1002, FIN
	// code 1005 on the wire: echo true, close 1002, FIN
	// reason not UTF-8: echo true, close 1007, FIN
}
