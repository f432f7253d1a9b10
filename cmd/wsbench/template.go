package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A message template is text with {{...}} placeholders, compiled once when the
// scenario is loaded and expanded into a reused buffer for every message, so
// a send costs an append per segment, not a template interpretation:
//
//	{{conn}}        the connection number (0, 1, ... over the whole run, every agent)
//	{{conn % K}}    the connection number modulo K (spread connections over K rooms)
//	{{seq}}         the connection's send sequence number (0, 1, ...); in an
//	                expect, the number of the last send
//	{{now}}         Unix time in milliseconds; {{now_us}} and {{now_ns}} in µs and ns
//	{{random N}}    N random bytes (binary sends) or N random letters and digits
//	                (text sends, URLs and headers)
//	{{line FILE}}   the next line of FILE (relative to the scenario file),
//	                round-robin over the connections of this process
//	{{env NAME}}    the environment variable NAME, read when the file is loaded;
//	                {{env NAME DEFAULT}} when it may be unset
//	{{stamp}}       fan-out: publisher, sequence and send time, found by the
//	                receivers anywhere in what they get (see fanout.go)
//
// "{{" that starts no placeholder is an error; write {{"{{"}} for a literal.

// maxTemplateFile bounds a {{line FILE}} file: it is held in memory.
const maxTemplateFile = 64 << 20

// maxRandom bounds {{random N}}.
const maxRandom = 16 << 20

// segKind is the kind of one compiled template segment.
type segKind uint8

const (
	segLit segKind = iota
	segConn
	segConnMod
	segSeq
	segNowMs
	segNowUs
	segNowNs
	segRandom
	segLine
	segStamp
)

// segment is one piece of a compiled template.
type segment struct {
	kind segKind
	lit  string // segLit
	n    int    // segConnMod: K; segRandom: N
	file *lineFile
}

// lineFile is the content of a {{line FILE}} file and its shared cursor.
type lineFile struct {
	lines []string
	next  atomic.Uint64
}

// tmpl is a compiled template. The zero value expands to nothing.
type tmpl struct {
	src  string
	segs []segment
	// static: no placeholder depends on the connection or time.
	static bool
}

// tmplVars are the values a template reads when it is expanded.
type tmplVars struct {
	conn  uint64
	seq   uint64
	now   time.Time
	text  bool      // {{random N}} makes letters, not bytes
	stamp []byte    // {{stamp}}
	rng   *rand.PCG // per connection; never shared between goroutines
}

// templateEnv resolves {{env NAME}} and {{line FILE}}; a field so tests can
// replace it.
type templateEnv struct {
	dir    string                      // scenario file's directory
	getenv func(string) (string, bool) // os.LookupEnv
	files  map[string]*lineFile        // loaded files, shared between templates
	// inline holds the files a controller sent; with it set (on an agent)
	// nothing is read from the local file system.
	inline map[string]string
	// usedEnv and usedFiles record what the scenario read, so a controller
	// can send it to its agents.
	usedEnv   map[string]string
	usedFiles map[string]string
}

func newTemplateEnv(dir string) *templateEnv {
	return &templateEnv{dir: dir, getenv: os.LookupEnv, files: map[string]*lineFile{}}
}

// compileTemplate parses src.
func compileTemplate(src string, env *templateEnv) (*tmpl, error) {
	t := &tmpl{src: src, static: true}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.lit(rest)
			break
		}
		t.lit(rest[:i])
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, fmt.Errorf("%w: %q: unclosed {{", errTemplate, src)
		}
		body := strings.TrimSpace(rest[:j])
		rest = rest[j+2:]
		seg, err := parsePlaceholder(body, env)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: {{%s}}: %v", errTemplate, src, body, err)
		}
		if seg.kind == segLit {
			t.lit(seg.lit)
			continue
		}
		t.static = false
		t.segs = append(t.segs, seg)
	}
	return t, nil
}

func (t *tmpl) lit(s string) {
	if s == "" {
		return
	}
	if n := len(t.segs); n > 0 && t.segs[n-1].kind == segLit {
		t.segs[n-1].lit += s
		return
	}
	t.segs = append(t.segs, segment{kind: segLit, lit: s})
}

// parsePlaceholder parses the inside of one {{...}}.
func parsePlaceholder(body string, env *templateEnv) (segment, error) {
	if strings.HasPrefix(body, `"`) {
		s, err := strconv.Unquote(body)
		if err != nil {
			return segment{}, fmt.Errorf("bad quoted literal")
		}
		return segment{kind: segLit, lit: s}, nil
	}
	f := strings.Fields(body)
	if len(f) == 0 {
		return segment{}, errors.New("empty placeholder")
	}
	arg := func() (string, error) {
		if len(f) != 2 {
			return "", fmt.Errorf("%s takes one argument", f[0])
		}
		return f[1], nil
	}
	num := func(s string, lo, hi int) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not a number in %d..%d", s, lo, hi)
		}
		return n, nil
	}
	switch f[0] {
	case "conn":
		switch {
		case len(f) == 1:
			return segment{kind: segConn}, nil
		case len(f) == 3 && f[1] == "%":
			k, err := num(f[2], 1, 1<<30)
			return segment{kind: segConnMod, n: k}, err
		}
		return segment{}, errors.New(`use {{conn}} or {{conn % K}}`)
	case "seq", "now", "now_us", "now_ns", "stamp":
		if len(f) != 1 {
			return segment{}, fmt.Errorf("%s takes no argument", f[0])
		}
		return segment{kind: map[string]segKind{"seq": segSeq, "now": segNowMs, "now_us": segNowUs, "now_ns": segNowNs, "stamp": segStamp}[f[0]]}, nil
	case "random":
		a, err := arg()
		if err != nil {
			return segment{}, err
		}
		n, err := num(a, 1, maxRandom)
		return segment{kind: segRandom, n: n}, err
	case "env":
		if len(f) != 2 && len(f) != 3 {
			return segment{}, errors.New("use {{env NAME}} or {{env NAME DEFAULT}}")
		}
		a := f[1]
		v, ok := env.getenv(a)
		if !ok && len(f) == 3 {
			v, ok = f[2], true
		}
		if ok {
			if env.usedEnv == nil {
				env.usedEnv = map[string]string{}
			}
			env.usedEnv[a] = v
		}
		if !ok {
			return segment{}, fmt.Errorf("environment variable %s is not set", a)
		}
		return segment{kind: segLit, lit: v}, nil
	case "line":
		a, err := arg()
		if err != nil {
			return segment{}, err
		}
		lf, err := env.lineFile(a)
		if err != nil {
			return segment{}, err
		}
		return segment{kind: segLine, file: lf}, nil
	}
	return segment{}, fmt.Errorf("unknown placeholder %q (conn, seq, now, now_us, now_ns, random, line, env, stamp)", f[0])
}

// lineFile loads name once (relative to the scenario's directory, or from
// the contents a controller sent).
func (e *templateEnv) lineFile(name string) (*lineFile, error) {
	if lf, ok := e.files[name]; ok {
		return lf, nil
	}
	data, err := e.readFile(name)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(data, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s has no lines", name)
	}
	lf := &lineFile{lines: lines}
	e.files[name] = lf
	return lf, nil
}

// readFile reads a file the scenario names (relative to its directory), or
// on an agent takes it from what the controller sent.
func (e *templateEnv) readFile(name string) (string, error) {
	if e.inline != nil {
		s, ok := e.inline[name]
		if !ok {
			return "", fmt.Errorf("%s was not sent by the controller", name)
		}
		return s, nil
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(e.dir, p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.Size() > maxTemplateFile {
		return "", fmt.Errorf("%s is larger than %d MiB", name, maxTemplateFile>>20)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	if e.usedFiles == nil {
		e.usedFiles = map[string]string{}
	}
	e.usedFiles[name] = string(b)
	return string(b), nil
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// expand appends the template's text for v to dst.
func (t *tmpl) expand(dst []byte, v *tmplVars) []byte {
	if t == nil {
		return dst
	}
	for i := range t.segs {
		s := &t.segs[i]
		switch s.kind {
		case segLit:
			dst = append(dst, s.lit...)
		case segConn:
			dst = strconv.AppendUint(dst, v.conn, 10)
		case segConnMod:
			dst = strconv.AppendUint(dst, v.conn%uint64(s.n), 10)
		case segSeq:
			dst = strconv.AppendUint(dst, v.seq, 10)
		case segNowMs:
			dst = strconv.AppendInt(dst, v.now.UnixMilli(), 10)
		case segNowUs:
			dst = strconv.AppendInt(dst, v.now.UnixMicro(), 10)
		case segNowNs:
			dst = strconv.AppendInt(dst, v.now.UnixNano(), 10)
		case segRandom:
			for k := 0; k < s.n; k++ {
				r := v.rng.Uint64()
				if v.text {
					dst = append(dst, alnum[r%uint64(len(alnum))])
				} else {
					dst = append(dst, byte(r))
				}
			}
		case segLine:
			k := s.file.next.Add(1) - 1
			dst = append(dst, s.file.lines[k%uint64(len(s.file.lines))]...)
		case segStamp:
			dst = append(dst, v.stamp...)
		}
	}
	return dst
}

// uses reports whether the template has a placeholder of kind k.
func (t *tmpl) uses(k segKind) bool {
	if t == nil {
		return false
	}
	for _, s := range t.segs {
		if s.kind == k {
			return true
		}
	}
	return false
}

// expandString is expand for one-off values (URLs, headers, expectations).
func (t *tmpl) expandString(v *tmplVars) string {
	if t == nil {
		return ""
	}
	if t.static {
		if len(t.segs) == 0 {
			return ""
		}
		return t.segs[0].lit
	}
	return string(t.expand(nil, v))
}
