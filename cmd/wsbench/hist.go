package main

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds from 1 µs to 60 s with three
// significant digits (0.1 % resolution); slower answers are clamped to 60 s.
const (
	histMin     = 1
	histMax     = 60_000_000
	histDigits  = 3
	nsPerMicro  = 1000
	hdrEncoding = hdr.V2CompressedEncodingCookieBase
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

// recordMicros records d (in µs) clamped to the histogram's range, so a
// stalled server shows up as a 60 s outlier rather than a lost sample.
func recordMicros(h *hdr.Histogram, us int64) {
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	_ = h.RecordValue(us)
}

// Percentiles is the latency summary of a histogram, in microseconds. It is
// part of the JSON schema.
type Percentiles struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_us"`
	Min   int64   `json:"min_us"`
	P50   int64   `json:"p50_us"`
	P90   int64   `json:"p90_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p999_us"`
	Max   int64   `json:"max_us"`
}

func percentilesOf(h *hdr.Histogram) Percentiles {
	if h == nil || h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		Count: h.TotalCount(),
		Mean:  h.Mean(),
		Min:   h.Min(),
		P50:   h.ValueAtQuantile(50),
		P90:   h.ValueAtQuantile(90),
		P99:   h.ValueAtQuantile(99),
		P999:  h.ValueAtQuantile(99.9),
		Max:   h.Max(),
	}
}

// encodeHist is the HdrHistogram V2 compressed, base64 form used between
// worker processes and in the JSON result; "" for an empty histogram.
func encodeHist(h *hdr.Histogram) string {
	if h == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdrEncoding)
	if err != nil {
		return ""
	}
	return string(b)
}

// mergeEncoded adds an encoded histogram into h.
func mergeEncoded(h *hdr.Histogram, s string) error {
	if s == "" {
		return nil
	}
	d, err := hdr.Decode([]byte(s))
	if err != nil {
		return err
	}
	h.Merge(d)
	return nil
}
