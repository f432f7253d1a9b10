package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv(dir string) *templateEnv {
	e := newTemplateEnv(dir)
	e.getenv = func(k string) (string, bool) {
		if k == "TOKEN" {
			return "s3cret", true
		}
		return "", false
	}
	return e
}

func TestTemplateExpand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lines.txt"), []byte("alpha\r\nbeta\n\ngamma\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 123456789)
	tests := []struct {
		name, src, want string
		vars            tmplVars
	}{
		{name: "literal", src: "hello", want: "hello"},
		{name: "conn_seq", src: "c{{conn}} s{{ seq }}", vars: tmplVars{conn: 7, seq: 42}, want: "c7 s42"},
		{name: "conn_mod", src: "room{{conn % 4}}", vars: tmplVars{conn: 10}, want: "room2"},
		{name: "now", src: "{{now}} {{now_us}} {{now_ns}}", vars: tmplVars{now: now}, want: "1700000000123 1700000000123456 1700000000123456789"},
		{name: "env", src: "Bearer {{env TOKEN}}", want: "Bearer s3cret"},
		{name: "env_default", src: "{{env NOPE 127.0.0.1:8080}}", want: "127.0.0.1:8080"},
		{name: "quoted", src: `a{{"{{"}}b`, want: "a{{b"},
		{name: "stamp", src: `{"s":"{{stamp}}"}`, vars: tmplVars{stamp: []byte("wsb1.1.2.3")}, want: `{"s":"wsb1.1.2.3"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := compileTemplate(tc.src, testEnv(dir))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tp.expand(nil, &tc.vars)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		tp, err := compileTemplate("{{random 32}}", testEnv(dir))
		if err != nil {
			t.Fatal(err)
		}
		v := tmplVars{text: true, rng: rand.NewPCG(1, 2)}
		a, b := tp.expandString(&v), tp.expandString(&v)
		if len(a) != 32 || a == b || strings.Trim(a, alnum) != "" {
			t.Errorf("random text %q then %q", a, b)
		}
		v.text = false
		if got := tp.expand(nil, &v); len(got) != 32 {
			t.Errorf("random bytes: %d", len(got))
		}
	})
	t.Run("lines_round_robin", func(t *testing.T) {
		env := testEnv(dir)
		tp, err := compileTemplate("{{line lines.txt}}", env)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := 0; i < 4; i++ {
			got = append(got, tp.expandString(&tmplVars{}))
		}
		if strings.Join(got, ",") != "alpha,beta,gamma,alpha" {
			t.Errorf("lines: %v", got)
		}
		if env.usedFiles["lines.txt"] == "" {
			t.Error("the file is not recorded for agents")
		}
	})
}

func TestTemplateErrors(t *testing.T) {
	for _, src := range []string{"{{conn", "{{}}", "{{nope}}", "{{random}}", "{{random 0}}", "{{random x}}",
		"{{conn % 0}}", "{{conn + 1}}", "{{seq 1}}", "{{env UNSET}}", "{{line missing.txt}}", `{{"unterminated}}`} {
		if _, err := compileTemplate(src, testEnv(t.TempDir())); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
}

func FuzzCompileTemplate(f *testing.F) {
	for _, s := range []string{"a{{conn}}b", "{{conn % 3}}", "{{random 4}}", "{{now}}", `{{"x"}}`, "{{", "}}{{seq}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		env := testEnv(t.TempDir())
		tp, err := compileTemplate(src, env)
		if err != nil {
			return
		}
		if tp.uses(segRandom) {
			return // may be large
		}
		v := tmplVars{conn: 3, seq: 9, now: time.Unix(1, 0), rng: rand.NewPCG(1, 1)}
		_ = tp.expand(nil, &v)
		if !strings.Contains(src, "{{") && tp.expandString(&v) != src {
			t.Fatalf("literal %q expanded to %q", src, tp.expandString(&v))
		}
	})
}
