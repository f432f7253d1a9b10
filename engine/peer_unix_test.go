//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestPeerAddrRoundTrip: a packed remote address comes back as it was,
// zones and IPv4-mapped IPv6 included.
func TestPeerAddrRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ap   netip.AddrPort
	}{
		{"none", netip.AddrPort{}},
		{"IPv4", netip.MustParseAddrPort("192.0.2.1:54321")},
		{"IPv4 port 0", netip.MustParseAddrPort("10.0.0.255:0")},
		{"IPv6", netip.MustParseAddrPort("[2001:db8::1]:443")},
		{"IPv4-mapped IPv6", netip.MustParseAddrPort("[::ffff:192.0.2.1]:80")},
		{"IPv6 with zone", netip.MustParseAddrPort("[fe80::1%eth0]:8080")},
		{"IPv6 with another zone", netip.MustParseAddrPort("[fe80::2%wlan0]:65535")},
		{"IPv6 with the first zone again", netip.MustParseAddrPort("[fe80::3%eth0]:1")},
	}
	var z zoneNames
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := z.unpack(z.pack(tc.ap)); got != tc.ap {
				t.Errorf("packed and unpacked %v: got %v", tc.ap, got)
			}
		})
	}
	if len(z.names) != 2 {
		t.Errorf("zone table %q, want eth0 and wlan0 once each", z.names)
	}
}

// TestPeerAddrZonesBounded: past maxZones distinct zones, an address keeps
// everything but its zone, and the table stops growing.
func TestPeerAddrZonesBounded(t *testing.T) {
	var z zoneNames
	for i := range maxZones + 10 {
		ap := netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone(fmt.Sprint("if", i)), 9)
		got := z.unpack(z.pack(ap))
		want := ap
		if i >= maxZones {
			want = netip.AddrPortFrom(ap.Addr().WithZone(""), ap.Port())
		}
		if got != want {
			t.Fatalf("zone %d: got %v, want %v", i, got, want)
		}
	}
	if len(z.names) != maxZones {
		t.Errorf("%d zones kept, want %d", len(z.names), maxZones)
	}
}
