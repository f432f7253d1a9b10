// Package stats lets a driver read the Go runtime's own accounting of a
// server process it does not control: the process writes a Snapshot line to
// a file whenever it receives SIGUSR1 (SIGUSR2 first runs a garbage
// collection, for live-heap figures), and the driver reads the file back.
//
// Every echo server in this module is a Go program, so the same counters —
// heap objects allocated, heap and stack in use, goroutines — compare every
// library on equal terms, next to the RSS that wsbench samples from /proc.
package stats
