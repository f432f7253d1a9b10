package attack

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Sample is what /proc tells about a server process at one moment.
type Sample struct {
	RSS int64         // resident memory in bytes (VmRSS)
	FDs int           // open file descriptors
	CPU time.Duration // user plus system CPU time used so far
}

// userHZ is the unit of the CPU times in /proc/PID/stat. It is fixed at 100
// for user space on every Linux architecture Go supports (the kernel's
// USER_HZ), whatever the kernel's own tick rate.
const userHZ = 100

// Probe reads pid's resident memory, open descriptors and CPU time. It
// wraps ErrNoProc when /proc has no such process.
func Probe(pid int) (Sample, error) {
	var s Sample
	dir := fmt.Sprintf("/proc/%d", pid)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNoProc, err)
	}
	if s.RSS, err = vmRSS(status); err != nil {
		return s, err
	}
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNoProc, err)
	}
	s.FDs = len(fds)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNoProc, err)
	}
	if s.CPU, err = cpuTime(stat); err != nil {
		return s, err
	}
	return s, nil
}

// vmRSS parses the "VmRSS:   1234 kB" line of /proc/PID/status.
func vmRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseUint(f[0], 10, 53) // 2^63 bytes at most
		if err != nil {
			break
		}
		return int64(kb) << 10, nil
	}
	return 0, fmt.Errorf("%w: no VmRSS line in /proc/PID/status", ErrNoProc)
}

// cpuTime parses utime and stime (fields 14 and 15) of /proc/PID/stat. The
// command name in field 2 may hold spaces and parentheses, so fields are
// counted from its last closing parenthesis.
func cpuTime(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: malformed /proc/PID/stat", ErrNoProc)
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: short /proc/PID/stat", ErrNoProc)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 40) // 348 years of ticks: no overflow below
		if err != nil {
			return 0, fmt.Errorf("%w: /proc/PID/stat CPU time %q", ErrNoProc, s)
		}
		ticks += int64(n)
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// probe is Probe for a target, or a zero Sample when it has no PID or /proc
// cannot be read: the figures from /proc are extras beside what the
// clients see.
func (t Target) probe() Sample {
	if t.PID <= 0 {
		return Sample{}
	}
	s, _ := Probe(t.PID)
	return s
}
