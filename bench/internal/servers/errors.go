package servers

import "errors"

// ErrUnknownLib is returned by Start for a library name not in Names.
var ErrUnknownLib = errors.New("servers: unknown library")
