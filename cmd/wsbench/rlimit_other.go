//go:build !unix

package main

// openFilesLimit is unknown on this system.
func openFilesLimit() uint64 { return 0 }
