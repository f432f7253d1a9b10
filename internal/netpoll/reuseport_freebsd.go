//go:build freebsd

package netpoll

import "golang.org/x/sys/unix"

// reusePortOption is the option Listen sets for reusePort. On FreeBSD plain
// SO_REUSEPORT lets several sockets bind but sends every connection to one
// of them; SO_REUSEPORT_LB balances them as Linux's SO_REUSEPORT does.
const reusePortOption = unix.SO_REUSEPORT_LB
