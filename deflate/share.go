package deflate

import (
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/internal/push"
)

// Frames published to many sessions (package topic) are compressed once per
// agreement rather than once per session, where that gives the same bytes:
// when our direction keeps no context, EncodeMessage's output depends only
// on the Factory's settings and the window size, and it touches no state of
// the Extension.
func init() { push.ShareKey = shareKey }

// shareKey is push.ShareKey: the key of an Extension that keeps no context
// in our direction is the address of its Factory's compressor pool for its
// window size, which names exactly those settings and, being a pointer,
// costs no allocation to put in an interface.
func shareKey(e extension.Extension) any {
	x, ok := e.(*Extension)
	if !ok || !x.encNCT {
		return nil
	}
	return &x.f.enc[x.encBits-MinWindowBits]
}
