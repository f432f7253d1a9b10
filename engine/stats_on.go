//go:build !surge_nostats

package engine

// statsOn says whether the engine counts (Server.Stats, Dialer.Stats). It
// is a constant so that the surge_nostats build tag, which exists only to
// measure what counting costs (docs/operations.md), removes the counting
// code altogether.
const statsOn = true
