package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A scenario file (YAML) describes how to connect and what every connection
// does; docs/wsbench.md has the full reference. It is read with
// go.yaml.in/yaml/v3 into its node tree and walked by hand, so that every
// error names the line and the field it is about ("chat.yaml:12: script[2].expect.timeout:
// ..."), unknown fields are errors rather than silently ignored, and YAML
// aliases, which could expand a small file into a huge tree, are refused.

// maxScenarioFile bounds the size of a scenario file.
const maxScenarioFile = 4 << 20

// maxLoopDepth bounds nested loops in a script.
const maxLoopDepth = 8

// Default values of a scenario's fields.
const (
	defaultExpectTimeout = 5 * time.Second
	defaultScenarioConns = 1
)

// scenario is a parsed, validated scenario file.
type scenario struct {
	file string // for messages
	Name string

	URL          *tmpl
	Headers      []header
	Subprotocols []string
	Compression  bool
	CAFile       string // as written in the file
	CAPEM        []byte
	Insecure     bool
	Timeout      time.Duration // handshake
	MaxMessage   int64

	Connections int
	ConnectRate float64
	Duration    time.Duration // bound of the whole run (0: until every script ends, or the stages' sum)
	Stages      []stage
	Thresholds  []threshold

	Script []step
	Fanout *fanoutSpec

	env *templateEnv
}

// header is one request header of the opening handshake.
type header struct {
	Name  string
	Value *tmpl
}

// stage is one step of a load shape: ramp the running connections to Target
// over Duration, start Rate new connections per second (each runs the script
// once), or open Storm connections at once and hold them.
type stage struct {
	Name     string
	Duration time.Duration
	Target   int     // ramping connections (k6 ramping-vus); -1 when unset
	Rate     float64 // arrivals per second (k6 constant-arrival-rate); 0 when unset
	Storm    int     // connections opened at once at the stage's start
	Ramp     bool    // Rate ramps from the previous rate stage's rate
	line     int
}

// stepKind is the kind of one script step.
type stepKind uint8

const (
	stepSend stepKind = iota + 1
	stepExpect
	stepThink
	stepLoop
	stepClose
)

// step is one instruction of a connection's script.
type step struct {
	kind stepKind
	line int
	path string // "script[2].loop.steps[0]", for messages

	// send
	name   string // a send's name, which an expect's "from" refers to
	binary bool
	body   *tmpl

	// expect
	contains *tmpl
	regex    *regexp.Regexp
	jsonPath []string
	jsonEq   *tmpl // nil: the field must exist
	timeout  time.Duration
	metric   string
	from     string // send name; "" = the last send

	// think
	min, max time.Duration

	// loop
	count int64         // 0: until the run ends
	dur   time.Duration // 0: no time bound
	steps []step

	// close
	code   uint16
	reason string
}

// loadScenario reads and parses a scenario file.
func loadScenario(path string) (*scenario, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxScenarioFile {
		return nil, &scenarioError{File: path, Msg: fmt.Sprintf("larger than %d MiB", maxScenarioFile>>20)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseScenario(path, b, newTemplateEnv(filepath.Dir(path)))
}

// sparser walks one scenario document.
type sparser struct {
	file string
	env  *templateEnv
}

func (p *sparser) errf(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &scenarioError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// parseScenario parses the YAML (or JSON, a subset) text of a scenario.
func parseScenario(file string, data []byte, env *templateEnv) (*scenario, error) {
	if len(data) > maxScenarioFile {
		return nil, &scenarioError{File: file, Msg: "file too large"}
	}
	p := &sparser{file: file, env: env}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, &scenarioError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) != 1 {
		return nil, p.errf(&doc, "", "empty document")
	}
	root := doc.Content[0]
	sc := &scenario{file: file, env: env, Connections: -1, Timeout: 10 * time.Second, MaxMessage: 16 << 20}
	var scriptNode, fanNode *yaml.Node
	err := p.mapping(root, "", func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "name":
			sc.Name, err = p.str(v, key)
		case "url":
			sc.URL, err = p.template(v, key)
		case "headers":
			err = p.mapping(v, key, func(name string, _, hv *yaml.Node) error {
				t, err := p.template(hv, key+"."+name)
				sc.Headers = append(sc.Headers, header{Name: name, Value: t})
				return err
			})
		case "subprotocols":
			sc.Subprotocols, err = p.strings(v, key)
		case "compression":
			sc.Compression, err = p.boolean(v, key)
		case "tls":
			err = p.mapping(v, key, func(tk string, _, tv *yaml.Node) error {
				switch tk {
				case "ca_file":
					s, err := p.str(tv, "tls.ca_file")
					if err != nil || s == "" {
						return err
					}
					pem, err := env.readFile(s)
					if err != nil {
						return p.errf(tv, "tls.ca_file", "%v", err)
					}
					sc.CAFile, sc.CAPEM = s, []byte(pem)
					return nil
				case "insecure":
					b, err := p.boolean(tv, "tls.insecure")
					sc.Insecure = b
					return err
				}
				return p.errf(tv, "tls."+tk, "unknown field (ca_file, insecure)")
			})
		case "handshake_timeout":
			sc.Timeout, err = p.duration(v, key, false)
		case "max_message":
			var n int64
			n, err = p.integer(v, key, 1, 1<<30)
			sc.MaxMessage = n
		case "connections":
			var n int64
			n, err = p.integer(v, key, 1, 10_000_000)
			sc.Connections = int(n)
		case "connect_rate":
			sc.ConnectRate, err = p.float(v, key, 0, math.MaxFloat64)
		case "duration":
			sc.Duration, err = p.duration(v, key, true)
		case "stages":
			sc.Stages, err = p.stages(v)
		case "thresholds":
			var ss []string
			ss, err = p.strings(v, key)
			for i, s := range ss {
				th, terr := parseThreshold(s)
				if terr != nil {
					at := v
					if v.Kind == yaml.SequenceNode {
						at = v.Content[i]
					}
					return p.errf(at, fmt.Sprintf("thresholds[%d]", i), "%v", terr)
				}
				th.origin = "file"
				sc.Thresholds = append(sc.Thresholds, th)
			}
		case "script":
			scriptNode = v
		case "fanout":
			fanNode = v
		default:
			return p.errf(k, key, "unknown field (name, url, headers, subprotocols, compression, tls, handshake_timeout, max_message, connections, connect_rate, duration, stages, thresholds, script, fanout)")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if sc.URL == nil {
		return nil, p.errf(root, "url", "required")
	}
	if u := sc.URL.expandString(&tmplVars{text: true, rng: rand.NewPCG(1, 1)}); !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
		return nil, p.errf(root, "url", "must start with ws:// or wss://")
	}
	if scriptNode != nil {
		sc.Script, err = p.steps(scriptNode, "script", 0)
		if err != nil {
			return nil, err
		}
	}
	if fanNode != nil {
		sc.Fanout, err = p.fanout(fanNode)
		if err != nil {
			return nil, err
		}
	}
	if err := p.checkScenario(sc, root); err != nil {
		return nil, err
	}
	return sc, nil
}

// checkScenario validates the combination of fields.
func (p *sparser) checkScenario(sc *scenario, root *yaml.Node) error {
	switch {
	case sc.Fanout != nil && sc.Script != nil:
		return p.errf(root, "fanout", "a scenario has either a script or a fanout, not both")
	case sc.Fanout == nil && sc.Script == nil:
		return p.errf(root, "script", "required (or fanout)")
	case sc.Fanout != nil && (len(sc.Stages) > 0 || sc.Connections > 0):
		return p.errf(root, "fanout", "fanout sets its own connections (subscribers, publishers); remove connections and stages")
	case len(sc.Stages) > 0 && sc.Connections > 0:
		return p.errf(root, "stages", "give either connections or stages, not both")
	}
	if sc.Connections < 0 {
		sc.Connections = defaultScenarioConns
		if len(sc.Stages) > 0 || sc.Fanout != nil {
			sc.Connections = 0
		}
	}
	// An expect's "from" must name a send of the script.
	names := map[string]bool{}
	var walk func([]step)
	walk = func(ss []step) {
		for i := range ss {
			if ss[i].kind == stepSend && ss[i].name != "" {
				names[ss[i].name] = true
			}
			walk(ss[i].steps)
		}
	}
	walk(sc.Script)
	var bad *step
	var check func([]step)
	check = func(ss []step) {
		for i := range ss {
			if ss[i].kind == stepExpect && ss[i].from != "" && !names[ss[i].from] && bad == nil {
				bad = &ss[i]
			}
			check(ss[i].steps)
		}
	}
	check(sc.Script)
	if bad != nil {
		return &scenarioError{File: p.file, Line: bad.line, Field: bad.path + ".from", Msg: fmt.Sprintf("no send is named %q", bad.from)}
	}
	// A loop without count or duration runs until the run ends: something
	// must end it.
	if sc.Duration == 0 && len(sc.Stages) == 0 {
		var open *step
		var find func([]step)
		find = func(ss []step) {
			for i := range ss {
				if ss[i].kind == stepLoop && ss[i].count == 0 && ss[i].dur == 0 && open == nil {
					open = &ss[i]
				}
				find(ss[i].steps)
			}
		}
		find(sc.Script)
		if open != nil {
			return &scenarioError{File: p.file, Line: open.line, Field: open.path, Msg: "a loop without count or duration needs the scenario's duration or stages"}
		}
	}
	return nil
}

// mapping calls f for each key of a mapping node, in order.
func (p *sparser) mapping(n *yaml.Node, field string, f func(key string, k, v *yaml.Node) error) error {
	if n.Kind == yaml.AliasNode {
		return p.errf(n, field, "YAML aliases are not supported")
	}
	if n.Kind != yaml.MappingNode {
		return p.errf(n, field, "must be a mapping (key: value)")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return p.errf(k, field, "keys must be plain strings")
		}
		if v.Kind == yaml.AliasNode {
			return p.errf(v, join(field, k.Value), "YAML aliases are not supported")
		}
		if seen[k.Value] {
			return p.errf(k, join(field, k.Value), "given twice")
		}
		seen[k.Value] = true
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func (p *sparser) scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errf(n, field, "must be a single value")
	}
	return n.Value, nil
}

func (p *sparser) str(n *yaml.Node, field string) (string, error) { return p.scalar(n, field) }

func (p *sparser) template(n *yaml.Node, field string) (*tmpl, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return nil, err
	}
	t, err := compileTemplate(s, p.env)
	if err != nil {
		return nil, p.errf(n, field, "%v", err)
	}
	return t, nil
}

func (p *sparser) strings(n *yaml.Node, field string) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, field, "must be a list")
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		s, err := p.scalar(c, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *sparser) boolean(n *yaml.Node, field string) (bool, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, p.errf(n, field, "%q is not true or false", s)
}

func (p *sparser) integer(n *yaml.Node, field string, lo, hi int64) (int64, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, p.errf(n, field, "%q is not a whole number in %d..%d", s, lo, hi)
	}
	return v, nil
}

func (p *sparser) float(n *yaml.Node, field string, lo, hi float64) (float64, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(v) || v < lo || v > hi {
		return 0, p.errf(n, field, "%q is not a number of at least %g", s, lo)
	}
	return v, nil
}

// duration parses "1.5s", "200ms", "1m" (Go durations); zero is allowed
// only if zeroOK.
func (p *sparser) duration(n *yaml.Node, field string, zeroOK bool) (time.Duration, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		return 0, p.errf(n, field, "%q is not a positive duration (like 500ms, 2s, 1m)", s)
	}
	return d, nil
}

// stages parses the load shape.
func (p *sparser) stages(n *yaml.Node) ([]stage, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, p.errf(n, "stages", "must be a non-empty list")
	}
	var out []stage
	for i, c := range n.Content {
		field := fmt.Sprintf("stages[%d]", i)
		st := stage{Target: -1, line: c.Line}
		err := p.mapping(c, field, func(key string, k, v *yaml.Node) error {
			var err error
			switch key {
			case "name":
				st.Name, err = p.str(v, field+".name")
			case "duration":
				st.Duration, err = p.duration(v, field+".duration", false)
			case "target":
				var t int64
				t, err = p.integer(v, field+".target", 0, 10_000_000)
				st.Target = int(t)
			case "rate":
				st.Rate, err = p.float(v, field+".rate", 0, 1e7)
			case "storm":
				var t int64
				t, err = p.integer(v, field+".storm", 1, 10_000_000)
				st.Storm = int(t)
			case "ramp":
				st.Ramp, err = p.boolean(v, field+".ramp")
			default:
				err = p.errf(k, field+"."+key, "unknown field (name, duration, target, rate, ramp, storm)")
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		kinds := 0
		if st.Target >= 0 {
			kinds++
		}
		if st.Rate > 0 {
			kinds++
		}
		if st.Storm > 0 {
			kinds++
		}
		if kinds != 1 {
			return nil, p.errf(c, field, "needs exactly one of target (connections), rate (new connections per second) or storm (connections at once)")
		}
		if st.Duration == 0 {
			return nil, p.errf(c, field+".duration", "required")
		}
		if st.Ramp && st.Rate == 0 {
			return nil, p.errf(c, field+".ramp", "ramps a rate stage only (target stages always ramp)")
		}
		if st.Name == "" {
			st.Name = fmt.Sprintf("stage %d", i+1)
		}
		out = append(out, st)
	}
	return out, nil
}

// steps parses a list of script steps.
func (p *sparser) steps(n *yaml.Node, field string, depth int) ([]step, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, field, "must be a list of steps")
	}
	if depth > maxLoopDepth {
		return nil, p.errf(n, field, "loops nested deeper than %d", maxLoopDepth)
	}
	out := make([]step, 0, len(n.Content))
	for i, c := range n.Content {
		st, err := p.step(c, fmt.Sprintf("%s[%d]", field, i), depth)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// step parses one step: a mapping with exactly one of send, expect, think
// (or wait), loop, close.
func (p *sparser) step(n *yaml.Node, field string, depth int) (step, error) {
	st := step{line: n.Line, path: field}
	if n.Kind == yaml.ScalarNode && n.Value == "close" {
		st.kind, st.code = stepClose, 1000
		return st, nil
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return st, p.errf(n, field, "a step is one of send, expect, think, wait, loop, close")
	}
	k, v := n.Content[0], n.Content[1]
	if v.Kind == yaml.AliasNode {
		return st, p.errf(v, field, "YAML aliases are not supported")
	}
	field += "." + k.Value
	st.path = field
	switch k.Value {
	case "send":
		st.kind = stepSend
		return st, p.sendStep(&st, v, field)
	case "expect":
		st.kind = stepExpect
		return st, p.expectStep(&st, v, field)
	case "think", "wait":
		st.kind = stepThink
		if v.Kind == yaml.ScalarNode {
			d, err := p.duration(v, field, true)
			st.min, st.max = d, d
			return st, err
		}
		err := p.mapping(v, field, func(key string, kk, vv *yaml.Node) error {
			var err error
			switch key {
			case "min":
				st.min, err = p.duration(vv, field+".min", true)
			case "max":
				st.max, err = p.duration(vv, field+".max", true)
			default:
				err = p.errf(kk, field+"."+key, "unknown field (min, max)")
			}
			return err
		})
		if err == nil && st.max < st.min {
			err = p.errf(v, field, "max is less than min")
		}
		return st, err
	case "loop":
		st.kind = stepLoop
		var body *yaml.Node
		err := p.mapping(v, field, func(key string, kk, vv *yaml.Node) error {
			var err error
			switch key {
			case "count":
				st.count, err = p.integer(vv, field+".count", 1, math.MaxInt64)
			case "duration":
				st.dur, err = p.duration(vv, field+".duration", false)
			case "steps":
				body = vv
			default:
				err = p.errf(kk, field+"."+key, "unknown field (count, duration, steps)")
			}
			return err
		})
		if err != nil {
			return st, err
		}
		if body == nil {
			return st, p.errf(v, field+".steps", "required")
		}
		st.steps, err = p.steps(body, field+".steps", depth+1)
		if err == nil && len(st.steps) == 0 {
			err = p.errf(body, field+".steps", "empty")
		}
		return st, err
	case "close":
		st.kind, st.code = stepClose, 1000
		if v.Kind == yaml.ScalarNode {
			if v.Value == "" || v.Tag == "!!null" {
				return st, nil
			}
			c, err := p.integer(v, field, 1000, 4999)
			st.code = uint16(c)
			return st, err
		}
		err := p.mapping(v, field, func(key string, kk, vv *yaml.Node) error {
			switch key {
			case "code":
				c, err := p.integer(vv, field+".code", 1000, 4999)
				st.code = uint16(c)
				return err
			case "reason":
				s, err := p.str(vv, field+".reason")
				if err == nil && len(s) > 123 {
					err = p.errf(vv, field+".reason", "longer than 123 bytes (RFC 6455 §5.5)")
				}
				st.reason = s
				return err
			}
			return p.errf(kk, field+"."+key, "unknown field (code, reason)")
		})
		return st, err
	}
	return st, p.errf(k, field, "unknown step (send, expect, think, wait, loop, close)")
}

func (p *sparser) sendStep(st *step, v *yaml.Node, field string) error {
	if v.Kind == yaml.ScalarNode {
		t, err := p.template(v, field)
		st.body = t
		return err
	}
	err := p.mapping(v, field, func(key string, kk, vv *yaml.Node) error {
		var err error
		switch key {
		case "text", "binary":
			if st.body != nil {
				return p.errf(kk, field+"."+key, "give text or binary, not both")
			}
			st.binary = key == "binary"
			st.body, err = p.template(vv, field+"."+key)
		case "name":
			st.name, err = p.str(vv, field+".name")
		default:
			err = p.errf(kk, field+"."+key, "unknown field (text, binary, name)")
		}
		return err
	})
	if err == nil && st.body == nil {
		err = p.errf(v, field, "needs text or binary")
	}
	return err
}

func (p *sparser) expectStep(st *step, v *yaml.Node, field string) error {
	st.timeout = defaultExpectTimeout
	if v.Kind == yaml.ScalarNode {
		t, err := p.template(v, field)
		st.contains = t
		return err
	}
	matchers := 0
	err := p.mapping(v, field, func(key string, kk, vv *yaml.Node) error {
		var err error
		f := field + "." + key
		switch key {
		case "contains":
			matchers++
			st.contains, err = p.template(vv, f)
		case "regex":
			matchers++
			var s string
			if s, err = p.str(vv, f); err == nil {
				st.regex, err = regexp.Compile(s)
				if err != nil {
					err = p.errf(vv, f, "%v", err)
				}
			}
		case "json":
			matchers++
			err = p.mapping(vv, f, func(jk string, jkk, jv *yaml.Node) error {
				switch jk {
				case "path":
					s, err := p.str(jv, f+".path")
					if err == nil {
						st.jsonPath, err = parseJSONPath(s)
						if err != nil {
							err = p.errf(jv, f+".path", "%v", err)
						}
					}
					return err
				case "equals":
					t, err := p.template(jv, f+".equals")
					st.jsonEq = t
					return err
				}
				return p.errf(jkk, f+"."+jk, "unknown field (path, equals)")
			})
			if err == nil && st.jsonPath == nil {
				err = p.errf(vv, f+".path", "required")
			}
		case "timeout":
			st.timeout, err = p.duration(vv, f, false)
		case "metric":
			st.metric, err = p.str(vv, f)
			if err == nil && !validMetricName(st.metric) {
				err = p.errf(vv, f, "%q: a metric name is letters, digits and _ (not p50, p99, ... or a reserved name)", st.metric)
			}
		case "from":
			st.from, err = p.str(vv, f)
		default:
			err = p.errf(kk, f, "unknown field (contains, regex, json, timeout, metric, from)")
		}
		return err
	})
	if err == nil && matchers != 1 {
		err = p.errf(v, field, "needs exactly one of contains, regex or json")
	}
	return err
}

// fanout parses the fanout section (fanout.go).
func (p *sparser) fanout(n *yaml.Node) (*fanoutSpec, error) {
	fs := &fanoutSpec{Rate: 1, Rooms: 1}
	var subNode *yaml.Node
	err := p.mapping(n, "fanout", func(key string, k, v *yaml.Node) error {
		var err error
		f := "fanout." + key
		switch key {
		case "subscribers":
			var x int64
			x, err = p.integer(v, f, 1, 10_000_000)
			fs.Subscribers = int(x)
		case "publishers":
			var x int64
			x, err = p.integer(v, f, 1, 100_000)
			fs.Publishers = int(x)
		case "rooms":
			var x int64
			x, err = p.integer(v, f, 1, 1_000_000)
			fs.Rooms = int(x)
		case "rate":
			fs.Rate, err = p.float(v, f, 0.001, 1e6)
		case "messages":
			fs.Messages, err = p.integer(v, f, 1, 1<<40)
		case "subscribe_url":
			fs.SubscribeURL, err = p.template(v, f)
		case "publish_url":
			fs.PublishURL, err = p.template(v, f)
		case "subscribe":
			subNode = v
		case "publish":
			err = p.mapping(v, f, func(pk string, pkk, pv *yaml.Node) error {
				switch pk {
				case "text", "binary":
					t, err := p.template(pv, f+"."+pk)
					fs.Publish, fs.Binary = t, pk == "binary"
					return err
				}
				return p.errf(pkk, f+"."+pk, "unknown field (text, binary)")
			})
			if err == nil && fs.Publish == nil {
				err = p.errf(v, f, "needs text or binary")
			}
		case "settle":
			fs.Settle, err = p.duration(v, f, true)
		default:
			err = p.errf(k, f, "unknown field (subscribers, publishers, rooms, rate, messages, subscribe_url, publish_url, subscribe, publish, settle)")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if subNode != nil {
		fs.Subscribe, err = p.steps(subNode, "fanout.subscribe", 1)
		if err != nil {
			return nil, err
		}
		for _, s := range fs.Subscribe {
			if s.kind == stepLoop || s.kind == stepClose {
				return nil, &scenarioError{File: p.file, Line: s.line, Field: s.path, Msg: "subscribe steps are send, expect and think"}
			}
		}
	}
	switch {
	case fs.Subscribers == 0:
		return nil, p.errf(n, "fanout.subscribers", "required")
	case fs.Publishers == 0:
		return nil, p.errf(n, "fanout.publishers", "required")
	case fs.Publish == nil:
		return nil, p.errf(n, "fanout.publish", "required")
	case !fs.Publish.uses(segStamp):
		return nil, p.errf(n, "fanout.publish", "must contain {{stamp}}, which receivers use to match deliveries to publishes")
	}
	return fs, nil
}

// reservedMetrics are names a metric may not take: they are threshold
// fields.
var reservedMetrics = map[string]bool{"errors": true, "rate": true, "lost": true, "duplicated": true,
	"connections": true, "failed": true, "deliveries": true, "latency": true}

var metricRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func validMetricName(s string) bool {
	if !metricRE.MatchString(s) || reservedMetrics[s] {
		return false
	}
	_, isStat := statOf(s)
	return !isStat
}

// parseJSONPath splits "a.b.0.c" into its keys; a number indexes an array.
func parseJSONPath(s string) ([]string, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "$"), ".")
	if s == "" {
		return nil, errors.New("empty path")
	}
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%q has an empty key", s)
		}
	}
	return parts, nil
}
