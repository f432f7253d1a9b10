package engine

import "errors"

var (
	// ErrServerClosed is returned by ListenAndServe and Serve after Shutdown
	// or Close, and is the error sessions end with when Close drops them.
	ErrServerClosed = errors.New("engine: server closed")
	// ErrStarted is returned when a server that is already serving is asked
	// to listen again.
	ErrStarted = errors.New("engine: server already started")
	// ErrNoRoute is returned by Upgrade when no route matches the request.
	ErrNoRoute = errors.New("engine: no route for path")
)
