package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/bench/internal/driver"
)

// TestTinyRun is the CI smoke test of the whole pipeline: build the echo
// server and wsbench, run one echo and one idle scenario against surge and
// one peer, read the server snapshots, save the JSON, render the report.
// It is bounded (a few seconds of load) and runs under -short too; the full
// run is `go run ./cmd/run` by hand.
func TestTinyRun(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	docs := filepath.Join(dir, "benchmarks.md")
	run, err := driver.Execute(ctx, driver.Options{
		Duration:   time.Second,
		Warmup:     300 * time.Millisecond,
		Quick:      true,
		Libs:       []string{"surge-inline", "gorilla"},
		Scenarios:  []driver.Scenario{{Name: "echo-20-512", Kind: driver.KindEcho, Conns: 20, Size: 512}, {Name: "idle-50", Kind: driver.KindIdle, Conns: 50, Size: 64}},
		BinDir:     filepath.Join(dir, "bin"),
		ResultsDir: filepath.Join(dir, "results"),
		Docs:       docs,
		Command:    "go test -run TestTinyRun",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Results) != 4 {
		t.Fatalf("%d results, want 4", len(run.Results))
	}
	for _, r := range run.Results {
		if r.Error != "" {
			t.Errorf("%s %s: %s", r.Lib, r.Scenario, r.Error)
			continue
		}
		switch r.Kind {
		case driver.KindEcho:
			if r.MessagesPerSec <= 0 || r.ErrorTotal != 0 {
				t.Errorf("%s: %.0f msg/s, %d errors", r.Lib, r.MessagesPerSec, r.ErrorTotal)
			}
			if !r.AllocsMeasured {
				t.Errorf("%s: no steady window in %d snapshots", r.Lib, len(r.Snapshots))
			}
			if r.Lib == "gorilla" && r.AllocsPerMsg <= 0 {
				// gorilla allocates per message (its frame writer, among
				// others): a zero here means the counter reads nothing.
				t.Errorf("gorilla: %.3f allocs/msg, the allocation counter is not working", r.AllocsPerMsg)
			}
		case driver.KindIdle:
			if r.Opened != 50 || r.Alive != 50 || r.HeapPerConn <= 0 {
				t.Errorf("%s idle: opened %d alive %d heap/conn %.0f", r.Lib, r.Opened, r.Alive, r.HeapPerConn)
			}
		}
	}
	saved, err := filepath.Glob(filepath.Join(dir, "results", "*", "results.json"))
	if err != nil || len(saved) != 1 {
		t.Fatalf("saved results: %v %v", saved, err)
	}
	if _, err := driver.Load(saved[0]); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Summary", "surge-inline", "gorilla", "## Idle connections", driver.NotesMarker} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
