package driver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// binaries are the paths of the built programs.
type binaries struct {
	echoserver string
	floorecho  string
	wsbench    string
	rawload    string
}

// build compiles bench/cmd/echoserver, bench/cmd/floorecho and
// bench/cmd/rawload (in the bench
// module) and cmd/wsbench (in the main module, the parent of benchDir) into
// binDir.
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
	return b, nil
}
