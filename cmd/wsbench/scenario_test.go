package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fullScenario = `name: full
url: wss://example.com/ws?u={{conn}}
headers:
  Authorization: Bearer {{env TOKEN}}
  Cookie: session=abc
subprotocols: [chat.v1, chat.v0]
compression: true
tls: {insecure: true}
connections: 10
connect_rate: 100
duration: 30s
thresholds: [p99<5ms, errors==0]
script:
  - send: {text: "hi {{conn}}", name: hello}
  - expect: {contains: "hi {{conn}}", timeout: 2s, metric: hello_rtt, from: hello}
  - loop:
      count: 3
      steps:
        - send: {binary: "{{random 16}}"}
        - expect: {regex: "^ok [0-9]+$"}
        - expect: {json: {path: data.items.0.id, equals: "{{seq}}"}, metric: rtt}
        - think: {min: 10ms, max: 20ms}
        - wait: 5ms
  - close: {code: 4000, reason: done}
`

func TestParseScenario(t *testing.T) {
	sc, err := parseScenario("full.yaml", []byte(fullScenario), testEnv(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "full" || sc.Connections != 10 || sc.ConnectRate != 100 || sc.Duration != 30*time.Second ||
		!sc.Compression || !sc.Insecure || len(sc.Subprotocols) != 2 || len(sc.Headers) != 2 || len(sc.Thresholds) != 2 {
		t.Fatalf("settings: %+v", sc)
	}
	if got := sc.Headers[0].Value.expandString(&tmplVars{}); got != "Bearer s3cret" {
		t.Errorf("Authorization %q", got)
	}
	if len(sc.Script) != 4 {
		t.Fatalf("%d steps", len(sc.Script))
	}
	ex := sc.Script[1]
	if ex.kind != stepExpect || ex.metric != "hello_rtt" || ex.from != "hello" || ex.timeout != 2*time.Second {
		t.Errorf("expect: %+v", ex)
	}
	lp := sc.Script[2]
	if lp.kind != stepLoop || lp.count != 3 || len(lp.steps) != 5 || !lp.steps[0].binary || lp.steps[1].regex == nil ||
		strings.Join(lp.steps[2].jsonPath, "/") != "data/items/0/id" || lp.steps[3].max != 20*time.Millisecond || lp.steps[4].min != 5*time.Millisecond {
		t.Errorf("loop: %+v", lp)
	}
	if c := sc.Script[3]; c.kind != stepClose || c.code != 4000 || c.reason != "done" {
		t.Errorf("close: %+v", c)
	}
}

// TestParseScenarioErrors checks that every invalid file names its line and
// field.
func TestParseScenarioErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		field     string
	}{
		{"unknown_top", "url: ws://x/\nscript: [close]\nconection: 3\n", 3, "conection"},
		{"no_url", "script: [close]\n", 1, "url"},
		{"bad_scheme", "url: http://x/\nscript: [close]\n", 1, "url"},
		{"bad_duration", "url: ws://x/\nduration: fast\nscript: [close]\n", 2, "duration"},
		{"bad_conns", "url: ws://x/\nconnections: -1\nscript: [close]\n", 2, "connections"},
		{"unknown_step", "url: ws://x/\nscript:\n  - send: a\n  - shout: b\n", 4, "script[1].shout"},
		{"expect_no_matcher", "url: ws://x/\nscript:\n  - expect: {timeout: 1s}\n", 3, "script[0].expect"},
		{"expect_two_matchers", "url: ws://x/\nscript:\n  - expect: {contains: a, regex: b}\n", 3, "script[0].expect"},
		{"bad_regex", "url: ws://x/\nscript:\n  - expect:\n      regex: \"(\"\n", 4, "script[0].expect.regex"},
		{"bad_timeout", "url: ws://x/\nscript:\n  - expect: {contains: a, timeout: 0s}\n", 3, "script[0].expect.timeout"},
		{"reserved_metric", "url: ws://x/\nscript:\n  - expect: {contains: a, metric: p99}\n", 3, "script[0].expect.metric"},
		{"from_unknown", "url: ws://x/\nscript:\n  - send: a\n  - expect: {contains: a, from: nope}\n", 4, "script[1].expect.from"},
		{"bad_template", "url: ws://x/\nscript:\n  - send: \"{{nope}}\"\n", 3, "script[0].send"},
		{"loop_steps", "url: ws://x/\nscript:\n  - loop: {count: 2}\n", 3, "script[0].loop.steps"},
		{"nested_bad", "url: ws://x/\nscript:\n  - loop:\n      count: 2\n      steps:\n        - think: {min: 2s, max: 1s}\n", 6, "script[0].loop.steps[0].think"},
		{"open_loop", "url: ws://x/\nscript:\n  - loop:\n      steps: [close]\n", 3, "script[0].loop"},
		{"stage_two_kinds", "url: ws://x/\nstages:\n  - {duration: 1s, target: 3, rate: 2}\nscript: [close]\n", 3, "stages[0]"},
		{"ramp_target", "url: ws://x/\nstages:\n  - {duration: 1s, target: 3, ramp: true}\nscript: [close]\n", 3, "stages[0].ramp"},
		{"stage_no_duration", "url: ws://x/\nstages:\n  - {target: 3}\nscript: [close]\n", 3, "stages[0].duration"},
		{"stages_and_conns", "url: ws://x/\nconnections: 3\nstages:\n  - {duration: 1s, target: 3}\nscript: [close]\n", 1, "stages"},
		{"alias", "url: ws://x/\nx: &a 1\nscript: [close]\n", 2, "x"},
		{"alias_value", "url: &u ws://x/\nname: *u\nscript: [close]\n", 2, "name"},
		{"duplicate", "url: ws://x/\nurl: ws://y/\nscript: [close]\n", 2, "url"},
		{"bad_threshold", "url: ws://x/\nthresholds:\n  - p99<5\nscript: [close]\n", 3, "thresholds[0]"},
		{"close_code", "url: ws://x/\nscript:\n  - close: 99\n", 3, "script[0].close"},
		{"fanout_no_stamp", "url: ws://x/\nfanout: {subscribers: 2, publishers: 1, publish: {text: hi}}\n", 2, "fanout.publish"},
		{"fanout_and_script", "url: ws://x/\nfanout: {subscribers: 2, publishers: 1, publish: {text: \"{{stamp}}\"}}\nscript: [close]\n", 1, "fanout"},
		{"yaml_syntax", "url: ws://x/\nscript: [close\n", 0, ""},
		{"not_mapping", "- a\n- b\n", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseScenario("s.yaml", []byte(tc.src), testEnv(t.TempDir()))
			var se *scenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a scenarioError", err)
			}
			if tc.line > 0 && se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			if se.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", se.Field, tc.field, err)
			}
			if tc.name == "yaml_syntax" && !strings.Contains(err.Error(), "line") {
				t.Errorf("YAML syntax error without a line: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "s.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestLoadScenarioFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte("url: ws://x/\nscript:\n  - send: \"{{line msgs.txt}}\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadScenario(p); err == nil || !strings.Contains(err.Error(), "s.yaml:3: script[0].send") {
		t.Fatalf("missing line file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "msgs.txt"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := loadScenario(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Script[0].body.expandString(&tmplVars{}); got != "one" {
		t.Errorf("first line %q", got)
	}
	if _, err := loadScenario("testdata/chat.yaml"); err != nil {
		t.Errorf("shipped chat scenario: %v", err)
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(fullScenario))
	f.Add([]byte("url: ws://x/\nstages:\n  - {duration: 1s, target: 3}\nscript: [close]\n"))
	f.Add([]byte("url: ws://x/\nfanout: {subscribers: 2, publishers: 1, publish: {text: \"{{stamp}}\"}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := parseScenario("f.yaml", b, testEnv(t.TempDir()))
		if err == nil && sc.URL == nil {
			t.Fatal("accepted without a url")
		}
	})
}
