package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/bench/internal/servers"
)

// withCC makes lookCC find a C compiler (have) or none for the rest of t,
// as on a machine with or without one; the real lookup comes back after.
func withCC(t *testing.T, have bool) {
	t.Helper()
	old := lookCC
	t.Cleanup(func() { lookCC = old })
	lookCC = func(file string) (string, error) {
		if have {
			return "/usr/bin/" + file, nil
		}
		return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
	}
}

// TestLibsFloorC: the run's default servers include floor-c only where a C
// compiler is on PATH, say so where not, and schedule it in the
// closed-loop echo scenarios alone; naming floor-c without cc fails.
func TestLibsFloorC(t *testing.T) {
	all := append(servers.Names(), FloorLib)
	for _, tc := range []struct {
		name    string
		cc      bool
		o       Options
		want    []string // nil with wantErr
		wantErr error
		wantLog string // "" means no line
	}{
		{"default_with_cc", true, Options{}, append(slices.Clone(all), FloorCLib), nil, ""},
		{"default_without_cc", false, Options{}, all, nil, "skipping floor-c (bench/floorc, the floor in C): no C compiler (cc) on PATH"},
		{"smoke_has_no_floor", true, Options{Smoke: true}, []string{"surge-inline", "gorilla"}, nil, ""},
		{"named_with_cc", true, Options{Libs: []string{"gws", FloorCLib}}, []string{"gws", FloorCLib}, nil, ""},
		{"named_without_cc", false, Options{Libs: []string{"gws", FloorCLib}}, nil, ErrNoCC, ""},
		{"named_go_floor_without_cc", false, Options{Libs: []string{"gws", FloorLib}}, []string{"gws", FloorLib}, nil, ""},
		{"unknown_floor", true, Options{Libs: []string{"floor-cc"}}, nil, servers.ErrUnknownLib, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withCC(t, tc.cc)
			var log bytes.Buffer
			tc.o.Log = &log
			got, err := tc.o.libs()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("libs %v\nwant %v", got, tc.want)
			}
			if l := strings.TrimSpace(log.String()); l != tc.wantLog {
				t.Errorf("log %q, want %q", l, tc.wantLog)
			}
			if err != nil {
				return
			}
			scs := []Scenario{
				{Name: "echo", Kind: KindEcho, Conns: 10, Size: 64, Depth: 1},
				{Name: "rate", Kind: KindRate, Conns: 10, Size: 64, Rate: 5},
				{Name: "idle", Kind: KindIdle, Conns: 10, Size: 64},
			}
			tc.o.Rounds = 1
			var floorC []string
			for _, j := range schedule(scs, got, tc.o) {
				if j.lib == FloorCLib {
					floorC = append(floorC, j.sc.Name+" "+j.gen)
				}
			}
			want := ""
			if slices.Contains(tc.want, FloorCLib) {
				want = "echo wsbench, echo rawload"
			}
			if g := strings.Join(floorC, ", "); g != want {
				t.Errorf("floor-c runs %q, want %q", g, want)
			}
		})
	}
}

// TestExecuteFloorCWithoutCC: asking for floor-c on a machine without cc
// fails at once, before anything is built, run or saved.
func TestExecuteFloorCWithoutCC(t *testing.T) {
	withCC(t, false)
	bin, res := t.TempDir(), t.TempDir()
	var log bytes.Buffer
	_, err := Execute(context.Background(), Options{Libs: []string{"surge-inline", FloorCLib}, BinDir: bin, ResultsDir: res, Docs: "-", Log: &log})
	if !errors.Is(err, ErrNoCC) || !strings.Contains(err.Error(), "floor-c was asked for") {
		t.Fatalf("error %v, want ErrNoCC saying floor-c was asked for", err)
	}
	for _, d := range []string{bin, res} {
		if es, _ := os.ReadDir(d); len(es) > 0 {
			t.Errorf("%s holds %d entries: something ran", d, len(es))
		}
	}
	if log.Len() > 0 {
		t.Errorf("progress logged: %q", log.String())
	}
}

// withFloorC is run with floor-c's rounds of the 10k × 1 KiB echo scenario
// put before every other result, as when an even round reverses the order
// of the libraries and floor-c ran first.
func withFloorC(run *Run, wsbench, rawload []float64) *Run {
	var fc []Result
	for gen, figs := range map[string][]float64{GenWSBench: wsbench, GenRawload: rawload} {
		for i, v := range figs {
			fc = append(fc, round(FloorCLib, gen, i+1, v, ""))
		}
	}
	run.Results = append(fc, run.Results...)
	return run
}

// TestFloorLib: the floor the tables compare against is the Go floor,
// epoll-sock before epoll, whatever comes first in the results; floor-c
// only in a run without a Go floor.
func TestFloorLib(t *testing.T) {
	for _, tc := range []struct {
		name       string
		libs       []string // in the order of the results
		want       string
		wantFloors string
	}{
		{"floor_c_first", []string{FloorCLib, "gws", FloorLib}, FloorLib, "floor-c floor-epoll-sock"},
		{"epoll_sock_before_epoll", []string{FloorCLib, "floor-epoll", "floor-uring", FloorLib}, FloorLib, "floor-c floor-epoll floor-uring floor-epoll-sock"},
		{"epoll_of_older_run", []string{FloorCLib, "floor-uring", "floor-epoll"}, "floor-epoll", "floor-c floor-uring floor-epoll"},
		{"any_go_floor_before_c", []string{FloorCLib, "floor-uring"}, "floor-uring", "floor-c floor-uring"},
		{"only_floor_c", []string{"gws", FloorCLib}, FloorCLib, "floor-c"},
		{"no_floor", []string{"gws", "surge-inline"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &Run{}
			for _, lib := range tc.libs {
				run.Results = append(run.Results, round(lib, GenRawload, 1, 1000, ""), round(lib, GenWSBench, 1, 1000, ""))
			}
			rp := reporter{run: run}
			if got := rp.floorLib(); got != tc.want {
				t.Errorf("floorLib %q, want %q", got, tc.want)
			}
			if got := strings.Join(rp.floors(), " "); got != tc.wantFloors {
				t.Errorf("floors %q, want %q", got, tc.wantFloors)
			}
		})
	}
}

// TestFloorCNotAPeer: floor-c, faster than every library and first in the
// results, is never the best peer, and no lead, chart or allocation table
// counts it.
func TestFloorCNotAPeer(t *testing.T) {
	if !isFloor(FloorCLib) || slices.Contains(floorModes, "c") {
		t.Fatalf("isFloor(%q) = %v, floorModes %v: floor-c must be a floor and no floorecho mode", FloorCLib, isFloor(FloorCLib), floorModes)
	}
	run := withFloorC(roundsRun(
		map[string][]float64{"surge-inline": {100000, 110000, 105000}, "gws": {80000, 80000, 80000}, FloorLib: {120000, 125000, 200000}},
		map[string][]float64{"surge-inline": {90000, 90000, 90000}, "gws": {70000, 75000, 72000}, FloorLib: {100000, 100000, 100000}}),
		[]float64{900000, 900000, 900000}, []float64{800000, 800000, 800000})
	view, spreads := run.medians()
	rp := reporter{run: view, raw: run, spreads: spreads, rounds: run.roundsRun()}
	for _, gen := range []string{GenWSBench, GenRawload} {
		l := rp.leadOf("echo-10k-1k-d1", gen)
		if l.peer == nil || l.peer.Lib != "gws" {
			t.Errorf("%s: best peer %v, want gws (floor-c is no peer)", gen, l.peer)
		}
		for _, r := range rp.roundRatios("echo-10k-1k-d1", gen) {
			if r < 1 {
				t.Errorf("%s: a round's lead ratio %.2f < 1: floor-c counted as the peer", gen, r)
			}
		}
	}
	dir := t.TempDir()
	md := renderReport(t, run, filepath.Join(dir, "benchmarks.md"), dir)
	for _, want := range []string{
		"| 10,000 connections × 1 KiB, 1 in flight | 105k (inline, 0.95; rounds 100k–110k) | 80k (gws, 0.95; rounds 80k–80k) | 1.31× |",
		"| *floor-c (reference, not a peer)* |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	allocs := md[strings.Index(md, "## Server allocations per message"):]
	if strings.Contains(allocs[:strings.Index(allocs[3:], "## ")+3], FloorCLib) {
		t.Errorf("the allocation table lists floor-c")
	}
	svg, err := os.ReadFile(filepath.Join(dir, "msgs_per_core_s.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(svg, []byte(FloorCLib)) {
		t.Errorf("the chart shows floor-c")
	}
}

// TestFloorCTable: beside the Go floor's table, unchanged, the floor
// section has floor-c's: its figure, it over the Go floor and surge's best
// over it; and the whole-core table keeps comparing with the Go floor.
func TestFloorCTable(t *testing.T) {
	// Medians: surge-inline 105k and 90k, the Go floor 125k and 100k,
	// floor-c 155k and 130k.
	run := withFloorC(roundsRun(
		map[string][]float64{"surge-inline": {100000, 110000, 105000}, "gws": {80000, 80000, 80000}, FloorLib: {120000, 125000, 200000}},
		map[string][]float64{"surge-inline": {90000, 90000, 90000}, "gws": {70000, 75000, 72000}, FloorLib: {100000, 100000, 100000}}),
		[]float64{150000, 160000, 155000}, []float64{130000, 130000, 130000})
	dir := t.TempDir()
	md := renderReport(t, run, filepath.Join(dir, "benchmarks.md"), dir)
	sec := md[strings.Index(md, "## The floor in this run"):]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	for _, want := range []string{
		"*floor* is `floor-epoll-sock` (`bench/cmd/floorecho -io epoll-sock`): a server that does nothing per message but one `recvfrom`",
		"*floor-c* is the same loop in C (`bench/floorc/floorc.c`, built with `cc -O2`: one `recv`, an unmask and one `send` on raw epoll, in C without a runtime), so in its table *floor-c / floor* is what Go's runtime costs that loop",
		// The Go floor's table as without floor-c (TestFloor).
		"| shape | wsbench: floor msg/core-s | surge best / floor | floor / best peer | rawload: floor msg/core-s | surge best / floor | floor / best peer |",
		"| 10,000 connections × 1 KiB, 1 in flight | 125,000 (0.95; rounds 120k–200k) | 0.84 (inline) | 1.56 (gws) | 100,000 (0.95; rounds 100k–100k) | 0.90 (inline) | 1.39 (gws) |",
		"| shape | wsbench: floor-c msg/core-s | floor-c / floor | surge best / floor-c | rawload: floor-c msg/core-s | floor-c / floor | surge best / floor-c |",
		// 155k / 125k = 1.24, 105k / 155k = 0.68; 130k / 100k = 1.30,
		// 90k / 130k = 0.69.
		"| 10,000 connections × 1 KiB, 1 in flight | 155,000 (0.95; rounds 150k–160k) | 1.24 | 0.68 (inline) | 130,000 (0.95; rounds 130k–130k) | 1.30 | 0.69 (inline) |",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("floor section lacks %q:\n%s", want, sec)
		}
	}
	if i, j := strings.Index(sec, "| shape | wsbench: floor msg"), strings.Index(sec, "| shape | wsbench: floor-c msg"); j < i {
		t.Errorf("floor-c's table is not after the Go floor's")
	}

	// Without floor-c the section has no second table and no sentence.
	md = renderReport(t, roundsRun(map[string][]float64{"surge-inline": {1, 2, 3}, "gws": {1, 2, 3}, FloorLib: {1, 2, 3}}, nil), filepath.Join(dir, "b.md"), dir)
	if strings.Contains(md, FloorCLib) {
		t.Errorf("a run without floor-c mentions it")
	}

	// With floor-c alone it is the floor, named for what it is.
	only := withFloorC(roundsRun(map[string][]float64{"surge-inline": {100000, 110000, 105000}, "gws": {80000, 80000, 80000}}, nil),
		[]float64{150000, 160000, 155000}, nil)
	md = renderReport(t, only, filepath.Join(dir, "c.md"), dir)
	for _, want := range []string{
		"*floor* is `floor-c` (`bench/floorc/floorc.c`, built with `cc -O2`): a server that does nothing per message but one `recv`",
		"| 10,000 connections × 1 KiB, 1 in flight | 155,000 (0.95; rounds 150k–160k) | 0.68 (inline) | 1.94 (gws) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report with floor-c alone lacks %q", want)
		}
	}

	// The whole-core table's floor column stays the Go floor's
	// (TestWholeCore's 1.36×), with floor-c first and twice as fast.
	busy := map[string]float64{"surge-inline": 1.10, "surge-pool": 0.96, "gws": 1.0, "gorilla": 0.95, FloorLib: 1.05, FloorCLib: 1.0}
	wc := withFloorC(wholeCoreRun(busy, nil), nil, []float64{300000, 300000, 300000})
	for i := range wc.Results {
		if r := &wc.Results[i]; r.Lib == FloorCLib {
			r.CoreBusy = busy[r.Lib]
			r.PerCoreBusySecond = r.MessagesPerSec / r.CoreBusy
		}
	}
	md = renderReport(t, wc, filepath.Join(dir, "wc.md"), dir)
	if want := "| 10,000 connections × 1 KiB, 1 in flight | 125,227 (inline, 1.10 used) | 100,000 (gorilla, 0.95 used) | 1.25× | 1.38× | 1.36× | 14% / 0% |"; !strings.Contains(md, want) {
		t.Errorf("whole-core report lacks %q", want)
	}
}

// TestFloorCServer builds the harness's programs and starts floor-c as a
// run would, then connects to the address it reports. It needs cc.
func TestFloorCServer(t *testing.T) {
	if _, err := startServer(binaries{}, FloorCLib, "", "", ""); !errors.Is(err, ErrNoCC) {
		t.Errorf("floor-c without its binary: %v, want ErrNoCC", err)
	}
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler (cc): bench/floorc is not built")
	}
	if testing.Short() {
		t.Skip("builds every program of the harness")
	}
	bins, err := build(filepath.Join("..", ".."), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(bins.floorc); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("floorc %q not built: %v", bins.floorc, err)
	}
	p, err := startServer(bins, FloorCLib, "", filepath.Join(t.TempDir(), "stats"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	if want := "GOMAXPROCS=1 " + bins.floorc + " -addr 127.0.0.1:0"; p.line != want {
		t.Errorf("command line %q, want %q", p.line, want)
	}
	if p.pid != p.cmd.Process.Pid {
		t.Errorf("pid %d, want the process's %d", p.pid, p.cmd.Process.Pid)
	}
	c, err := net.DialTimeout("tcp", p.addr, 10*time.Second)
	if err != nil {
		t.Fatalf("connect to floor-c at %s: %v", p.addr, err)
	}
	defer c.Close()
	// A handshake answered proves it is floorc serving there.
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 101")) {
		t.Fatalf("handshake answer %q, %v", buf[:n], err)
	}
}
