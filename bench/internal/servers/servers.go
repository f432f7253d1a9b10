package servers

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/surgews/surge/bench/internal/stats"
)

// Server is a running echo server.
type Server interface {
	// Addr is the address it listens on.
	Addr() net.Addr
	// Close stops listening and drops every connection it can reach.
	Close() error
}

// startFunc starts one library's echo server on addr ("host:port", port 0
// for any).
type startFunc func(addr string, c *stats.Counters) (Server, error)

// libs maps each library name to its server, in report order: surge first,
// then the peers alphabetically.
var libs = []struct {
	name  string
	start startFunc
}{
	{"surge-inline", startSurgeInline},
	{"surge-pool", startSurgePool},
	{"surge-goroutine", startSurgeGoroutine},
	{"coder", startCoder},
	{"gobwas", startGobwas},
	{"gorilla", startGorilla},
	{"gws", startGWS},
	{"nbio", startNbio},
}

// Names returns the library names Start accepts, in report order.
func Names() []string {
	out := make([]string, len(libs))
	for i, l := range libs {
		out[i] = l.name
	}
	return out
}

// IsSurge reports whether lib is one of surge's dispatch policies.
func IsSurge(lib string) bool {
	return slices.Contains([]string{"surge-inline", "surge-pool", "surge-goroutine"}, lib)
}

// Start starts the echo server of lib on addr; every path upgrades.
func Start(lib, addr string, c *stats.Counters) (Server, error) {
	for _, l := range libs {
		if l.name == lib {
			return l.start(addr, c)
		}
	}
	return nil, fmt.Errorf("%w: %q (have %v)", ErrUnknownLib, lib, Names())
}

// listener is a Server that is a plain net.Listener plus whatever serves it.
type listener struct {
	ln    net.Listener
	close func() error
}

func (l *listener) Addr() net.Addr { return l.ln.Addr() }

func (l *listener) Close() error {
	if l.close != nil {
		return l.close()
	}
	return l.ln.Close()
}

// ReadyLine is the line cmd/echoserver prints once it listens; the
// harness (internal/driver) and the attack suite (internal/attack) read
// the server's address and process from it with [ParseReadyLine].
func ReadyLine(lib string, pid int, addr string) string {
	return fmt.Sprintf("echoserver lib=%s pid=%d addr=%s", lib, pid, addr)
}

// ParseReadyLine reads the addr= and pid= fields of a [ReadyLine]; ok is
// false unless both are there and the pid is positive.
func ParseReadyLine(l string) (addr string, pid int, ok bool) {
	for _, f := range strings.Fields(l) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "addr":
			addr = v
		case "pid":
			pid, _ = strconv.Atoi(v)
		}
	}
	return addr, pid, addr != "" && pid > 0
}
