package driver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// lookCC finds the C compiler that builds bench/floorc (floor-c). The
// repository assumes no C compiler, so the harness runs floor-c only where
// one is on PATH; tests replace lookCC to run as on either kind of machine.
var lookCC = exec.LookPath

// binaries are the paths of the built programs.
type binaries struct {
	echoserver string
	floorecho  string
	wsbench    string
	rawload    string
	// floorc is bench/floorc/floorc.c built with cc; "" when the machine
	// has no C compiler.
	floorc string
}

// build compiles bench/cmd/echoserver, bench/cmd/floorecho and
// bench/cmd/rawload (in the bench
// module) and cmd/wsbench (in the main module, the parent of benchDir) into
// binDir, and bench/floorc/floorc.c with `cc -O2` when lookCC finds cc. A
// failed build, cc's included, is an error.
func build(benchDir, binDir string) (binaries, error) {
	b := binaries{
		echoserver: filepath.Join(binDir, "echoserver"),
		floorecho:  filepath.Join(binDir, "floorecho"),
		wsbench:    filepath.Join(binDir, "wsbench"),
		rawload:    filepath.Join(binDir, "rawload"),
	}
	for _, s := range []struct{ dir, pkg, out string }{
		{benchDir, "./cmd/echoserver", b.echoserver},
		{benchDir, "./cmd/floorecho", b.floorecho},
		{benchDir, "./cmd/rawload", b.rawload},
		{filepath.Join(benchDir, ".."), "./cmd/wsbench", b.wsbench},
	} {
		cmd := exec.Command("go", "build", "-o", s.out, s.pkg)
		cmd.Dir = s.dir
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("driver: go build %s in %s: %w", s.pkg, s.dir, err)
		}
	}
	cc, err := lookCC("cc")
	if err != nil {
		return b, nil // no floor-c; Options.libs has said so
	}
	out := filepath.Join(binDir, "floorc")
	cmd := exec.Command(cc, "-O2", "-o", out, filepath.Join("floorc", "floorc.c"))
	cmd.Dir = benchDir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return b, fmt.Errorf("driver: %s -O2 floorc/floorc.c in %s: %w", cc, benchDir, err)
	}
	b.floorc = out
	return b, nil
}
