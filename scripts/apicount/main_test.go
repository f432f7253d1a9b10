package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCount counts a small tree laid out like the repository: what counts
// once, what does not count, and what is not a public library package.
func TestCount(t *testing.T) {
	root := t.TempDir()
	write := func(path, src string) {
		t.Helper()
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lib/a.go", `package lib
const Max, min = 1, 2
var ErrX, errY error
type T struct{ Field int }
type u struct{}
func New() *T { return nil }
func (*T) Do() {}
func (u) Exported() {}
func helper() {}
`)
	write("lib/poll_linux.go", "package lib\nfunc Poll() {}\n")
	write("lib/poll_bsd.go", "package lib\nfunc Poll() {}\n") // the same name on another OS
	write("lib/a_test.go", "package lib\nfunc TestOnly() {}\n")
	write("internal/x/x.go", "package x\nfunc Hidden() {}\n")
	write("cmd/tool/main.go", "package main\nfunc Main() {}\n")
	write("nested/go.mod", "module nested\n")
	write("nested/n.go", "package nested\nfunc Other() {}\n")

	counts, names, err := count(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ErrX", "Max", "New", "Poll", "T", "T.Do"}
	if got := names["lib"]; !slices.Equal(got, want) {
		t.Errorf("lib names %v, want %v", got, want)
	}
	if len(counts) != 1 || counts["lib"] != len(want) {
		t.Errorf("counts %v, want only lib: %d", counts, len(want))
	}
}
