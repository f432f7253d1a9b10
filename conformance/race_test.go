//go:build race

package conformance_test

// raceEnabled shrinks the section 9, 12 and 13 cases: the race detector makes
// the echo of tens of megabytes, and DEFLATE, many times slower.
const raceEnabled = true
