//go:build !race

package reliability_test

// raceEnabled is set when the race detector slows the server several
// times over, so latency bars are widened (canaryLatency).
const raceEnabled = false
