//go:build purego

package frame

// puregoBuild is true with the purego tag, which leaves the vector
// validator out.
const puregoBuild = true
