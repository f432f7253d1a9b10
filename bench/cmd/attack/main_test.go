package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/surgews/surge/bench/internal/servers"
	"github.com/surgews/surge/bench/internal/stats"
)

// TestRunAgainstAddr attacks a running gorilla server by address: the
// close-order table has its row, and the open-files attack, which must
// start its own server, says so in its row instead of failing the run.
func TestRunAgainstAddr(t *testing.T) {
	srv, err := servers.Start("gorilla", "127.0.0.1:0", &stats.Counters{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	var b strings.Builder
	if err := run([]string{"-addr", addr, "-attacks", "closeorder,fdlimit"}, &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("| %s | 1 | 10 of 10 | 0 | 0 | 1000 |", addr),
		fmt.Sprintf("| %s | error: the open-files attack needs a server it starts itself", addr),
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestRunNeedsATarget(t *testing.T) {
	for _, args := range [][]string{nil, {"-addr", "127.0.0.1:1", "-attacks", "nope"}} {
		if err := run(args, &strings.Builder{}); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}
