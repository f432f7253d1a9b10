package driver

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// maskBench runs the masking micro-benchmarks of bench/mask_test.go (pinned
// to the server's core when cpu is set) and returns go test's output.
func maskBench(ctx context.Context, benchDir, cpu string, quick bool) string {
	bt := "200ms"
	if quick {
		bt = "20ms"
	}
	args := []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkMask", "-benchtime", bt, "-count", "1", "."}
	if cpu != "" {
		args = append([]string{"taskset", "-c", cpu}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = benchDir
	cmd.Env = append(cmd.Environ(), "GOMAXPROCS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s\nmask benchmarks failed: %v", out, err)
	}
	return string(out)
}

// benchLine is one parsed line of go test -bench output.
type benchLine struct {
	name    string // without the Benchmark prefix and -N suffix
	nsOp    float64
	mbS     float64
	allocs  float64
	hasMBs  bool
	hasAllo bool
}

// parseBench reads the Benchmark lines of go test output; other lines are
// ignored, and a malformed Benchmark line is skipped rather than guessed at.
func parseBench(out string) []benchLine {
	var res []benchLine
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := benchLine{name: strings.TrimPrefix(f[0], "Benchmark")}
		if i := strings.LastIndexByte(b.name, '-'); i > 0 {
			if _, err := strconv.Atoi(b.name[i+1:]); err == nil {
				b.name = b.name[:i]
			}
		}
		ok := false
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "ns/op":
				b.nsOp, ok = v, true
			case "MB/s":
				b.mbS, b.hasMBs = v, true
			case "allocs/op":
				b.allocs, b.hasAllo = v, true
			}
		}
		if ok {
			res = append(res, b)
		}
	}
	return res
}
