//go:build !purego

package frame

const puregoBuild = false
