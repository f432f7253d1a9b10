//go:build !race

package conformance_test

// raceEnabled shrinks the section 9, 12 and 13 cases under the race detector.
const raceEnabled = false
