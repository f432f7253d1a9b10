package driver

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/surgews/surge/bench/internal/stats"
)

// Schema names the layout of a saved Run; it changes when a field is
// removed or changes meaning. v2: Results holds one entry per round of a
// closed-loop scenario (Result.Round), not one per library, scenario and
// generator.
const Schema = "surge-bench/v2"

// schemaV1 is the layout before rounds: one result per library, scenario
// and generator. Load still reads it, as runs of one round.
const schemaV1 = "surge-bench/v1"

// SaturatedCores is the server CPU (in cores) above which a closed-loop run
// counts as server-bound.
const SaturatedCores = 0.9

// Run is everything one invocation measured: saved as results.json, the
// input of the report, and what two runs are compared by.
type Run struct {
	Schema    string     `json:"schema"`
	Started   string     `json:"started"`
	Finished  string     `json:"finished"`
	Host      Host       `json:"host"`
	Settings  Settings   `json:"settings"`
	Scenarios []Scenario `json:"scenarios"`
	Results   []Result   `json:"results"`
	// Profile is the `go tool pprof -top` text of the surge-inline profile
	// when Options.Profile was set.
	Profile string `json:"profile,omitempty"`
	// MaskBench is the raw `go test -bench` output of bench/mask_test.go.
	MaskBench string `json:"mask_bench,omitempty"`
}

// Host describes the machine and toolchain.
type Host struct {
	CPU     string `json:"cpu"`
	CPUs    int    `json:"cpus"`
	Kernel  string `json:"kernel"`
	Go      string `json:"go"`
	LoadAvg string `json:"loadavg_at_start"`
}

// Settings are the options that shaped the numbers.
type Settings struct {
	Command  string  `json:"command"`
	Duration float64 `json:"duration_s"`
	Warmup   float64 `json:"warmup_s"`
	Quick    bool    `json:"quick"`
	Smoke    bool    `json:"smoke,omitempty"`
	// Rounds is how many times each closed-loop echo scenario ran per
	// library and generator (0 in runs saved before rounds: one).
	Rounds int `json:"rounds,omitempty"`
	// Generators are the load generators of echo and rate scenarios.
	Generators []string `json:"generators,omitempty"`
	Pinned     bool     `json:"pinned"`
	ServerCPU  string   `json:"server_cpu"`
	ClientCPU  string   `json:"client_cpu"`
}

// Result is one library under one scenario, driven by one load generator.
type Result struct {
	Lib      string `json:"lib"`
	Scenario string `json:"scenario"`
	// Generator is GenWSBench or GenRawload; "" (results saved before
	// rawload ran in the harness) means wsbench.
	Generator string `json:"generator,omitempty"`
	Kind      string `json:"kind"`
	Conns     int    `json:"conns"`
	Size      int    `json:"size"`
	Depth     int    `json:"depth,omitempty"`
	// Round is the round (1-based) of this run among Settings.Rounds of an
	// echo or (since 2026-12-05) rate scenario; 1 for the scenarios that run
	// once, 0 in runs saved before rounds. The report shows the median round.
	Round int `json:"round,omitempty"`
	// ServerCmd and ClientCmd are the exact command lines run.
	ServerCmd string `json:"server_cmd"`
	ClientCmd string `json:"client_cmd"`
	// Error is set when the run could not be done; the figures are then
	// missing, not zero.
	Error string `json:"error,omitempty"`

	MessagesPerSec float64 `json:"messages_per_s"`
	ServerCores    float64 `json:"server_cpu_cores"`
	// PerCoreSecond is MessagesPerSec / ServerCores: the headline.
	PerCoreSecond float64 `json:"messages_per_core_s"`
	Saturated     bool    `json:"server_saturated"`
	// CoreBusy (rawload, with the server pinned to one CPU) is that CPU's
	// busy fraction over the window, whatever ran there: the server, and
	// the softirq work the kernel deferred to ksoftirqd. PerCoreBusySecond
	// is MessagesPerSec / CoreBusy. Both are missing otherwise.
	CoreBusy          float64 `json:"server_core_busy,omitempty"`
	PerCoreBusySecond float64 `json:"messages_per_core_busy_s,omitempty"`
	// CoreNotIdle is the same CPU's share of the window that was neither
	// idle, iowait nor steal: counted exactly (with idle ticks off) where
	// CoreBusy is sampled at each tick. PerCoreNotIdleSecond is
	// MessagesPerSec / CoreNotIdle. Runs before 2026-12-05 lack both.
	CoreNotIdle          float64 `json:"server_core_not_idle,omitempty"`
	PerCoreNotIdleSecond float64 `json:"messages_per_core_not_idle_s,omitempty"`
	// TCPSegsPerEcho, TCPDataSegsPerEcho and TCPDelayedACKsPerEcho
	// (rawload) are the host's TCP segments sent over the window per
	// echo: all, those with new data, and the pure ACKs sent by
	// delayed-ACK timers. Both ends of the loopback count, so an echo with
	// nothing between is two data segments. Runs before 2026-12-05 03:00
	// lack them.
	TCPSegsPerEcho        float64 `json:"tcp_segments_per_echo,omitempty"`
	TCPDataSegsPerEcho    float64 `json:"tcp_data_segments_per_echo,omitempty"`
	TCPDelayedACKsPerEcho float64 `json:"tcp_delayed_acks_per_echo,omitempty"`
	P50                   int64   `json:"p50_us"`
	P90                   int64   `json:"p90_us"`
	P99                   int64   `json:"p99_us"`
	P999                  int64   `json:"p999_us,omitempty"`
	// SendLateP50 and SendLateP99 (open loop) are how late wsbench's
	// senders were: the load generator's own share of the latency.
	SendLateP50 int64 `json:"send_late_p50_us,omitempty"`
	SendLateP99 int64 `json:"send_late_p99_us,omitempty"`
	ErrorTotal  int64 `json:"error_total"`

	// AllocsPerMsg and AllocBytesPerMsg come from the server's snapshots
	// in steady state (stats.Window); AllocsMeasured says they exist.
	AllocsMeasured   bool    `json:"allocs_measured"`
	AllocsPerMsg     float64 `json:"allocs_per_msg"`
	AllocBytesPerMsg float64 `json:"alloc_bytes_per_msg"`

	Opened            int64   `json:"opened"`
	Alive             int64   `json:"alive,omitempty"`
	ConnectRate       float64 `json:"connect_rate"` // upgrades per second
	RSSPerConn        float64 `json:"rss_per_conn,omitempty"`
	HeapPerConn       float64 `json:"heap_per_conn,omitempty"`
	StackPerConn      float64 `json:"stack_per_conn,omitempty"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn,omitempty"`

	Snapshots []stats.Snapshot `json:"snapshots"`
	// WSBench is wsbench's own --json result, untouched.
	WSBench json.RawMessage `json:"wsbench,omitempty"`
	// Rawload is rawload's own JSON line, untouched.
	Rawload json.RawMessage `json:"rawload,omitempty"`
}

// Gen returns the result's load generator (GenWSBench when unset).
func (r *Result) Gen() string {
	if r.Generator == "" {
		return GenWSBench
	}
	return r.Generator
}

// Save writes r as indented JSON to path, creating its directory.
func (r *Run) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Load reads a Run saved by Save.
func Load(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("driver: %s: %w", path, err)
	}
	if r.Schema != Schema && r.Schema != schemaV1 {
		return nil, fmt.Errorf("driver: %s: schema %q, want %q", path, r.Schema, Schema)
	}
	return &r, nil
}

// Find returns the wsbench result of lib under scenario (its first round),
// or nil.
func (r *Run) Find(lib, scenario string) *Result { return r.FindGen(lib, scenario, GenWSBench) }

// FindGen returns the result of lib under scenario driven by gen (its first
// round), or nil.
func (r *Run) FindGen(lib, scenario, gen string) *Result {
	for i := range r.Results {
		if x := &r.Results[i]; x.Lib == lib && x.Scenario == scenario && x.Gen() == gen {
			return x
		}
	}
	return nil
}

// wsbenchResult is the part of wsbench's --json output (schema wsbench/v1,
// docs/wsbench.md) the driver reads.
type wsbenchResult struct {
	Schema      string  `json:"schema"`
	Seconds     float64 `json:"duration_s"`
	Connections struct {
		Opened int64   `json:"opened"`
		Rate   float64 `json:"connect_rate"`
		Alive  int64   `json:"alive"`
	} `json:"connections"`
	Throughput struct {
		MessagesPerSec float64 `json:"messages_per_s"`
	} `json:"throughput"`
	Latency struct {
		P50  int64 `json:"p50_us"`
		P90  int64 `json:"p90_us"`
		P99  int64 `json:"p99_us"`
		P999 int64 `json:"p999_us"`
	} `json:"latency"`
	SendLateness *struct {
		P50 int64 `json:"p50_us"`
		P99 int64 `json:"p99_us"`
	} `json:"send_lateness"`
	ErrorTotal int64 `json:"error_total"`
	Server     *struct {
		CPUSeconds   float64 `json:"cpu_s"`
		CPUCores     float64 `json:"cpu_cores"`
		BytesPerConn float64 `json:"bytes_per_conn"`
	} `json:"server"`
}

// fill derives r's figures from wsbench's result and the server snapshots.
func (r *Result) fill(w *wsbenchResult, sc Scenario, idleBase, idleFull *stats.Snapshot, skip float64) {
	r.MessagesPerSec = w.Throughput.MessagesPerSec
	r.P50, r.P90, r.P99, r.P999 = w.Latency.P50, w.Latency.P90, w.Latency.P99, w.Latency.P999
	if sl := w.SendLateness; sl != nil {
		r.SendLateP50, r.SendLateP99 = sl.P50, sl.P99
	}
	r.ErrorTotal = w.ErrorTotal
	r.Opened = w.Connections.Opened
	r.Alive = w.Connections.Alive
	r.ConnectRate = w.Connections.Rate
	if w.Server != nil {
		r.ServerCores = w.Server.CPUCores
		if r.ServerCores > 0 && r.MessagesPerSec > 0 {
			r.PerCoreSecond = r.MessagesPerSec / r.ServerCores
		}
		r.Saturated = r.ServerCores >= SaturatedCores
		if sc.Kind == KindIdle {
			r.RSSPerConn = w.Server.BytesPerConn
		}
	}
	if sc.Kind != KindIdle {
		a, b, ok := stats.Window(r.Snapshots, int64(sc.Conns), secondsDur(skip))
		if ok {
			r.AllocsMeasured = true
			r.AllocsPerMsg = stats.AllocsPerMessage(a, b)
			r.AllocBytesPerMsg = stats.BytesPerMessage(a, b)
		}
	}
	if idleBase != nil && idleFull != nil && idleFull.Conns > 0 {
		n := float64(idleFull.Conns)
		r.HeapPerConn = (float64(idleFull.HeapInuse) - float64(idleBase.HeapInuse)) / n
		r.StackPerConn = (float64(idleFull.StackInuse) - float64(idleBase.StackInuse)) / n
		r.GoroutinesPerConn = float64(idleFull.Goroutines-idleBase.Goroutines) / n
	}
}
