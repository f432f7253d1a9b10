package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/bench/internal/driver"
)

// TestSmokeRun is the CI test of the whole pipeline in its smoke mode
// (`go run ./cmd/run -smoke`): build the echo server, wsbench and rawload;
// run every scenario of the plan (closed loop at depth 1 and 8, open loop,
// idle) at a hundredth of the connections against surge and one peer, and
// the floor server in the echo scenarios, each echo and rate scenario with
// both load generators, each echo scenario in two rounds (so the report's
// medians come from rounds); read the server
// snapshots, save the JSON, render the report. It is bounded (tens of
// seconds) and runs under -short too; the full run is `go run ./cmd/run` by
// hand.
func TestSmokeRun(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	docs := filepath.Join(dir, "benchmarks.md")
	start := time.Now()
	run, err := driver.Execute(ctx, driver.Options{
		Smoke:      true,
		Libs:       []string{"surge-inline", "gorilla", driver.FloorLib},
		BinDir:     filepath.Join(dir, "bin"),
		ResultsDir: filepath.Join(dir, "results"),
		Docs:       docs,
		Command:    "go test -run TestSmokeRun",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smoke run: %d results in %v", len(run.Results), time.Since(start).Round(time.Second))
	plan := driver.Plan(driver.Options{Smoke: true})
	// Two libraries; every echo and rate scenario in two rounds by two
	// generators, the idle one by wsbench; the floor in every echo
	// scenario's rounds by both generators.
	echoes := 0
	for _, sc := range plan {
		if sc.Kind == driver.KindEcho {
			echoes++
		}
	}
	if run.Settings.Rounds != 2 {
		t.Fatalf("smoke run of %d rounds, want 2", run.Settings.Rounds)
	}
	if want := 2*(2*2*(len(plan)-1)+1) + 2*2*echoes; len(run.Results) != want {
		t.Fatalf("%d results, want %d", len(run.Results), want)
	}
	// Each echo result of a library and generator is there once per round.
	rounds := map[string]int{}
	for _, r := range run.Results {
		if r.Kind == driver.KindEcho {
			if r.Round != 1 && r.Round != 2 {
				t.Fatalf("%s %s %s: round %d, want 1 or 2", r.Lib, r.Scenario, r.Gen(), r.Round)
			}
			rounds[fmt.Sprintf("%s %s %s %d", r.Lib, r.Scenario, r.Gen(), r.Round)]++
		}
	}
	if len(rounds) != 3*2*2*echoes {
		t.Fatalf("echo rounds %v: want %d (library, scenario, generator, round)", rounds, 3*2*2*echoes)
	}
	// The floor answered every echo of its runs, and was measured.
	for _, r := range run.Results {
		if r.Lib != driver.FloorLib {
			continue
		}
		if r.Kind != driver.KindEcho {
			t.Errorf("floor ran %s: want closed-loop echo only", r.Scenario)
		}
		if r.Error != "" || r.MessagesPerSec <= 0 || r.ErrorTotal != 0 {
			t.Errorf("floor %s %s: %.0f msg/s, %d errors, %q", r.Scenario, r.Gen(), r.MessagesPerSec, r.ErrorTotal, r.Error)
		}
	}
	depths := map[int]bool{}
	// The smoke run's windows are a few hundred ms of light load on a
	// machine that may be busy: a server can use less CPU than /proc's
	// 10 ms tick shows, or be sampled too rarely for a steady window. Each
	// generator's runs must still read the server's CPU and, against
	// gorilla (which allocates per message), a non-zero allocation count.
	cpuRead, allocsRead := map[string]bool{}, map[string]bool{}
	for _, sc := range plan {
		for _, lib := range []string{"surge-inline", "gorilla"} {
			gens := []string{driver.GenWSBench, driver.GenRawload}
			if sc.Kind == driver.KindIdle {
				gens = gens[:1]
			}
			for _, gen := range gens {
				r := run.FindGen(lib, sc.Name, gen)
				if r == nil {
					t.Errorf("%s %s %s: no result", lib, sc.Name, gen)
					continue
				}
				checkSmokeResult(t, r, sc)
				depths[r.Depth] = true
				if r.ServerCores > 0 && r.PerCoreSecond > 0 {
					cpuRead[gen] = true
				}
				if r.Lib == "gorilla" && r.AllocsMeasured && r.AllocsPerMsg > 0 {
					allocsRead[gen] = true
				}
			}
		}
	}
	if !depths[1] || !depths[8] {
		t.Errorf("depths run: %v, want 1 and 8", depths)
	}
	for _, gen := range []string{driver.GenWSBench, driver.GenRawload} {
		if !cpuRead[gen] {
			t.Errorf("%s: no run read the server's CPU", gen)
		}
		if !allocsRead[gen] {
			t.Errorf("%s: no gorilla run counted allocations: the allocation counter reads nothing", gen)
		}
	}
	saved, err := filepath.Glob(filepath.Join(dir, "results", "*-smoke", "results.json"))
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
	for _, want := range []string{"## Summary", "This is a smoke run", "## Lead per shape, by both load generators",
		"ran in 2 rounds per library and generator", "is the **median** round's",
		"| shape | wsbench: surge best | best peer | ratio | rawload: surge best | best peer | ratio |",
		"| library | wsbench msg/s | CPU | msg/core-s | ×peer | p50 / p99 | rawload msg/s |",
		"| **surge-inline** | rawload |", "surge-inline", "gorilla", "## Idle connections", driver.NotesMarker,
		"## The floor in this run", "| *" + driver.FloorLib + " (reference, not a peer)* |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// checkSmokeResult checks one result of the smoke run for sc.
func checkSmokeResult(t *testing.T, r *driver.Result, sc driver.Scenario) {
	t.Helper()
	name := r.Lib + " " + r.Scenario + " " + r.Gen()
	if r.Error != "" {
		t.Errorf("%s: %s", name, r.Error)
		return
	}
	switch r.Kind {
	case driver.KindEcho, driver.KindRate:
		if r.MessagesPerSec <= 0 || r.ErrorTotal != 0 || r.P50 <= 0 {
			t.Errorf("%s: %.0f msg/s, %d errors, p50 %d µs", name, r.MessagesPerSec, r.ErrorTotal, r.P50)
		}
		if r.Depth != sc.Depth {
			t.Errorf("%s: depth %d, want %d", name, r.Depth, sc.Depth)
		}
		if r.Gen() == driver.GenRawload && (len(r.Rawload) == 0 || !strings.Contains(r.ClientCmd, "rawload")) {
			t.Errorf("%s: no rawload output kept (client %q)", name, r.ClientCmd)
		}
		if len(r.Snapshots) == 0 {
			t.Errorf("%s: no server snapshot", name)
		}
	case driver.KindIdle:
		if r.Opened != int64(sc.Conns) || r.Alive != int64(sc.Conns) || r.HeapPerConn <= 0 {
			t.Errorf("%s: opened %d alive %d heap/conn %.0f", name, r.Opened, r.Alive, r.HeapPerConn)
		}
	}
}
