package stats_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/surgews/surge/bench/internal/stats"
)

func ExampleSnapshot_AppendJSON() {
	s := stats.Snapshot{Seq: 1, AllocObjects: 120, Conns: 2, Messages: 10}
	fmt.Print(string(s.AppendJSON(nil)))
	// Output:
	// {"seq":1,"t_ns":0,"gc":false,"alloc_objects":120,"alloc_bytes":0,"heap_live":0,"heap_inuse":0,"stack_inuse":0,"sys":0,"goroutines":0,"conns":2,"messages":10}
}

func ExampleParse() {
	in := `{"seq":1,"conns":2,"messages":100,"alloc_objects":500}
{"seq":2,"conns":2,"messages":300,"alloc_objects":900}
{"seq":3,"con`
	ss, err := stats.Parse(strings.NewReader(in))
	fmt.Println(len(ss), err, stats.AllocsPerMessage(ss[0], ss[1]))
	// Output: 2 <nil> 2
}

func ExampleWindow() {
	ss := []stats.Snapshot{
		{Seq: 1, UnixNano: 0, Conns: 2, Messages: 10, AllocObjects: 100},
		{Seq: 2, UnixNano: 1e9, Conns: 2, Messages: 110, AllocObjects: 100},
		{Seq: 3, UnixNano: 2e9, Conns: 2, Messages: 210, AllocObjects: 100},
		{Seq: 4, UnixNano: 3e9, Conns: 2, Messages: 310, AllocObjects: 100},
		{Seq: 5, UnixNano: 4e9, Conns: 0, Messages: 310, AllocObjects: 400},
	}
	a, b, ok := stats.Window(ss, 2, time.Second)
	fmt.Println(a.Seq, b.Seq, ok, stats.AllocsPerMessage(a, b))
	// Output: 2 3 true 0
}
