//go:build race

package frame

// raceBuild is true under the race detector, which slows the exhaustive
// tests tenfold.
const raceBuild = true
