//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package netpoll

import (
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzSockaddrRoundTrip converts arbitrary addresses to a sockaddr and back
// and checks the result against net/netip as the reference.
func FuzzSockaddrRoundTrip(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1}, 80)
	f.Add([]byte{0, 0, 0, 0}, 0)
	f.Add([]byte(net.IPv6loopback), 443)
	f.Add([]byte(net.IPv4(10, 1, 2, 3)), 65535)
	f.Add([]byte{1, 2, 3}, 1)
	f.Add([]byte{}, -1)
	f.Add([]byte{0xfe, 0x80, 15: 1}, 70000)
	f.Fuzz(func(t *testing.T, ip []byte, port int) {
		ref, ok := netip.AddrFromSlice(ip)
		family := unix.AF_INET6
		if ok && ref.Is4() {
			family = unix.AF_INET
		}
		sa, err := toSockaddr(family, &net.TCPAddr{IP: ip, Port: port})
		wantOK := ok && port >= 0 && port <= 0xffff
		if len(ip) == 0 {
			// An empty IP is the wildcard and is valid, as in package net.
			wantOK = port >= 0 && port <= 0xffff
			ref = netip.IPv6Unspecified()
		}
		if (err == nil) != wantOK {
			t.Fatalf("toSockaddr(%v, %d) err = %v, want ok %v", ip, port, err, wantOK)
		}
		if err != nil {
			return
		}
		got := SockaddrToAddr(sa)
		if got == nil {
			t.Fatal("SockaddrToAddr returned nil for an IP sockaddr")
		}
		gotAddr, _ := netip.AddrFromSlice(got.IP)
		if gotAddr.Unmap() != ref.Unmap() || got.Port != port {
			t.Fatalf("round trip of %v:%d gave %v", ref, port, got)
		}
	})
}
