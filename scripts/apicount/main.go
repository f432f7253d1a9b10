// Command apicount counts the exported identifiers of surge's public library
// packages (funcs, methods on exported types, types, consts and vars; struct
// fields and interface methods are not counted) and prints the count per
// package. It fails when a budget is exceeded: the API surface is a bar of
// its own (issue "One seam per audience").
//
//	go run ./scripts/apicount [-v] [root]
//
// Files of every build configuration count (an identifier defined in
// epoll_linux.go and kqueue_bsd.go counts once); test files, internal/,
// cmd/, examples/ and the modules with their own go.mod do not.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Budgets: the application packages together, and all public packages.
const (
	appBudget = 90
	allBudget = 240
)

// appPackages are the packages an application touches.
var appPackages = map[string]bool{"engine": true, "session": true, "wstest": true}

func main() {
	verbose := flag.Bool("v", false, "list every counted identifier")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	counts, names, err := count(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicount:", err)
		os.Exit(2)
	}
	pkgs := make([]string, 0, len(counts))
	for p := range counts {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	app, all := 0, 0
	for _, p := range pkgs {
		fmt.Printf("%-12s %4d\n", p, counts[p])
		if *verbose {
			for _, n := range names[p] {
				fmt.Printf("    %s\n", n)
			}
		}
		all += counts[p]
		if appPackages[p] {
			app += counts[p]
		}
	}
	fmt.Printf("%-12s %4d (budget %d)\n", "engine+session+wstest", app, appBudget)
	fmt.Printf("%-12s %4d (budget %d)\n", "all", all, allBudget)
	if app > appBudget || all > allBudget {
		fmt.Fprintln(os.Stderr, "apicount: exported API over budget")
		os.Exit(1)
	}
}

// count parses every public library package under root and returns the
// number of exported identifiers per package, and their sorted names.
func count(root string) (map[string]int, map[string][]string, error) {
	seen := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			if rel != "." && skipDir(rel, path) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		pkg, _ := filepath.Rel(root, filepath.Dir(path))
		if seen[pkg] == nil {
			seen[pkg] = map[string]bool{}
		}
		for _, n := range exported(f) {
			seen[pkg][n] = true
		}
		return nil
	})
	counts := map[string]int{}
	names := map[string][]string{}
	for p, set := range seen {
		if len(set) == 0 {
			continue
		}
		counts[p] = len(set)
		for n := range set {
			names[p] = append(names[p], n)
		}
		sort.Strings(names[p])
	}
	return counts, names, err
}

// skipDir reports whether a directory holds no public library package.
func skipDir(rel, path string) bool {
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules":
		return true
	case rel == "internal" || strings.HasPrefix(rel, "internal"+string(filepath.Separator)):
		return true
	case rel == "cmd" || rel == "examples" || rel == "scripts":
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil // another module
}

// exported lists the exported top-level names of f: "Name" for funcs,
// types, consts and vars, "Type.Method" for methods on exported types.
func exported(f *ast.File) []string {
	var out []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				out = append(out, d.Name.Name)
				continue
			}
			if recv := recvName(d.Recv.List[0].Type); ast.IsExported(recv) {
				out = append(out, recv+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						out = append(out, s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// recvName returns the type name of a method receiver.
func recvName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}
