package main

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion names the JSON layout of Result; it changes only when a
// field is removed or changes meaning (new fields may be added).
const SchemaVersion = "wsbench/v1"

// Result is what one run measured: the --json output and the input of the
// table and the HTML report. docs/wsbench.md documents every field.
type Result struct {
	Schema      string  `json:"schema"`
	Mode        string  `json:"mode"`
	Scenario    string  `json:"scenario,omitempty"` // scenario name (run)
	URL         string  `json:"url"`
	Started     string  `json:"started"`
	Config      Config  `json:"config"`
	Interrupted bool    `json:"interrupted"`
	Seconds     float64 `json:"duration_s"` // measured window

	Connections Connections `json:"connections"`
	Messages    Messages    `json:"messages"`
	Throughput  Throughput  `json:"throughput"`
	Latency     Percentiles `json:"latency"`
	// LatencyHDR is the measured latency histogram (µs) in HdrHistogram V2
	// compressed base64 form, for tools that merge runs.
	LatencyHDR string `json:"latency_hdr,omitempty"`
	// SendLateness (open loop only) is how late the senders sent: the
	// load generator's own error, which Latency includes.
	SendLateness *Percentiles `json:"send_lateness,omitempty"`

	Errors     map[string]int64 `json:"errors"`
	ErrorTotal int64            `json:"error_total"`
	CloseCodes map[string]int64 `json:"close_codes"`

	Server *ProcStats `json:"server,omitempty"`
	// ServerMetrics is what the server counted during the run
	// (--server-metrics).
	ServerMetrics *ServerMetrics `json:"server_metrics,omitempty"`
	Client        ProcStats      `json:"client"`
	Timeline      []Sample       `json:"timeline"`

	// Scenario runs (scenario_result.go): named metrics, the per-stage
	// breakdown and the fan-out counters.
	Metrics map[string]Metric `json:"metrics,omitempty"`
	Stages  []StageResult     `json:"stages,omitempty"`
	Fanout  *FanoutStats      `json:"fanout,omitempty"`
	// Thresholds holds the verdict of every --threshold (and file
	// threshold); ThresholdsPass is false if any failed.
	Thresholds     []ThresholdResult `json:"thresholds,omitempty"`
	ThresholdsPass *bool             `json:"thresholds_pass,omitempty"`
	// Agents is the number of agents a controller split the run over.
	Agents int `json:"agents,omitempty"`

	metricHists map[string]*hdr.Histogram
	latency     *hdr.Histogram
	lateness    *hdr.Histogram
	handshake   *hdr.Histogram
}

// Config echoes the options of the run.
type Config struct {
	Conns       int     `json:"conns"`
	Size        int     `json:"size"`
	Text        bool    `json:"text"`
	Depth       int     `json:"depth"`
	Rate        float64 `json:"rate"`
	Messages    int64   `json:"messages"`
	Duration    float64 `json:"duration_s"`
	Warmup      float64 `json:"warmup_s"`
	ConnectRate float64 `json:"connect_rate"`
	Procs       int     `json:"procs"`
	Sources     int     `json:"sources"`
	Loops       int     `json:"loops"`
	BusyPoll    float64 `json:"busy_poll_s"`
}

// Connections is the connect phase and, for idle, the liveness check.
type Connections struct {
	Attempted   int64       `json:"attempted"`
	Opened      int64       `json:"opened"`
	Failed      int64       `json:"failed"`
	Seconds     float64     `json:"connect_s"`
	Rate        float64     `json:"connect_rate"`
	Handshake   Percentiles `json:"handshake"`
	Alive       int64       `json:"alive"`
	AliveMethod string      `json:"alive_method,omitempty"`
}

// Messages counts messages over the whole run (Sent, Verified) and in the
// measured window (Received, Bytes).
type Messages struct {
	Sent         int64 `json:"sent"`
	Verified     int64 `json:"verified"`
	VerifyErrors int64 `json:"verify_errors"`
	Received     int64 `json:"received"`
	Bytes        int64 `json:"bytes"`
	// Discarded (scenarios) counts received messages dropped unread from a
	// connection's full queue.
	Discarded int64 `json:"discarded,omitempty"`
}

// Throughput is the measured window's echo rate.
type Throughput struct {
	MessagesPerSec float64 `json:"messages_per_s"`
	MBPerSec       float64 `json:"mb_per_s"` // 10^6 payload bytes received per second
}

// ProcStats is CPU and memory of a process during the measured window.
type ProcStats struct {
	PID          int         `json:"pid,omitempty"`
	CPUSeconds   float64     `json:"cpu_s"`
	CPUCores     float64     `json:"cpu_cores"`
	RSSStart     int64       `json:"rss_start_bytes,omitempty"`
	RSSPeak      int64       `json:"rss_peak_bytes"`
	RSSEnd       int64       `json:"rss_end_bytes,omitempty"`
	BytesPerConn float64     `json:"bytes_per_conn,omitempty"`
	Samples      []ProcPoint `json:"samples,omitempty"`
}

// ProcPoint is one per-second reading of a sampled process.
type ProcPoint struct {
	T     float64 `json:"t_s"`
	Cores float64 `json:"cpu_cores"`
	RSS   int64   `json:"rss_bytes"`
}

// Sample is one second of the run.
type Sample struct {
	T        float64 `json:"t_s"` // since the start of the run
	Phase    string  `json:"phase"`
	Conns    int64   `json:"conns"`
	Messages int64   `json:"messages"`
	MsgsPerS float64 `json:"messages_per_s"`
	P50      int64   `json:"p50_us"`
	P99      int64   `json:"p99_us"`
	Max      int64   `json:"max_us"`
	Errors   int64   `json:"errors"` // cumulative
}

// tick is one second of one process: the line a worker prints, and what
// the local runner hands to the collector.
type tick struct {
	Type     string  `json:"type"` // "tick"
	Group    string  `json:"group"`
	K        int     `json:"k"`
	Phase    string  `json:"phase"`
	Elapsed  float64 `json:"elapsed_s"`
	Conns    int64   `json:"conns"`
	Received int64   `json:"received"`
	Errors   int64   `json:"errors"`
	Hist     string  `json:"hist,omitempty"`

	h *hdr.Histogram
}

// workerResult is what one process measured; workers print it as their last
// line and the parent merges them.
type workerResult struct {
	Type        string           `json:"type"` // "result"
	Attempted   int64            `json:"attempted"`
	Opened      int64            `json:"opened"`
	ConnectSecs float64          `json:"connect_s"`
	Handshake   string           `json:"handshake"`
	Sent        int64            `json:"sent"`
	Verified    int64            `json:"verified"`
	Received    int64            `json:"received"`
	Bytes       int64            `json:"bytes"`
	Window      float64          `json:"window_s"`
	Latency     string           `json:"latency"`
	Lateness    string           `json:"lateness,omitempty"`
	Errors      map[string]int64 `json:"errors"`
	CloseCodes  map[string]int64 `json:"close_codes"`
	Alive       int64            `json:"alive"`
	ClientCPU   float64          `json:"client_cpu_s"`
	ClientRSS   int64            `json:"client_rss_peak"`
	Interrupted bool             `json:"interrupted"`

	latency   *hdr.Histogram
	lateness  *hdr.Histogram // open loop only
	handshake *hdr.Histogram
}
