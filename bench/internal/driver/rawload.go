package driver

import (
	"strconv"

	"github.com/surgews/surge/bench/internal/stats"
)

// rawloadArgs is the command line of bench/cmd/rawload for sc against the
// server at addr (process pid): the same connections, size, depth or rate,
// warmup and window as wsbench's.
func rawloadArgs(bin string, o Options, sc Scenario, addr string, pid int) []string {
	args := []string{bin, "-url", "ws://" + addr + "/",
		"-conns", strconv.Itoa(sc.Conns),
		"-size", strconv.Itoa(sc.Size),
		"-warmup", o.warmup().String(),
		"-duration", o.duration().String(),
		"-server-pid", strconv.Itoa(pid),
	}
	if sc.Kind == KindRate {
		return append(args, "-rate", strconv.FormatFloat(sc.Rate, 'g', -1, 64))
	}
	return append(args, "-depth", strconv.Itoa(sc.depth()))
}

// rawloadResult is rawload's JSON line (bench/cmd/rawload).
type rawloadResult struct {
	Seconds        float64 `json:"seconds"`
	Messages       int64   `json:"messages"`
	Errors         int64   `json:"errors"`
	MsgsPerSec     float64 `json:"msgs_per_s"`
	ServerCPU      float64 `json:"server_cpu_cores"`
	CoreBusy       float64 `json:"server_core_busy"`
	PerCoreBusy    float64 `json:"msgs_per_server_core_busy_s"`
	CoreNotIdle    float64 `json:"server_core_not_idle"`
	PerCoreNotIdle float64 `json:"msgs_per_server_core_not_idle_s"`
	TCPSegs        float64 `json:"tcp_segs_per_echo"`
	TCPDataSegs    float64 `json:"tcp_data_segs_per_echo"`
	TCPDelayedACKs float64 `json:"tcp_delayed_acks_per_echo"`
	P50us          float64 `json:"p50_us"`
	P90us          float64 `json:"p90_us"`
	P99us          float64 `json:"p99_us"`
	P999us         float64 `json:"p999_us"`
	SendLateP50    float64 `json:"send_late_p50_us"`
	SendLateP99    float64 `json:"send_late_p99_us"`
	FirstFailure   string  `json:"first_failure"`
}

// fillRawload derives r's figures from rawload's result and the server
// snapshots, as fill does from wsbench's.
func (r *Result) fillRawload(w *rawloadResult, sc Scenario, skip float64) {
	r.MessagesPerSec = w.MsgsPerSec
	r.ServerCores = w.ServerCPU
	if r.ServerCores > 0 && r.MessagesPerSec > 0 {
		r.PerCoreSecond = r.MessagesPerSec / r.ServerCores
	}
	r.Saturated = r.ServerCores >= SaturatedCores
	r.CoreBusy, r.PerCoreBusySecond = w.CoreBusy, w.PerCoreBusy
	r.CoreNotIdle, r.PerCoreNotIdleSecond = w.CoreNotIdle, w.PerCoreNotIdle
	r.TCPSegsPerEcho, r.TCPDataSegsPerEcho, r.TCPDelayedACKsPerEcho = w.TCPSegs, w.TCPDataSegs, w.TCPDelayedACKs
	us := func(v float64) int64 { return int64(v + 0.5) }
	r.P50, r.P90, r.P99, r.P999 = us(w.P50us), us(w.P90us), us(w.P99us), us(w.P999us)
	r.SendLateP50, r.SendLateP99 = us(w.SendLateP50), us(w.SendLateP99)
	r.ErrorTotal = w.Errors
	a, b, ok := stats.Window(r.Snapshots, int64(sc.Conns), secondsDur(skip))
	if ok {
		r.AllocsMeasured = true
		r.AllocsPerMsg = stats.AllocsPerMessage(a, b)
		r.AllocBytesPerMsg = stats.BytesPerMessage(a, b)
	}
}
