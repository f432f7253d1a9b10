package attack

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/surgews/surge/frame"
)

// Suite runs attacks against fresh servers of several libraries and
// writes one Markdown table per attack, a column or row per library, so
// that every figure of a table comes from the same tool in the same run.
type Suite struct {
	// Libs are the servers to attack, in table order.
	Libs []string
	// Attacks are the attacks to run (names from AttackNames); nil: all.
	Attacks []string
	// Start starts a fresh server of lib; nofile > 0 asks for it to run
	// with that open-files limit. Each attack gets its own server, so that
	// one attack's leftovers do not show in the next one's figures.
	Start func(lib string, nofile int) (*Server, error)
	// Sizes; zero means the figure named in each field's comment.
	NonReaders []int         // attackers per non-reader run: 2, 200 (up to 10 send until the server stops reading, up to 16 MiB; more send 16 echoes)
	SlowPeers  int           // slow readers: 20
	SlowHold   time.Duration // how long slow readers are held at most: 25 s
	CloseRuns  int           // runs per message count of the close-order attack: 10
	HeadSizes  []int         // oversized heads: 20 KiB, 2 MiB
	Flood      int           // fd-limit flood: 400 connections
	FloodLimit int           // the server's open-files limit for it: 256
	FloodCPU   time.Duration // CPU window while the flood holds: 2 s
}

// attacks in report order.
var attacks = []struct {
	name string
	run  func(s *Suite, w io.Writer) error
}{
	{"nonreaders", (*Suite).nonReaders},
	{"slowreaders", (*Suite).slowReaders},
	{"closeorder", (*Suite).closeOrder},
	{"invalidclose", (*Suite).invalidClose},
	{"head", (*Suite).head},
	{"fdlimit", (*Suite).fdLimit},
}

// AttackNames returns the attacks a Suite runs, in report order.
func AttackNames() []string {
	out := make([]string, len(attacks))
	for i, a := range attacks {
		out[i] = a.name
	}
	return out
}

// Run runs the suite's attacks and writes their tables to w.
func (s *Suite) Run(w io.Writer) error {
	for _, name := range s.Attacks {
		if !slices.Contains(AttackNames(), name) {
			return fmt.Errorf("%w: %q (have %v)", ErrUnknownAttack, name, AttackNames())
		}
	}
	for _, a := range attacks {
		if s.Attacks != nil && !slices.Contains(s.Attacks, a.name) {
			continue
		}
		if err := a.run(s, w); err != nil {
			return err
		}
	}
	return nil
}

// each runs f against a fresh server per library and collects its table
// rows; an attack that fails against one server fills that server's row
// with the error instead of ending the suite.
func (s *Suite) each(nofile int, f func(lib string, srv *Server) ([][]string, error)) [][]string {
	var rows [][]string
	for _, lib := range s.Libs {
		srv, err := s.Start(lib, nofile)
		if err == nil {
			var rs [][]string
			rs, err = f(lib, srv)
			srv.Stop()
			rows = append(rows, rs...)
		}
		if err != nil {
			rows = append(rows, []string{lib, "error: " + err.Error()})
		}
	}
	return rows
}

func (s *Suite) nonReaders(w io.Writer) error {
	counts := orInts(s.NonReaders, 2, 200)
	rows := s.each(0, func(lib string, srv *Server) ([][]string, error) {
		t := srv.Target
		var rows [][]string
		for _, n := range counts {
			msgs := nonReaderMsgs
			if n > 10 {
				msgs = 16 // the test's figure: what a crowd of them can put through a loopback quickly
			}
			r, err := NonReaders(t, n, msgs)
			if err != nil {
				return rows, err
			}
			rows = append(rows, []string{lib, fmt.Sprint(n), fmt.Sprintf("%d of %d", r.Sent/n, msgs), r.Canary.String(),
				rssSteps(r.Before, r.During, r.After), fdSteps(r.Before, r.During, r.After)})
		}
		return rows, nil
	})
	return table(w, "Peers that send echoes of 16 KiB and never read them, canary beside them",
		[]string{"server", "attackers", "echoes sent by each", "canary median / max", "RSS before → during → after", "fds before → during → after"}, rows)
}

func (s *Suite) slowReaders(w io.Writer) error {
	peers := cmp.Or(s.SlowPeers, 20)
	hold := cmp.Or(s.SlowHold, 25*time.Second)
	rows := s.each(0, func(lib string, srv *Server) ([][]string, error) {
		t := srv.Target
		r, err := SlowReaders(t, peers, slowMsgs, hold)
		if err != nil {
			return nil, err
		}
		dropped := fmt.Sprintf("%d of %d within %v", r.Dropped, r.Peers, hold)
		if r.DroppedAfter > 0 {
			dropped = fmt.Sprintf("all, %.1f s after the attack began", r.DroppedAfter.Seconds())
		}
		return [][]string{{lib, fmt.Sprint(peers), mib(int64(r.Sent) * slowSize / int64(peers)), kib(r.PerPeer()), mib(r.Before.RSS) + " → " + mib(r.Peak.RSS),
			dropped, mib(r.After.RSS), fdSteps(r.Before, r.Peak, r.After), r.Canary.String()}}, nil
	})
	return table(w, fmt.Sprintf("Slow readers (echoes of 64 KiB, sent until the server stops reading, up to %d MiB; never read), held up to %v", slowMsgs*slowSize>>20, hold),
		[]string{"server", "attackers", "sent by each", "RSS per attacker", "RSS before → peak", "dropped", "RSS 3 s after they left", "fds before → peak → after", "canary median / max"}, rows)
}

func (s *Suite) closeOrder(w io.Writer) error {
	runs := cmp.Or(s.CloseRuns, 10)
	rows := s.each(0, func(lib string, srv *Server) ([][]string, error) {
		t := srv.Target
		var rows [][]string
		for _, msgs := range []int{1, 5} {
			r, err := CloseOrder(t, runs, msgs)
			if err != nil {
				return rows, err
			}
			codes := make([]string, len(r.Codes))
			for i, c := range r.Codes {
				codes[i] = fmt.Sprint(uint16(c))
			}
			rows = append(rows, []string{lib, fmt.Sprint(msgs), fmt.Sprintf("%d of %d", r.InOrder, r.Runs),
				fmt.Sprint(r.CloseFirst), fmt.Sprint(r.NoClose), strings.Join(codes, ", ")})
		}
		return rows, nil
	})
	return table(w, "Messages and a close frame in one write",
		[]string{"server", "messages", "all echoes before the close", "close first", "no close frame", "close codes"}, rows)
}

func (s *Suite) invalidClose(w io.Writer) error {
	// One column per server: the seven cases are the rows.
	cases := InvalidCloses()
	cells := make([][]string, len(cases))
	for i, c := range cases {
		cells[i] = []string{c.Name}
	}
	for _, row := range s.each(0, func(lib string, srv *Server) ([][]string, error) {
		t := srv.Target
		rs, err := InvalidCloseFrames(t)
		if err != nil {
			return nil, err
		}
		col := []string{lib}
		for _, r := range rs {
			col = append(col, invalidCloseCell(r))
		}
		return [][]string{col}, nil
	}) {
		for i := range cells {
			cell := row[min(i+1, len(row)-1)]
			cells[i] = append(cells[i], cell)
		}
	}
	return table(w, "An invalid close frame after a message: close code, then how TCP ended and how soon",
		append([]string{"close frame"}, s.Libs...), cells)
}

func invalidCloseCell(r InvalidCloseResult) string {
	code := "no close frame"
	switch r.Code {
	case 0:
	case frame.CloseNoStatus:
		code = "empty close" // what ParseClose makes of a close frame without a code
	default:
		code = fmt.Sprint(uint16(r.Code))
	}
	s := fmt.Sprintf("%s, %s %v", code, r.End, roundDur(r.After))
	if r.End == "open" {
		s = fmt.Sprintf("%s, TCP open after %v", code, closeWait)
	}
	if !r.Echo {
		s += ", no echo"
	}
	return s
}

func (s *Suite) head(w io.Writer) error {
	sizes := orInts(s.HeadSizes, 20<<10, 2<<20)
	rows := s.each(0, func(lib string, srv *Server) ([][]string, error) {
		t := srv.Target
		var rows [][]string
		for _, size := range sizes {
			r, err := OversizedHead(t, size)
			if err != nil {
				return rows, err
			}
			rows = append(rows, []string{lib, kib(int64(r.Size)), r.Status, r.Writes, r.End})
		}
		return rows, nil
	})
	return table(w, "An oversized handshake head, sent in 512-byte writes",
		[]string{"server", "head", "status line read", "the client's writes", "end of the answer"}, rows)
}

func (s *Suite) fdLimit(w io.Writer) error {
	flood := cmp.Or(s.Flood, 400)
	limit := cmp.Or(s.FloodLimit, 256)
	window := cmp.Or(s.FloodCPU, 2*time.Second)
	rows := s.each(limit, func(lib string, srv *Server) ([][]string, error) {
		t := srv.Target
		logs := srv.LogLines()
		r, err := FDLimit(t, flood, window)
		if err != nil {
			return nil, err
		}
		logs = srv.LogLines() - logs
		rec := fmt.Sprintf("not within %v", ioWait)
		if r.Recovered > 0 {
			rec = roundDur(r.Recovered).String()
		}
		cpu := fmt.Sprintf("%v (%.1f%% of a core)", r.CPU, 100*r.CPUShare())
		if r.CPU == 0 {
			cpu = fmt.Sprintf("under %v (under %.1f%%)", time.Second/userHZ, 100*float64(time.Second/userHZ)/float64(r.Window))
		}
		return [][]string{{lib, fmt.Sprintf("%d (%d connected)", r.Flood, r.Opened), fmt.Sprint(r.Held), fmt.Sprint(r.FDs),
			cpu, fmt.Sprint(logs), rec, r.Canary.String()}}, nil
	})
	return table(w, fmt.Sprintf("A flood of silent connections at the open-files limit (%d)", limit),
		[]string{"server", "flood", "still open after the window", "server fds", fmt.Sprintf("server CPU over %v", window),
			"log lines", "echo again after the flood", "canary median / max"}, rows)
}

// table writes a Markdown table under a bold title.
func table(w io.Writer, title string, header []string, rows [][]string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n| %s |\n|%s\n", title, strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// orInts is v, or def when v is empty.
func orInts(v []int, def ...int) []int {
	if len(v) == 0 {
		return def
	}
	return v
}

func mib(b int64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func kib(b int64) string { return fmt.Sprintf("%d KiB", b>>10) }

func rssSteps(ss ...Sample) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = mib(s.RSS)
	}
	return strings.Join(parts, " → ")
}

func fdSteps(ss ...Sample) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprint(s.FDs)
	}
	return strings.Join(parts, " → ")
}
