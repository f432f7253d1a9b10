package main

import (
	"strconv"
	"strings"
)

// countCPUList counts the CPUs of a Linux CPU list ("0-3,8,10-11\n"), as in
// /sys/devices/system/cpu/online; ok is false when s is malformed.
func countCPUList(s string) (n int, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, false
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, false
			}
		}
		n += b - a + 1
	}
	return n, true
}
