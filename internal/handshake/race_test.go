//go:build race

package handshake

// raceEnabled skips allocation gates: the race detector's instrumentation
// makes some values escape (crypto/rand's buffer) that do not otherwise.
const raceEnabled = true
