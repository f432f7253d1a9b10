//go:build race

package conformance_test

// raceEnabled shrinks the section 9 and 12 cases: the race detector makes
// the echo of tens of megabytes, and DEFLATE, many times slower.
const raceEnabled = true
