package conformance_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/surgews/surge/conformance"
)

// report collects the results of TestServer and TestClient.
var report = &conformance.Report{
	Suites: []string{"server/inline", "server/pool", "server/channel", "client"},
	Notes: []string{
		"Suites: `server/*` run every case against surge's echo server (engine.New + Handle/HandleFunc on \"/\") over raw TCP after a hand-made upgrade, " +
			"with event-style handlers inline on the loop, on the worker pool, and a channel-style handler; `client` runs the mirror of every case " +
			"against engine.Dial talking to a scripted raw server (unmasked frames to the client; the client's frames must be masked), the client session echoing via a loop over Incoming. " +
			"Every case ends with the TCP connection closed cleanly: a server must close TCP itself within 1 s of the close handshake, with a FIN, not a reset; " +
			"a client must leave that to the server after a normal handshake (case S.10 checks that it gives up after its CloseTimeout).",
		"Reduced sizes: 9.3/9.4 use 1 MiB messages (Autobahn: 4 MiB), 9.5/9.6 256 KiB messages (Autobahn: 1 MiB), 12.x 100 messages per case (Autobahn: 1000). " +
			"Under the race detector (`go test -race`) sections 9 and 12 shrink further; this report is generated without it, at the sizes shown.",
		"Not covered: Autobahn section 13 (permessage-deflate parameter combinations: context takeover, window bits). " +
			"Section 12 runs with server_no_context_takeover and client_no_context_takeover, the default of package deflate. " +
			"Autobahn 12.3-12.5 (payloads from files) are not reproduced.",
	},
}

// regenerate is the command that rewrites docs/conformance.md; the test
// binary runs in the package directory, hence the relative path.
const regenerate = "SURGE_CONFORMANCE_REPORT=../docs/conformance.md go test -count=1 -run 'TestServer|TestClient' ./conformance/"

// TestMain runs the suites and, when SURGE_CONFORMANCE_REPORT names a file,
// writes the markdown report there.
func TestMain(m *testing.M) {
	// Most cases spend their time waiting for surge to stay quiet or to
	// time out, not computing: run more of them at once than the default
	// GOMAXPROCS unless -parallel was given.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		n := "8"
		if raceEnabled {
			n = "4"
		}
		_ = flag.Set("test.parallel", n)
	}
	code := m.Run()
	if path := os.Getenv("SURGE_CONFORMANCE_REPORT"); path != "" {
		if err := writeReport(path); err != nil {
			fmt.Fprintln(os.Stderr, "conformance report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func writeReport(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.WriteMarkdown(f, regenerate); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
