package driver

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// wholeCoreRun is a run with rawload's whole-core figures: busy is each
// library's sampled busy fraction of its core, notIdle its exact used
// fraction (none when nil, as in runs before 2026-12-05).
func wholeCoreRun(busy, notIdle map[string]float64) *Run {
	run := roundsRun(
		map[string][]float64{"surge-inline": {100000, 110000, 105000}, "gws": {80000, 80000, 80000}},
		map[string][]float64{"surge-inline": {140000, 150000, 145000}, "surge-pool": {100000, 100000, 100000},
			"gws": {100000, 105000, 110000}, "gorilla": {90000, 100000, 120000}, FloorLib: {150000, 150000, 150000}})
	for i := range run.Results {
		r := &run.Results[i]
		if r.Gen() == GenRawload && r.Error == "" {
			r.CoreBusy = busy[r.Lib]
			r.PerCoreBusySecond = r.MessagesPerSec / r.CoreBusy
			if notIdle != nil {
				r.CoreNotIdle = notIdle[r.Lib]
				r.PerCoreNotIdleSecond = r.MessagesPerSec / r.CoreNotIdle
			}
		}
	}
	return run
}

// TestWholeCore: the whole-core table picks its best peer by the whole-core
// figure, shows a per-process lead that the whole core does not hold, and
// counts the core exactly where the run has the exact figure.
func TestWholeCore(t *testing.T) {
	// Every round runs at 0.95 cores of the server's own. By the sampled
	// busy columns surge's sends leave 14% of its core to ksoftirqd.
	busy := map[string]float64{"surge-inline": 1.10, "surge-pool": 0.96, "gws": 1.0, "gorilla": 0.95, FloorLib: 1.05}
	dir := t.TempDir()
	md := renderReport(t, wholeCoreRun(busy, nil), filepath.Join(dir, "old.md"), dir)
	for _, want := range []string{
		"## The whole server core (rawload)",
		"predates the exact count of idle time",
		// surge-inline's median round: 145k × 0.95 msg/s over 1.10 busy;
		// gorilla's: 100k × 0.95 over 0.95, above gws's 105k × 0.95 over
		// 1.00 although gws leads per process; the floor's 142.5k / 1.05.
		"| 10,000 connections × 1 KiB, 1 in flight | 125,227 (inline, 1.10 used) | 100,000 (gorilla, 0.95 used) | 1.25× | 1.38× | 1.36× | 14% / 0% |",
		"By the whole core, surge's best mode was at 1.3× the best peer or more in 0 of 1 closed-loop shapes.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report of an older run lacks %q", want)
		}
	}
	if i, j := strings.Index(md, "## The floor in this run"), strings.Index(md, "## The whole server core"); i < 0 || j < i {
		t.Errorf("the whole-core section is not after the floor's")
	}

	// The exact count disagrees with the sampled one, and wins.
	notIdle := map[string]float64{"surge-inline": 1.0, "surge-pool": 0.90, "gws": 0.95, "gorilla": 1.0, FloorLib: 1.0}
	md = renderReport(t, wholeCoreRun(busy, notIdle), filepath.Join(dir, "new.md"), dir)
	for _, want := range []string{
		"neither idle, in iowait nor stolen",
		// 137.75k / 1.00 against gws's 99.75k / 0.95 (gorilla: 95k);
		// surge-pool's 95k / 0.90 is below inline's.
		"| 10,000 connections × 1 KiB, 1 in flight | 137,750 (inline, 1.00 used) | 105,000 (gws, 0.95 used) | 1.31× | 1.38× | 1.36× | 5% / 0% |",
		"By the whole core, surge's best mode was at 1.3× the best peer or more in 1 of 1 closed-loop shapes.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report of a run with the exact count lacks %q", want)
		}
	}
	if strings.Contains(md, "predates") {
		t.Errorf("a run with the exact count is said to predate it")
	}
	if strings.Contains(md, "TCP segments per echo") {
		t.Errorf("a run without TCP counts has their column")
	}

	// With the host's TCP counts, the row gives surge's and the best
	// peer's (gws by the whole core) segments and delayed ACKs per echo.
	run := wholeCoreRun(busy, notIdle)
	segs := map[string][2]float64{"surge-inline": {3.05, 0.84}, "surge-pool": {3.5, 1.2}, "gws": {3.74, 1.63}, "gorilla": {2.5, 0}}
	for i := range run.Results {
		if r := &run.Results[i]; r.Gen() == GenRawload {
			r.TCPSegsPerEcho, r.TCPDelayedACKsPerEcho = segs[r.Lib][0], segs[r.Lib][1]
		}
	}
	md = renderReport(t, run, filepath.Join(dir, "segs.md"), dir)
	for _, want := range []string{
		"| outside the process: surge / peer | TCP segments per echo: surge / peer |\n|---|--:|--:|--:|--:|--:|--:|--:|\n",
		"| 10,000 connections × 1 KiB, 1 in flight | 137,750 (inline, 1.00 used) | 105,000 (gws, 0.95 used) | 1.31× | 1.38× | 1.36× | 5% / 0% | 3.05 (0.84) / 3.74 (1.63) |",
		"pure ACKs that delayed-ACK timers sent",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report of a run with TCP counts lacks %q", want)
		}
	}

	// Without either figure (an unpinned server, an older run) there is
	// no section.
	if md := renderReport(t, roundsRun(nil, map[string][]float64{"surge-inline": {1, 2, 3}, "gws": {1, 2, 3}}), filepath.Join(dir, "b.md"), dir); strings.Contains(md, "whole server core") {
		t.Errorf("whole-core section without the figure")
	}
}

// TestFillRawload: rawload's JSON line (its field names, as
// bench/cmd/rawload prints them) lands in the result's figures.
func TestFillRawload(t *testing.T) {
	line := `{"conns":10000,"size":1024,"depth":1,"seconds":6,"messages":600000,"msgs_per_s":100000,` +
		`"server_cpu_cores":0.9,"msgs_per_server_core_s":111111,"server_core_id":0,"server_core_busy":0.98,` +
		`"msgs_per_server_core_busy_s":102040,"server_core_not_idle":0.96,"msgs_per_server_core_not_idle_s":104166,` +
		`"tcp_segs_per_echo":3.05,"tcp_data_segs_per_echo":2.01,"tcp_delayed_acks_per_echo":0.84,` +
		`"p50_us":100,"p90_us":200,"p99_us":300,"p999_us":400,"outstanding":10000}`
	var w rawloadResult
	if err := json.Unmarshal([]byte(line), &w); err != nil {
		t.Fatal(err)
	}
	var r Result
	r.fillRawload(&w, Scenario{Kind: KindEcho, Conns: 10000, Size: 1024}, 5)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"messages per second", r.MessagesPerSec, 100000},
		{"server cores", r.ServerCores, 0.9},
		{"core busy", r.CoreBusy, 0.98},
		{"core not idle", r.CoreNotIdle, 0.96},
		{"per not-idle core-second", r.PerCoreNotIdleSecond, 104166},
		{"segments", r.TCPSegsPerEcho, 3.05},
		{"data segments", r.TCPDataSegsPerEcho, 2.01},
		{"delayed ACKs", r.TCPDelayedACKsPerEcho, 0.84},
		{"p99.9", float64(r.P999), 400},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
