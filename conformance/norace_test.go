//go:build !race

package conformance_test

// raceEnabled shrinks the section 9 and 12 cases under the race detector.
const raceEnabled = false
