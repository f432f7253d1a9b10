package servers_test

import (
	"fmt"

	"github.com/surgews/surge/bench/internal/servers"
	"github.com/surgews/surge/bench/internal/stats"
)

func ExampleStart() {
	var c stats.Counters
	srv, err := servers.Start("gws", "127.0.0.1:0", &c)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(srv.Addr().Network(), c.Conns())
	// Output: tcp 0
}

func ExampleNames() {
	fmt.Println(servers.Names())
	// Output: [surge-inline surge-pool surge-goroutine coder gobwas gorilla gws nbio]
}
