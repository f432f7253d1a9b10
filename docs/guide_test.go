package docs_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/doc"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The guide's rot check: every ```go block of guide.md must be a contiguous
// excerpt of code that this package compiles, so that a block edited in the
// guide but not in the code (or the other way round) fails the test command.
// A block matches when, after gofmt and whitespace normalization, its lines
// are a run of lines of either the body of an Example or Test function, or
// of consecutive whole top-level declarations (a handler type and its
// methods), of a docs/*_test.go file.

// guideFile is the guide, relative to this package's directory.
const guideFile = "guide.md"

// codeBlock is one fenced block of the guide.
type codeBlock struct {
	line int    // line of the opening fence, 1-based
	src  string // the block's text, fences excluded
}

// fenceTags are the info strings a fence of the guide may carry: Go is
// checked, shell commands and program output are not. Anything else (an
// untagged fence, "golang") is refused so that Go code cannot slip past the
// check under another tag.
var fenceTags = map[string]bool{"go": true, "sh": true, "text": true}

// fenced returns the fenced blocks of a Markdown document whose info string
// is want ("go" for ```go blocks).
func fenced(md, want string) ([]codeBlock, error) {
	var (
		blocks []codeBlock
		open   bool
		tag    string
		start  int
		body   []string
	)
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "```") {
			if open {
				body = append(body, line)
			}
			continue
		}
		if open {
			if trimmed != "```" {
				return nil, fmt.Errorf("line %d: fence %q inside the block opened at line %d", i+1, trimmed, start)
			}
			if tag == want {
				blocks = append(blocks, codeBlock{line: start, src: strings.Join(body, "\n")})
			}
			open, body = false, nil
			continue
		}
		tag = strings.TrimPrefix(trimmed, "```")
		if !fenceTags[tag] {
			return nil, fmt.Errorf("line %d: fence tag %q: use go, sh or text", i+1, tag)
		}
		open, start = true, i+1
	}
	if open {
		return nil, fmt.Errorf("block opened at line %d is not closed", start)
	}
	return blocks, nil
}

// normalize returns the non-blank lines of src with their leading and
// trailing white space removed and other runs of blanks made one space:
// indentation, blank lines and gofmt's alignment of comments (which depends
// on the lines around, so differs in an excerpt) are not part of what the
// check compares. Blanks inside string and rune literals are kept.
func normalize(src string) []string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, squeeze(l))
		}
	}
	return out
}

// squeeze replaces each run of blanks outside quotes by one space.
func squeeze(line string) string {
	var b strings.Builder
	var quote byte // the open literal's quote, 0 outside one
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' && i+1 < len(line) {
				b.WriteByte(c)
				i++
				c = line[i]
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '`' || c == '\'':
			quote = c
		case c == ' ' || c == '\t':
			if i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
				continue
			}
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

// gofmtBlock formats a block the way gofmt formats the code it is taken from.
// A block is a partial file: statements, or declarations.
func gofmtBlock(src string) ([]string, error) {
	b, err := format.Source([]byte(src))
	if err != nil {
		return nil, fmt.Errorf("not valid Go: %w", err)
	}
	return normalize(string(b)), nil
}

// compiled holds the code a block may be an excerpt of.
type compiled struct {
	// bodies are the normalized bodies of Example and Test functions.
	bodies []excerpt
	// decls are each file's top-level declarations (imports excluded),
	// normalized, in file order: a block may be a run of whole ones.
	decls [][]excerpt
}

// excerpt is normalized code with where it comes from.
type excerpt struct {
	name  string // file:function or file:line
	lines []string
	doc   int // how many of the first lines are the declaration's doc comment
}

// parseCompiled reads the Go source of files, gofmt'd, as a compiled.
func parseCompiled(files map[string][]byte) (*compiled, error) {
	c := &compiled{}
	for name, src := range files {
		src, err := format.Source(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		text := func(from, to token.Pos) string {
			return string(src[fset.Position(from).Offset:fset.Position(to).Offset])
		}
		var decls []excerpt
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
				continue
			}
			var comment *ast.CommentGroup
			if fd, ok := d.(*ast.FuncDecl); ok {
				comment = fd.Doc
				name := fd.Name.Name
				if fd.Recv == nil && fd.Body != nil && (strings.HasPrefix(name, "Example") || strings.HasPrefix(name, "Test")) {
					c.bodies = append(c.bodies, excerpt{
						name:  name,
						lines: normalize(text(fd.Body.Lbrace+1, fd.Body.Rbrace)),
					})
				}
			} else {
				comment = d.(*ast.GenDecl).Doc
			}
			e := excerpt{name: fmt.Sprintf("%s:%d", name, fset.Position(d.Pos()).Line)}
			if comment != nil {
				e.lines = normalize(text(comment.Pos(), comment.End()))
				e.doc = len(e.lines)
			}
			e.lines = append(e.lines, normalize(text(d.Pos(), d.End()))...)
			decls = append(decls, e)
		}
		c.decls = append(c.decls, decls)
	}
	return c, nil
}

// find returns where the normalized block lines come from, or "" when they
// are not an excerpt of compiled code.
func (c *compiled) find(block []string) string {
	if len(block) == 0 {
		return ""
	}
	for _, b := range c.bodies {
		if contains(b.lines, block) {
			return b.name
		}
	}
	for _, decls := range c.decls {
		for i := range decls {
			if declRun(decls[i:], block) {
				return decls[i].name
			}
		}
	}
	return ""
}

// contains reports whether sub is a contiguous run of lines.
func contains(lines, sub []string) bool {
	for i := 0; i+len(sub) <= len(lines); i++ {
		if equal(lines[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// declRun reports whether block is the concatenation of decls[0], decls[1],
// ... taken whole, each with or without its doc comment.
func declRun(decls []excerpt, block []string) bool {
	for _, d := range decls {
		if len(block) == 0 {
			return true
		}
		switch {
		case hasPrefix(block, d.lines):
			block = block[len(d.lines):]
		case hasPrefix(block, d.lines[d.doc:]):
			block = block[len(d.lines)-d.doc:]
		default:
			return false
		}
	}
	return len(block) == 0
}

func hasPrefix(lines, prefix []string) bool {
	return len(prefix) <= len(lines) && equal(lines[:len(prefix)], prefix)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nearest describes the first line of block that no compiled code has after
// the lines before it, to point at what was edited.
func (c *compiled) nearest(block []string) string {
	if len(block) == 0 {
		return "the block is empty"
	}
	best, where := 0, ""
	var all []excerpt
	all = append(all, c.bodies...)
	for _, d := range c.decls {
		all = append(all, d...)
	}
	for _, e := range all {
		for i := range e.lines {
			n := 0
			for n < len(block) && i+n < len(e.lines) && e.lines[i+n] == block[n] {
				n++
			}
			if n > best {
				best, where = n, e.name
			}
		}
	}
	if best == 0 {
		return fmt.Sprintf("its first line %q appears nowhere", block[0])
	}
	if best == len(block) {
		return "it spans several declarations that are not consecutive or not whole"
	}
	return fmt.Sprintf("%d lines match %s, then %q differs", best, where, block[best])
}

// packageTestFiles returns the docs/*_test.go files by name.
func packageTestFiles(t *testing.T) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	return files
}

// TestGuideCodeIsCompiled is the rot check of guide.md.
func TestGuideCodeIsCompiled(t *testing.T) {
	md, err := os.ReadFile(guideFile)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := fenced(string(md), "go")
	if err != nil {
		t.Fatalf("%s: %v", guideFile, err)
	}
	// The guide has a block per section; far fewer means the parser lost
	// them and the check would pass on nothing.
	if len(blocks) < 20 {
		t.Fatalf("%s: found %d go blocks, want at least 20", guideFile, len(blocks))
	}
	c, err := parseCompiled(packageTestFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		lines, err := gofmtBlock(b.src)
		if err != nil {
			t.Errorf("%s:%d: %v", guideFile, b.line, err)
			continue
		}
		if c.find(lines) == "" {
			t.Errorf("%s:%d: the block is not an excerpt of an Example or Test in docs/*_test.go: %s",
				guideFile, b.line, c.nearest(lines))
		}
	}
}

// matcherSource is compiled code for the matcher's own test.
const matcherSource = `package x_test

import "fmt"

// greeter greets.
type greeter struct{ name string }

// Greet prints a greeting.
func (g greeter) Greet() { fmt.Println("hello,", g.name) }

func Example_greet() {
	g := greeter{name: "ada"}

	g.Greet()
	if g.name != "" {
		fmt.Println("named")
	}
	// Output:
	// hello, ada
	// named
}

func Example_aligned() {
	short := 1       // one
	longerName := 22 // two
	fmt.Println(short, longerName, "a  b")
}

func helper() { fmt.Println("not an example") }
`

// TestBlockMatcher shows what the rot check accepts and refuses: whitespace
// is free, any edited token, comment or line order is not.
func TestBlockMatcher(t *testing.T) {
	c, err := parseCompiled(map[string][]byte{"x_test.go": []byte(matcherSource)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		block string
		found bool
	}{
		{"whole body", "g := greeter{name: \"ada\"}\ng.Greet()\nif g.name != \"\" {\n\tfmt.Println(\"named\")\n}", true},
		{"excerpt of a body", "g.Greet()\nif g.name != \"\" {\n\tfmt.Println(\"named\")\n}", true},
		{"indentation and blank lines differ", "\n\n    g := greeter{name:\"ada\"}\n\n\n        g.Greet()", true},
		{"type and method, whole", "// greeter greets.\ntype greeter struct{ name string }\n\n// Greet prints a greeting.\nfunc (g greeter) Greet() { fmt.Println(\"hello,\", g.name) }", true},
		{"type alone", "type greeter struct{ name string }", true},
		{"comment aligned otherwise", "short := 1 // one", true},
		{"excerpt with a string", "longerName := 22 // two\nfmt.Println(short, longerName, \"a  b\")", true},
		{"changed string", "g := greeter{name: \"bob\"}\ng.Greet()", false},
		{"blanks inside a string changed", "fmt.Println(short, longerName, \"a b\")", false},
		{"changed call", "g := greeter{name: \"ada\"}\ng.Greet2()", false},
		{"lines reordered", "g.Greet()\ng := greeter{name: \"ada\"}", false},
		{"line added", "g := greeter{name: \"ada\"}\ng.Greet()\ng.Greet()", false},
		{"comment changed", "// greeter says hi.\ntype greeter struct{ name string }", false},
		{"part of a declaration", "type greeter struct{ name string }\n\n// Greet prints a greeting.", false},
		{"body of a non-example function", "fmt.Println(\"not an example\")", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := gofmtBlock(tt.block)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.find(lines) != ""; got != tt.found {
				t.Errorf("find = %v, want %v (%s)", got, tt.found, c.nearest(lines))
			}
		})
	}
	// A block is valid Go on its own: an excerpt may not cut a statement.
	for _, bad := range []string{"g := (", "g.Greet()\nif g.name != \"\" {"} {
		if _, err := gofmtBlock(bad); err == nil {
			t.Errorf("gofmtBlock(%q) accepted a block that is not Go", bad)
		}
	}
}

// TestGuideOutputIsExamples checks the program output the guide shows: each
// ```text block must be a run of lines of an Example's // Output: comment,
// which go test compares with what the example prints.
func TestGuideOutputIsExamples(t *testing.T) {
	md, err := os.ReadFile(guideFile)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := fenced(string(md), "text")
	if err != nil {
		t.Fatalf("%s: %v", guideFile, err)
	}
	if len(blocks) == 0 {
		t.Fatalf("%s: no text blocks found", guideFile)
	}
	outputs := exampleOutputs(t, packageTestFiles(t))
	for _, b := range blocks {
		want := normalize(b.src)
		found := false
		for _, out := range outputs {
			if contains(out, want) {
				found = true
				break
			}
		}
		if !found || len(want) == 0 {
			t.Errorf("%s:%d: the output block is not part of any Example's // Output: comment", guideFile, b.line)
		}
	}
}

// exampleOutputs returns the normalized expected output of each Example in
// files.
func exampleOutputs(t *testing.T, files map[string][]byte) [][]string {
	t.Helper()
	fset := token.NewFileSet()
	var parsed []*ast.File
	for name, src := range files {
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	var outs [][]string
	for _, ex := range doc.Examples(parsed...) {
		if ex.Output != "" {
			outs = append(outs, normalize(ex.Output))
		}
	}
	if len(outs) == 0 {
		t.Fatal("no Example with an // Output: comment found")
	}
	return outs
}

// TestGoBlocks checks the Markdown side: which fences are taken, with their
// line numbers, and which are refused.
func TestGoBlocks(t *testing.T) {
	md := "# t\n```go\na := 1\n```\ntext\n```sh\ngo test\n```\n```go\nb := 2\nc := 3\n```\n"
	got, err := fenced(md, "go")
	if err != nil {
		t.Fatal(err)
	}
	want := []codeBlock{{line: 2, src: "a := 1"}, {line: 9, src: "b := 2\nc := 3"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fenced = %v, want %v", got, want)
	}
	for _, bad := range []string{"```\nx\n```\n", "```golang\nx\n```\n", "```go\nx\n"} {
		if _, err := fenced(bad, "go"); err == nil {
			t.Errorf("fenced(%q) accepted it", bad)
		}
	}
	// The guide itself parses, and its blocks are the ones the check sees.
	guide, err := os.ReadFile(guideFile)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := fenced(string(guide), "go")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(guide, []byte("```go\n")); n != len(blocks) {
		t.Errorf("guide has %d ```go fences, fenced found %d", n, len(blocks))
	}
}

// TestGuideLinks checks the guide's links: each #anchor names a heading of
// the guide (as GitHub makes anchors) and each relative link a file that
// exists.
func TestGuideLinks(t *testing.T) {
	md, err := os.ReadFile(guideFile)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	var prose strings.Builder // the guide without its code blocks
	inFence := false
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		prose.WriteString(line + "\n")
		if h, ok := strings.CutPrefix(line, "#"); ok {
			anchors[slug(strings.TrimLeft(h, "#"))] = true
		}
	}
	links := regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(prose.String(), -1)
	if len(links) < 10 {
		t.Fatalf("found %d links, want at least 10", len(links))
	}
	for _, m := range links {
		target := m[1]
		switch {
		case strings.HasPrefix(target, "#"):
			if !anchors[target[1:]] {
				t.Errorf("link %s: no such heading", target)
			}
		case strings.Contains(target, "://"):
		default:
			path, _, _ := strings.Cut(target, "#")
			if _, err := os.Stat(path); err != nil {
				t.Errorf("link %s: %v", target, err)
			}
		}
	}
}

// slug returns GitHub's anchor for a heading: lower case, punctuation
// dropped, spaces made hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlug(t *testing.T) {
	tests := []struct{ heading, want string }{
		{"The Session API", "the-session-api"},
		{" net/http", "nethttp"},
		{"Standard events: onConnect, onMessage, onClose and onError", "standard-events-onconnect-onmessage-onclose-and-onerror"},
		{"Fragments as they arrive", "fragments-as-they-arrive"},
	}
	for _, tt := range tests {
		if got := slug(tt.heading); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.heading, got, tt.want)
		}
	}
}

// TestGuideSections holds the guide to its outline: each section of Ktor's
// WebSockets page, then the ones that page lacks (issue 15, item 13).
func TestGuideSections(t *testing.T) {
	md, err := os.ReadFile(guideFile)
	if err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, line := range strings.Split(string(md), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			headings = append(headings, h)
		} else if h, ok := strings.CutPrefix(line, "### "); ok {
			headings = append(headings, h)
		}
	}
	want := []string{
		// Ktor's page, in its order
		"Installing", "Configuring", "Usage", "Usage as an actor", "Usage as a channel",
		"The Session API", "Frames", "Testing",
		"Standard events: onConnect, onMessage, onClose and onError",
		// what it lacks
		"Event style for millions of sessions", "Backpressure", "Broadcast", "TLS", "net/http",
		"Serialization", "Subprotocols per route", "Request headers", "Pings and pongs",
		"Fragments as they arrive", "Text shortcuts", "The client",
	}
	if !slices.Equal(headings, want) {
		t.Errorf("sections:\n got %q\nwant %q", headings, want)
	}
}
