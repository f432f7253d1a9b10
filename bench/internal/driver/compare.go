package driver

import (
	"fmt"
	"io"
)

// Compare writes, for every library, scenario and load generator present in
// both runs, the headline figure of each and the ratio new/old: messages per
// server core-second for echo and rate runs, RSS per connection and upgrades
// per second for idle runs. A run of several rounds counts by its median
// round (as in the report).
func Compare(w io.Writer, old, cur *Run) {
	old, _ = old.medians()
	cur, _ = cur.medians()
	fmt.Fprintf(w, "old: %s (%s)\nnew: %s (%s)\n\n", old.Started, old.Host.CPU, cur.Started, cur.Host.CPU)
	fmt.Fprintf(w, "%-16s %-18s %-8s %-14s %14s %14s %8s\n", "library", "scenario", "gen", "figure", "old", "new", "new/old")
	for _, n := range cur.Results {
		o := old.FindGen(n.Lib, n.Scenario, n.Gen())
		if o == nil || o.Error != "" || n.Error != "" {
			continue
		}
		row := func(fig string, a, b float64) {
			r := "—"
			if a > 0 && b > 0 {
				r = fmt.Sprintf("%.2f×", b/a)
			}
			fmt.Fprintf(w, "%-16s %-18s %-8s %-14s %14.0f %14.0f %8s\n", n.Lib, n.Scenario, n.Gen(), fig, a, b, r)
		}
		if n.Kind == KindIdle {
			row("RSS B/conn", o.RSSPerConn, n.RSSPerConn)
			row("upgrades/s", o.ConnectRate, n.ConnectRate)
			continue
		}
		row("msg/core-s", o.PerCoreSecond, n.PerCoreSecond)
	}
}
