package stats

import "errors"

var (
	// ErrLineTooLong is returned by Parse for a line longer than MaxLine:
	// no writer of this package produces one, so the file is not ours.
	ErrLineTooLong = errors.New("stats: snapshot line too long")
	// ErrBadLine is returned (wrapped with the line number) by Parse for a
	// line that is not a snapshot object.
	ErrBadLine = errors.New("stats: malformed snapshot line")
	// ErrTimeout is returned by Wait when no new snapshot appeared in time.
	ErrTimeout = errors.New("stats: no new snapshot in time")
)
