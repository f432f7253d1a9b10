//go:build surge_nostats

package engine

// statsOn is false under the surge_nostats build tag: nothing is counted,
// and Stats reports zeros but for Conns. It exists to measure what counting
// costs, in one run beside a normal build.
const statsOn = false
