package netpoll

// OpenBSD has no per-socket keep-alive timing: the sysctls
// net.inet.tcp.keepidle and keepintvl hold for every socket.
const (
	keepIdleOption     = -1
	keepIntervalOption = -1
)
