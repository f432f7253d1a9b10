package main

import (
	"os"
	"strconv"
	"strings"
)

// tcpCounts are the host's TCP counters that say how many segments an
// echo took: every segment sent (Tcp OutSegs in /proc/net/snmp), those
// that carried new data (TcpExt TCPOrigDataSent) and the ACKs that the
// delayed-ACK timer sent on its own (TcpExt DelayedACKs, both in
// /proc/net/netstat). They count the whole host: on loopback both ends of
// the test, and any other TCP traffic of the moment. A field is -1 when
// it could not be read.
//
// Why rawload reports them: on loopback a segment's TCP input runs on the
// CPU that sent it, so a server's sends charge its core with the
// generator's input and every pure ACK costs a second socket's input too.
// An echo with nothing in between is two data segments; a server that
// leaves a message unread past the peer's delayed-ACK timeout (40 ms or
// more) adds a pure ACK and the timer that sends it.
type tcpCounts struct{ segs, data, delayed int64 }

func (c tcpCounts) ok() bool { return c.segs >= 0 && c.data >= 0 && c.delayed >= 0 }

// readTCPCounts reads the host's counters; fields it cannot read are -1.
func readTCPCounts() tcpCounts {
	snmp, err1 := os.ReadFile("/proc/net/snmp")
	netstat, err2 := os.ReadFile("/proc/net/netstat")
	if err1 != nil || err2 != nil {
		return tcpCounts{-1, -1, -1}
	}
	return tcpCounts{
		segs:    netCounter(snmp, "Tcp", "OutSegs"),
		data:    netCounter(netstat, "TcpExt", "TCPOrigDataSent"),
		delayed: netCounter(netstat, "TcpExt", "DelayedACKs"),
	}
}

// netCounter returns the counter name of group in a /proc/net/snmp or
// /proc/net/netstat text, where each group is a line of names and then a
// line of values, both led by "group:". It returns -1 when the counter is
// missing or not a number, or the two lines do not pair up.
func netCounter(text []byte, group, name string) int64 {
	prefix := group + ":"
	var names []string
	for line := range strings.Lines(string(text)) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != prefix {
			continue
		}
		if names == nil {
			names = f[1:]
			continue
		}
		if len(f)-1 != len(names) {
			return -1
		}
		for i, n := range names {
			if n == name {
				v, err := strconv.ParseInt(f[i+1], 10, 64)
				if err != nil {
					return -1
				}
				return v
			}
		}
		return -1
	}
	return -1
}

// perEcho returns the counters' growth from a to b per echo: segments,
// data segments and delayed ACKs. All are 0 when a count is missing,
// went backwards or there were no echoes.
func perEcho(a, b tcpCounts, echoes int64) (segs, data, delayed float64) {
	if !a.ok() || !b.ok() || echoes <= 0 || b.segs < a.segs || b.data < a.data || b.delayed < a.delayed {
		return 0, 0, 0
	}
	n := float64(echoes)
	return float64(b.segs-a.segs) / n, float64(b.data-a.data) / n, float64(b.delayed-a.delayed) / n
}
