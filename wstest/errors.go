package wstest

import "errors"

// wstest reports failures through testing.TB rather than returning errors, so its
// errors are unexported; they name the cause in the test's failure message.
var (
	// errBadPath: the path given to Dial or Conversation does not start
	// with "/" (RFC 6455 §3: the resource name is an absolute path).
	errBadPath = errors.New("path must start with /")
	// errNoListener: the server was started without a TCP listener (for
	// example only through ServeHTTP), so there is no address to dial.
	errNoListener = errors.New("server has no TCP listener to dial; use Client.Portable or start it with Start")
	// errTimeout: a read from incoming waited longer than its timeout.
	errTimeout = errors.New("no message in time")
	// errEnded: incoming was closed: the session ended.
	errEnded = errors.New("the session ended (incoming closed)")
)
