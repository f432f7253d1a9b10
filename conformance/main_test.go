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
		"Suites: `server/*` run every case against surge's echo server (engine.New + HandleEvents/HandleSession on \"/\") over raw TCP after a hand-made upgrade, " +
			"with event-style handlers inline on the loop, on the worker pool, and a channel-style handler; `client` runs the mirror of every case " +
			"against engine.Dial talking to a scripted raw server (unmasked frames to the client; the client's frames must be masked), the client session echoing via a loop over Incoming. " +
			"Every case ends with the TCP connection closed cleanly: a server must close TCP itself within 1 s of the close handshake, with a FIN, not a reset; " +
			"a client must leave that to the server after a normal handshake (case S.10 checks that it gives up after its CloseTimeout).",
		"Sizes: sections 9 and 12 use Autobahn's message sizes and counts (12.x: 1000 messages per case, in 10 of Autobahn's 18 sizes). " +
			"Section 13 sends 100 messages per case (Autobahn: 1000) in 10 of Autobahn's 18 sizes and fragmentations: at 1000 the suite took 200 s instead of 50 s. " +
			"Under the race detector (`go test -race`, as CI runs it) sections 9, 12 and 13 shrink; this report is generated without it, at the sizes shown.",
		"Section 12 runs with server_no_context_takeover and client_no_context_takeover, the default of package deflate. " +
			"Section 13 runs the parameter combinations of Autobahn 13.1-13.7 (context takeover or not, window bits 9 in place of Autobahn's 8, or 15, and a list of three offers) " +
			"with surge configured by deflate.Config{ServerNoContextTakeover: PolicyAccept, ClientNoContextTakeover: PolicyAccept} (threshold 128 bytes): " +
			"the server suites offer Autobahn's parameters and check surge's answer parameter by parameter; in the client suite surge offers " +
			"`permessage-deflate; client_max_window_bits` and the peer answers with the same agreement, except that server_max_window_bits, not offered, " +
			"is not answered (RFC 7692 §7.1.2.1), so only the client's window is limited there and 13.7 repeats 13.5. " +
			"The peer keeps its standard-library coder across messages where context takeover was agreed, inflates surge's messages with only the last 2^bits bytes " +
			"as dictionary, and, Go's compressor having no window option, compresses towards a window below 15 bits with flate.HuffmanOnly (no back-references, " +
			"so valid for any window). The payloads are JSON-like text (Autobahn: a JSON file). " +
			"Not covered: Autobahn 12.3-12.5 (payloads from files); and a back-reference of surge's that reaches further than the negotiated window " +
			"within one message would go undetected (the standard library's inflater has no window option).",
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
