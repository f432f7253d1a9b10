package reliability_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/surgews/surge/engine"
)

// keepAliveOf reads SO_KEEPALIVE and TCP_KEEPIDLE (seconds) of fd.
func keepAliveOf(t *testing.T, fd int) (on bool, idle int) {
	t.Helper()
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
	if err != nil {
		t.Fatal(err)
	}
	idle, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
	if err != nil {
		t.Fatal(err)
	}
	return v != 0, idle
}

// TestKeepAlive: the sockets the loops accept and dial have TCP keep-alive
// on by default with a 15 s period; ReactorConfig.KeepAlive sets the period
// or, negative, turns it off.
func TestKeepAlive(t *testing.T) {
	cases := []struct {
		name     string
		set      time.Duration
		wantOn   bool
		wantIdle int // seconds; 0 skips the check
	}{
		{"default", 0, true, 15},
		{"configured", 42 * time.Second, true, 42},
		{"off", -1, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := engine.ReactorConfig{Loops: 1, KeepAlive: tc.set}
			srv := engine.New(engine.Config{Reactor: rc})
			remotes := make(chan netip.AddrPort, 1)
			srv.HandleEvents("/", openReporter{remotes: remotes})
			addr := startServer(t, srv)
			d, err := engine.NewDialer(rc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), ioWait)
			defer cancel()
			c, err := engine.Dial(ctx, "ws://"+addr+"/", &engine.DialOptions{Dialer: d})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Terminate)
			var client netip.AddrPort
			select {
			case client = <-remotes:
			case <-ctx.Done():
				t.Fatal("the server session did not open")
			}
			server := netip.MustParseAddrPort(addr)
			for _, side := range []struct {
				name          string
				local, remote netip.AddrPort
			}{
				{"accepted", server, client},
				{"dialled", client, server},
			} {
				on, idle := keepAliveOf(t, socketBetween(t, side.local, side.remote))
				if on != tc.wantOn || (tc.wantIdle != 0 && idle != tc.wantIdle) {
					t.Errorf("%s socket: SO_KEEPALIVE %v, TCP_KEEPIDLE %d s; want %v, %d s",
						side.name, on, idle, tc.wantOn, tc.wantIdle)
				}
			}
		})
	}
}
