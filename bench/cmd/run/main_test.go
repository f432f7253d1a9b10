package main

import (
	"strings"
	"testing"
)

// TestRunRejectsBadArguments checks the arguments refused before anything
// is built or run.
func TestRunRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"negative_rounds", []string{"-rounds", "-1"}, "-rounds -1"},
		{"rounds_not_a_number", []string{"-rounds", "x"}, "invalid value"},
		{"unknown_generator", []string{"-generators", "wsbench,other"}, `unknown generator "other"`},
		{"compare_one_file", []string{"-compare", "a.json"}, "-compare needs two"},
		{"pool_no_file", []string{"-pool"}, "-pool needs one or more"},
		{"pool_missing_file", []string{"-pool", "/nonexistent/results.json"}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%q) = %v, want an error with %q", tc.args, err, tc.want)
			}
		})
	}
}
