package attack

import (
	"errors"
	"strings"
	"testing"
)

// TestSuiteRun runs two cheap attacks through the suite against surge and
// the broken server, and reads the tables it writes: one row per server,
// with each server's own figures.
func TestSuiteRun(t *testing.T) {
	s := &Suite{
		Libs:      []string{"surge-inline", "broken"},
		Attacks:   []string{"closeorder", "head"},
		Start:     spawnServer,
		CloseRuns: 2,
		HeadSizes: []int{20 << 10},
	}
	var b strings.Builder
	if err := s.Run(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{
		"| surge-inline | 1 | 2 of 2 | 0 | 0 | 1000 |",
		"| surge-inline | 5 | 2 of 2 | 0 | 0 | 1000 |",
		"| broken | 1 | 0 of 2 | 2 | 0 | 1000 |",
		"| surge-inline | 20 KiB | HTTP/1.1 431 Request Header Fields Too Large | sent | FIN |",
		"| server | head | status line read |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the tables lack %q", want)
		}
	}
	if strings.Contains(out, "| broken | 20 KiB | HTTP/1.1 4") {
		t.Errorf("the broken server's head row shows a refusal it never sent")
	}

	s.Attacks = []string{"closeorder", "no such attack"}
	if err := s.Run(&b); !errors.Is(err, ErrUnknownAttack) {
		t.Errorf("Run with an unknown attack: %v, want ErrUnknownAttack", err)
	}
	s.Libs, s.Attacks = []string{"no such lib"}, []string{"closeorder"}
	b.Reset()
	if err := s.Run(&b); err != nil || !strings.Contains(b.String(), "| no such lib | error: ") {
		t.Errorf("a server that does not start: %v, tables %q; want an error row", err, b.String())
	}
}

func TestParseServerLine(t *testing.T) {
	cases := []struct {
		name, line string
		want       Target
		ok         bool
	}{
		{"echoserver", "echoserver lib=gorilla pid=42 addr=127.0.0.1:9000", Target{Addr: "127.0.0.1:9000", PID: 42}, true},
		{"any order", "addr=[::1]:80 pid=7", Target{Addr: "[::1]:80", PID: 7}, true},
		{"no pid", "echoserver addr=127.0.0.1:9000", Target{}, false},
		{"bad pid", "addr=127.0.0.1:9000 pid=x", Target{}, false},
		{"no addr", "pid=42", Target{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseServerLine(c.line)
			if (err == nil) != c.ok || c.ok && got != c.want {
				t.Errorf("parseServerLine = %+v, %v; want %+v, ok %v", got, err, c.want, c.ok)
			}
			if err != nil && !errors.Is(err, ErrServerLine) {
				t.Errorf("error %v does not wrap ErrServerLine", err)
			}
		})
	}
}

// FuzzParseServerLine: any line gives a target with an address and a
// positive PID, or an error wrapping ErrServerLine.
func FuzzParseServerLine(f *testing.F) {
	f.Add("echoserver lib=gorilla pid=42 addr=127.0.0.1:9000")
	f.Add("pid=-1 addr=x")
	f.Fuzz(func(t *testing.T, line string) {
		got, err := parseServerLine(line)
		if err != nil {
			if !errors.Is(err, ErrServerLine) {
				t.Errorf("error %v does not wrap ErrServerLine", err)
			}
			return
		}
		if got.Addr == "" || got.PID <= 0 {
			t.Errorf("parseServerLine(%q) = %+v with no error", line, got)
		}
	})
}

// TestSpawnWithoutLine: a process that exits without an address line is
// an error, not a hang.
func TestSpawnWithoutLine(t *testing.T) {
	_, err := spawnServer("no such lib", 0)
	if !errors.Is(err, ErrServerLine) {
		t.Errorf("Spawn of a server that fails at start: %v, want ErrServerLine", err)
	}
}
