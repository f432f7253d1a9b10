package driver

import "errors"

var (
	// ErrServerStart is returned when an echo server does not print its
	// address line in time or exits first.
	ErrServerStart = errors.New("driver: echo server did not start")
	// ErrWSBench is returned (wrapped with wsbench's stderr) when wsbench
	// fails without a result.
	ErrWSBench = errors.New("driver: wsbench failed")
	// ErrRawload is returned (wrapped with rawload's stderr) when
	// bench/cmd/rawload fails without a result.
	ErrRawload = errors.New("driver: rawload failed")
	// ErrNoCC is returned by Execute when Options.Libs names floor-c on a
	// machine without a C compiler (cc on PATH) to build bench/floorc, and
	// by the server start when floor-c was not built.
	ErrNoCC = errors.New("driver: floor-c needs a C compiler (cc on PATH)")
	// ErrNoRuns is returned by Render for a Run without results.
	ErrNoRuns = errors.New("driver: run holds no results")
)
