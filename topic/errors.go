package topic

import (
	"fmt"

	"github.com/surgews/surge/session"
)

// Publish's refusals wrap session.ErrInvalidFrame: the message is one no
// session could send.
var (
	errOpcode = fmt.Errorf("%w: topic: a message is text or binary", session.ErrInvalidFrame)
	errUTF8   = fmt.Errorf("%w: topic: text message is not valid UTF-8", session.ErrInvalidFrame)
)
