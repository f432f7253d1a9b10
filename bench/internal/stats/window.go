package stats

import "time"

// Window picks, from the snapshots of one echo run, two readings a and b
// between which the server was in steady state: all want sessions open
// (handshakes done, none closing yet), messages flowing, and at least skip
// of traffic already behind, so lazily built per-session state is not
// counted as per-message cost. The last steady reading is dropped because
// closing handshakes may already be under way when it is taken. ok is false
// when fewer than two readings qualify.
func Window(ss []Snapshot, want int64, skip time.Duration) (a, b Snapshot, ok bool) {
	first, last := -1, -1
	var flowing int64 = -1 // time traffic was first seen
	for i := range ss {
		if ss[i].Conns != want {
			continue
		}
		if ss[i].Messages > 0 && flowing < 0 {
			flowing = ss[i].UnixNano
		}
		if flowing >= 0 && first < 0 && ss[i].UnixNano >= flowing+skip.Nanoseconds() {
			first = i
		}
		if first >= 0 && i > 0 && ss[i].Messages > ss[i-1].Messages && ss[i-1].Conns == want {
			last = i
		}
	}
	if first < 0 || last < 0 {
		return a, b, false
	}
	if last-1 > first {
		last--
	}
	if last <= first || ss[last].Messages <= ss[first].Messages {
		return a, b, false
	}
	return ss[first], ss[last], true
}

// AllocsPerMessage is the heap objects the process allocated per echoed
// message between a and b.
func AllocsPerMessage(a, b Snapshot) float64 {
	m := b.Messages - a.Messages
	if m <= 0 {
		return 0
	}
	return float64(b.AllocObjects-a.AllocObjects) / float64(m)
}

// BytesPerMessage is the heap bytes the process allocated per echoed message
// between a and b.
func BytesPerMessage(a, b Snapshot) float64 {
	m := b.Messages - a.Messages
	if m <= 0 {
		return 0
	}
	return float64(b.AllocBytes-a.AllocBytes) / float64(m)
}
