//go:build race

package deflate_test

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation gates cannot hold under it.
const raceEnabled = true
