//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"net/netip"
	"sync"
)

// peerAddr is a connection's remote address in 20 bytes. A netip.AddrPort
// takes 32 (the address, a handle to its zone, and the port padded to 8
// bytes), which every idle connection's conn paid for (issue #18).
type peerAddr struct {
	ip   [16]byte // an IPv4 address in the first 4 bytes
	port uint16
	kind uint8 // peerNone, peerV4 or peerV6
	zone uint8 // an IPv6 zone: 1 + its index in the reactor's zoneNames; 0 none
}

// peerAddr kinds.
const (
	peerNone uint8 = iota
	peerV4
	peerV6
)

// maxZones bounds zoneNames. A peer in yet another zone keeps its address
// without the zone.
const maxZones = 255

// zoneNames holds the IPv6 zones of a reactor's peers for peerAddr. Only
// link-local peers have one, named for the network interface, so there are
// a handful at most.
type zoneNames struct {
	mu    sync.Mutex
	names []string
}

// pack returns ap packed; netip.AddrPort{} packs to peerNone.
func (z *zoneNames) pack(ap netip.AddrPort) peerAddr {
	a := ap.Addr()
	switch {
	case a.Is4():
		p := peerAddr{port: ap.Port(), kind: peerV4}
		v4 := a.As4()
		copy(p.ip[:], v4[:])
		return p
	case a.Is6():
		p := peerAddr{ip: a.As16(), port: ap.Port(), kind: peerV6}
		if name := a.Zone(); name != "" {
			p.zone = z.index(name)
		}
		return p
	}
	return peerAddr{}
}

// unpack returns the address p holds.
func (z *zoneNames) unpack(p peerAddr) netip.AddrPort {
	var a netip.Addr
	switch p.kind {
	case peerV4:
		a = netip.AddrFrom4([4]byte(p.ip[:4]))
	case peerV6:
		a = netip.AddrFrom16(p.ip)
		if p.zone != 0 {
			a = a.WithZone(z.name(p.zone))
		}
	default:
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, p.port)
}

// index returns the number peerAddr.zone keeps for name, 0 once the table
// is full.
func (z *zoneNames) index(name string) uint8 {
	z.mu.Lock()
	defer z.mu.Unlock()
	for i, n := range z.names {
		if n == name {
			return uint8(i + 1)
		}
	}
	if len(z.names) >= maxZones {
		return 0
	}
	z.names = append(z.names, name)
	return uint8(len(z.names))
}

// name returns the zone that index gave i for.
func (z *zoneNames) name(i uint8) string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.names[i-1]
}
