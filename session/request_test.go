package session_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// requestHandler records what an event handler sees of its session's
// request when it opens.
type requestHandler struct {
	session.NopHandler
	seen chan session.Request
}

func (h requestHandler) OnOpen(s *session.Session) { h.seen <- s.Request() }

// TestRequestAccessors: the upgrade request's data (with the negotiated
// subprotocol), the route's server value and the application value come
// back as given, to the application and to its handler.
func TestRequestAccessors(t *testing.T) {
	remote := netip.MustParseAddrPort("[2001:db8::1]:443")
	hdr := http.Header{"X-User": {"ada"}}
	srv := &struct{ name string }{"srv"}
	h := requestHandler{seen: make(chan session.Request, 1)}
	mk := newRoute(&session.Config{}, h, nil, srv, nil)
	s, _ := startSession(mk, seam.Client, nopDriver{}, &session.Request{
		Path: "/chat", RawQuery: "room=1", Remote: remote, Header: hdr, Protocol: "chat.v1",
	})
	for who, r := range map[string]session.Request{"Request()": s.Request(), "OnOpen": <-h.seen} {
		if r.Path != "/chat" || r.RawQuery != "room=1" || r.Remote != remote || r.Header.Get("X-User") != "ada" || r.Protocol != "chat.v1" {
			t.Fatalf("%s sees %+v", who, r)
		}
		if r.Extensions != nil {
			t.Fatalf("%s: extensions %v without negotiation", who, r.Extensions)
		}
	}
	if s.Server() != srv {
		t.Fatalf("Server() = %v, want the route's server value", s.Server())
	}
	if s.Value() != nil {
		t.Fatal("Value set before SetValue")
	}
	s.SetValue(42)
	if s.Value() != 42 {
		t.Fatalf("Value() = %v", s.Value())
	}

	bare, _ := mk(seam.Server, nopDriver{}, session.Request{})
	if r := bare.Request(); r.Path != "" || r.Remote.IsValid() || r.Protocol != "" || r.Header != nil {
		t.Fatalf("zero request gave %+v", r)
	}
	if bare.Incoming() != nil {
		t.Fatal("Incoming on an event-style session")
	}
	dialled, _ := newSession(t, session.Config{}, nil, seam.Client, nopDriver{}, nil)
	if dialled.Server() != nil {
		t.Fatalf("Server() = %v on a route without a server", dialled.Server())
	}
}

// TestRoleMasking: a client always masks what it sends (RFC 6455 §5.3),
// whatever its Config and SetMasking say; a server masks only when asked.
func TestRoleMasking(t *testing.T) {
	for _, cfgMasking := range []bool{false, true} {
		c, _ := newSession(t, session.Config{Masking: cfgMasking}, session.NopHandler{}, seam.Client, nopDriver{}, nil)
		sv, _ := newSession(t, session.Config{Masking: cfgMasking}, session.NopHandler{}, seam.Server, nopDriver{}, nil)
		if !c.Masking() || sv.Masking() != cfgMasking {
			t.Fatalf("Config.Masking %v: client Masking() %v, server %v", cfgMasking, c.Masking(), sv.Masking())
		}
		c.SetMasking(false)
		sv.SetMasking(!cfgMasking)
		if !c.Masking() || sv.Masking() == cfgMasking {
			t.Fatalf("after SetMasking: client Masking() %v, server %v", c.Masking(), sv.Masking())
		}
	}
}
