//go:build race

package engine_test

// raceEnabled is set when the race detector inflates memory and time, so
// byte-count and latency assertions are skipped.
const raceEnabled = true
