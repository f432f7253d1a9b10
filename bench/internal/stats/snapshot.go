package stats

import (
	"strconv"
)

// Snapshot is one reading of a server process's runtime counters. Field
// names in JSON are part of the results format kept in bench/results/.
type Snapshot struct {
	// Seq numbers the snapshots of one process from 1, so a reader can tell
	// a new line from one it has seen.
	Seq int64 `json:"seq"`
	// UnixNano is the wall-clock time of the reading.
	UnixNano int64 `json:"t_ns"`
	// GC reports that a full garbage collection ran just before the
	// reading, so HeapInuse and HeapLive hold live data only.
	GC bool `json:"gc"`
	// AllocObjects and AllocBytes are the cumulative heap allocations since
	// the process started (runtime/metrics /gc/heap/allocs:objects and
	// /gc/heap/allocs:bytes).
	AllocObjects uint64 `json:"alloc_objects"`
	AllocBytes   uint64 `json:"alloc_bytes"`
	// HeapLive is /gc/heap/live:bytes: what the last GC found reachable.
	HeapLive uint64 `json:"heap_live"`
	// HeapInuse, StackInuse and Sys are runtime.MemStats fields of the same
	// names.
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	// Goroutines is runtime.NumGoroutine.
	Goroutines int64 `json:"goroutines"`
	// Conns and Messages are the server's Counters: open WebSocket
	// sessions and messages echoed since start.
	Conns    int64 `json:"conns"`
	Messages int64 `json:"messages"`
}

// AppendJSON appends s as one JSON object and a newline to dst. It exists
// beside encoding/json because the writer runs inside the process being
// measured and must not allocate what it counts.
func (s *Snapshot) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, s.Seq, 10)
	dst = append(dst, `,"t_ns":`...)
	dst = strconv.AppendInt(dst, s.UnixNano, 10)
	dst = append(dst, `,"gc":`...)
	dst = strconv.AppendBool(dst, s.GC)
	dst = appendUint(dst, "alloc_objects", s.AllocObjects)
	dst = appendUint(dst, "alloc_bytes", s.AllocBytes)
	dst = appendUint(dst, "heap_live", s.HeapLive)
	dst = appendUint(dst, "heap_inuse", s.HeapInuse)
	dst = appendUint(dst, "stack_inuse", s.StackInuse)
	dst = appendUint(dst, "sys", s.Sys)
	dst = append(dst, `,"goroutines":`...)
	dst = strconv.AppendInt(dst, s.Goroutines, 10)
	dst = append(dst, `,"conns":`...)
	dst = strconv.AppendInt(dst, s.Conns, 10)
	dst = append(dst, `,"messages":`...)
	dst = strconv.AppendInt(dst, s.Messages, 10)
	return append(dst, "}\n"...)
}

func appendUint(dst []byte, name string, v uint64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendUint(dst, v, 10)
}
