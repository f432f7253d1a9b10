//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package topic

// maxIOV is the frames of one delivery: without event loops there is no
// writev, and the session writes them one by one.
const maxIOV = maxBatch
