//go:build linux

package main

import (
	"testing"
	"time"
)

func TestNetCounter(t *testing.T) {
	const snmp = "Ip: Forwarding DefaultTTL InReceives\n" +
		"Ip: 1 64 999\n" +
		"Tcp: RtoAlgorithm RtoMin ActiveOpens OutSegs InSegs\n" +
		"Tcp: 1 200 7 12345 12000\n" +
		"Udp: InDatagrams OutSegs\n" +
		"Udp: 5 6\n"
	const netstat = "TcpExt: SyncookiesSent DelayedACKs TCPOrigDataSent\n" +
		"TcpExt: 0 41 900\n" +
		"IpExt: InNoRoutes\n" +
		"IpExt: 3\n" +
		"Short: A B C\n" +
		"Short: 1 2\n" +
		"Word: A B\n" +
		"Word: 1 x\n" +
		"NoValues: A B\n"
	for _, tc := range []struct {
		text, group, name string
		want              int64
	}{
		{snmp, "Tcp", "OutSegs", 12345},
		{snmp, "Tcp", "InSegs", 12000},         // the last column
		{snmp, "Udp", "OutSegs", 6},            // the same name in another group
		{snmp, "Ip", "InReceives", 999},        //
		{snmp, "Tcp", "RetransSegs", -1},       // not there
		{snmp, "Icmp", "OutSegs", -1},          // no such group
		{netstat, "TcpExt", "DelayedACKs", 41}, // not the first column
		{netstat, "TcpExt", "TCPOrigDataSent", 900},
		{netstat, "Tcp", "DelayedACKs", -1}, // "Tcp:" is not "TcpExt:"
		{netstat, "Short", "A", -1},         // names and values do not pair up
		{netstat, "Word", "A", 1},
		{netstat, "Word", "B", -1}, // not a number
		{netstat, "NoValues", "A", -1},
		{"", "Tcp", "OutSegs", -1},
	} {
		if got := netCounter([]byte(tc.text), tc.group, tc.name); got != tc.want {
			t.Errorf("%s %s: got %d, want %d", tc.group, tc.name, got, tc.want)
		}
	}
}

func TestPerEcho(t *testing.T) {
	bad := tcpCounts{-1, -1, -1}
	for _, tc := range []struct {
		name                string
		a, b                tcpCounts
		echoes              int64
		segs, data, delayed float64
	}{
		{"echoes", tcpCounts{100, 50, 7}, tcpCounts{400, 250, 57}, 100, 3, 2, 0.5},
		{"no delayed ACK", tcpCounts{0, 0, 9}, tcpCounts{200, 200, 9}, 100, 2, 2, 0},
		{"no echoes", tcpCounts{0, 0, 0}, tcpCounts{10, 10, 0}, 0, 0, 0, 0},
		{"unread start", bad, tcpCounts{10, 10, 0}, 5, 0, 0, 0},
		{"unread end", tcpCounts{1, 1, 1}, tcpCounts{10, -1, 1}, 5, 0, 0, 0},
		{"went back", tcpCounts{10, 10, 5}, tcpCounts{20, 20, 4}, 5, 0, 0, 0},
	} {
		segs, data, delayed := perEcho(tc.a, tc.b, tc.echoes)
		if segs != tc.segs || data != tc.data || delayed != tc.delayed {
			t.Errorf("%s: got %v %v %v, want %v %v %v", tc.name, segs, data, delayed, tc.segs, tc.data, tc.delayed)
		}
	}
}

// TestTCPCountsMeasured: an echo takes at least a data segment each way,
// and the host's counters, whatever else runs, can only add to that.
func TestTCPCountsMeasured(t *testing.T) {
	if !readTCPCounts().ok() {
		t.Skip("no /proc/net/snmp or /proc/net/netstat")
	}
	o := options{url: echoServer(t, false), conns: 4, size: 64, depth: 1,
		warmup: 50 * time.Millisecond, duration: 500 * time.Millisecond}
	res, err := load(&o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages < 100 {
		t.Fatalf("%d echoes in the window", res.Messages)
	}
	// The window's edges can cut at most one message per connection out
	// of the count in each direction.
	floor := 2 - 2*float64(o.conns)/float64(res.Messages)
	if res.TCPDataSegsPerEcho < floor {
		t.Fatalf("%.3f data segments per echo, want at least %.3f", res.TCPDataSegsPerEcho, floor)
	}
	if res.TCPSegsPerEcho < res.TCPDataSegsPerEcho {
		t.Fatalf("%.3f segments per echo, fewer than its %.3f data segments", res.TCPSegsPerEcho, res.TCPDataSegsPerEcho)
	}
	if res.TCPDelayedACKsPerEcho < 0 {
		t.Fatalf("%.3f delayed ACKs per echo", res.TCPDelayedACKsPerEcho)
	}
}
