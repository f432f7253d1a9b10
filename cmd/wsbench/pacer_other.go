//go:build !linux

package main

import "time"

func newPacer(stop <-chan struct{}, _ time.Duration) sleeper { return newTimerPacer(stop) }
