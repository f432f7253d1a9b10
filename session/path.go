package session

import "strings"

// internPath returns a pointer to a copy of p that the route's sessions
// share for as long as they come with the same path, as nearly all of a
// route's sessions do. An idle session then holds 8 bytes for its path, not
// a 16-byte string header and, behind it, the handshake's string block
// (path, query, host and origin in one allocation). A route serving many
// paths ("/" catching all) makes a copy per change of path: still less than
// the block it releases.
func (rt *route) internPath(p string) *string {
	if q := rt.path.Load(); q != nil && *q == p {
		return q
	}
	q := new(string)
	*q = strings.Clone(p)
	rt.path.Store(q)
	return q
}

// pathString returns the session's request path, "" if it has none.
func (s *Session) pathString() string {
	if s.path == nil {
		return ""
	}
	return *s.path
}
