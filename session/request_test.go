package session_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/surgews/surge/session"
)

// TestRequestAccessors: the upgrade request's data, the server value and the
// application value come back as given.
func TestRequestAccessors(t *testing.T) {
	remote := netip.MustParseAddrPort("[2001:db8::1]:443")
	hdr := http.Header{"X-User": {"ada"}}
	srv := &struct{ name string }{"srv"}
	cfg := session.Config{Handler: session.NopHandler{}, Server: srv}
	s := session.New(&cfg, session.RoleClient, nopDriver{}, &session.Request{
		Path: "/chat", RawQuery: "room=1", Remote: remote, Header: hdr, Protocol: "chat.v1",
	})
	s.Start()
	r := s.Request()
	if r.Path != "/chat" || r.RawQuery != "room=1" || r.Remote != remote || r.Header.Get("X-User") != "ada" || r.Protocol != "chat.v1" {
		t.Fatalf("Request() = %+v", r)
	}
	if s.Protocol() != "chat.v1" || s.Role() != session.RoleClient || s.Server() != srv {
		t.Fatal("Protocol, Role or Server wrong")
	}
	if s.Value() != nil {
		t.Fatal("Value set before SetValue")
	}
	s.SetValue(42)
	if s.Value() != 42 {
		t.Fatalf("Value() = %v", s.Value())
	}
	if s.Extensions() != nil {
		t.Fatal("extensions without negotiation")
	}

	bare := session.New(&cfg, session.RoleServer, nopDriver{}, nil)
	if r := bare.Request(); r.Path != "" || r.Remote.IsValid() || bare.Protocol() != "" {
		t.Fatalf("nil request gave %+v", r)
	}
	if bare.Incoming() != nil {
		t.Fatal("Incoming on an event-style session")
	}
}
