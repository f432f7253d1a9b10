package main

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/surgews/surge/frame"
)

// Load modes of a run.
const (
	modeClosed = iota // --depth messages in flight per connection
	modeOpen          // --rate messages per second per connection
	modeIdle          // no traffic but one liveness round trip at the end
)

// Phases of a run, in order; conn handlers read the phase atomically.
const (
	phaseConnect = iota
	phaseWarmup
	phaseMeasure
	phaseStopping // no new messages; echoes in flight drain
	phaseClosing  // the run closes its sessions: ends are not errors
)

var phaseNames = [...]string{"connect", "warmup", "measure", "drain", "close"}

// shardCount spreads connections over histograms so that loops rarely meet
// on one mutex; each shard's lock is held only to record one message.
const shardCount = 32

// shard holds what a group of connections measured since the last drain.
type shard struct {
	mu       sync.Mutex
	hist     *hdr.Histogram
	verified int64
	received int64
	bytes    int64
	kinds    map[string]int64 // verification failures, rare
	_        [64]byte         // keep shards on separate cache lines
}

func (sh *shard) countKind(kind string) {
	if sh.kinds == nil {
		sh.kinds = make(map[string]int64)
	}
	sh.kinds[kind]++
}

// interval is what all shards measured between two drains.
type interval struct {
	hist     *hdr.Histogram
	verified int64
	received int64
	bytes    int64
}

// runState is shared by every connection of one process's run.
type runState struct {
	ctx   context.Context
	mode  int
	limit int64 // messages per connection, 0 = unlimited
	pat   *pattern
	base  time.Time
	phase atomic.Int32

	shards [shardCount]shard

	mu         sync.Mutex
	errors     map[string]int64
	closeCodes map[string]int64

	doneMu      sync.Mutex
	doneTarget  int64
	doneCount   int64
	doneCh      chan struct{}
	closedConns atomic.Int64
}

func newRunState(ctx context.Context, o *options) *runState {
	rs := &runState{
		ctx:        ctx,
		mode:       modeClosed,
		limit:      o.messages,
		pat:        newPattern(o.size, o.text),
		base:       time.Now(),
		errors:     make(map[string]int64),
		closeCodes: make(map[string]int64),
		doneCh:     make(chan struct{}),
	}
	switch {
	case o.mode == "idle":
		rs.mode, rs.limit = modeIdle, 0
	case o.rate > 0:
		rs.mode = modeOpen
	}
	for i := range rs.shards {
		rs.shards[i].hist = newHist()
	}
	return rs
}

// now is the monotonic time since base in ns, the clock of payload stamps.
func (rs *runState) now() int64 { return int64(time.Since(rs.base)) }

func (rs *runState) countError(kind string, n int64) {
	rs.mu.Lock()
	rs.errors[kind] += n
	rs.mu.Unlock()
}

func (rs *runState) countClose(code frame.CloseCode) {
	rs.mu.Lock()
	rs.closeCodes[strconv.Itoa(int(code))]++
	rs.mu.Unlock()
}

// expectDone sets how many connections must finish (reach --messages, answer
// the liveness check, or end) before done is closed.
func (rs *runState) expectDone(n int64) {
	rs.doneMu.Lock()
	rs.doneTarget = n
	if rs.doneCount >= n {
		rs.closeDone()
	}
	rs.doneMu.Unlock()
}

func (rs *runState) markDone(c *conn) {
	if !c.finished.CompareAndSwap(false, true) {
		return
	}
	rs.doneMu.Lock()
	rs.doneCount++
	if rs.doneTarget > 0 && rs.doneCount >= rs.doneTarget {
		rs.closeDone()
	}
	rs.doneMu.Unlock()
}

func (rs *runState) closeDone() {
	select {
	case <-rs.doneCh:
	default:
		close(rs.doneCh)
	}
}

// drain moves what the shards measured into a new interval and counts their
// verification failures as errors.
func (rs *runState) drain(into *interval) {
	for i := range rs.shards {
		sh := &rs.shards[i]
		sh.mu.Lock()
		into.hist.Merge(sh.hist)
		sh.hist.Reset()
		into.verified += sh.verified
		into.received += sh.received
		into.bytes += sh.bytes
		sh.verified, sh.received, sh.bytes = 0, 0, 0
		kinds := sh.kinds
		sh.kinds = nil
		sh.mu.Unlock()
		for k, n := range kinds {
			rs.countError(k, n)
		}
	}
}

// errorCount is the number of errors counted so far.
func (rs *runState) errorCount() int64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var n int64
	for _, v := range rs.errors {
		n += v
	}
	return n
}

func (rs *runState) snapshotErrors() (map[string]int64, map[string]int64) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e := make(map[string]int64, len(rs.errors))
	for k, v := range rs.errors {
		e[k] = v
	}
	c := make(map[string]int64, len(rs.closeCodes))
	for k, v := range rs.closeCodes {
		c[k] = v
	}
	return e, c
}
