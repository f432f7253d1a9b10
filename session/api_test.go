package session_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// TestSessionMethodSet: the exported methods of *Session are the
// application's API and nothing else. A driver's method (Start, Feed,
// Writable, Timer, Closed, GoingAway) belongs to the seam.Endpoint, and an
// application method removed by accident is a break; either fails here.
func TestSessionMethodSet(t *testing.T) {
	want := []string{
		"Close", "CloseReason", "Decode", "Done", "Err", "Flush", "Incoming", "Masking",
		"MaxFrameSize", "Outgoing", "PingInterval", "RTT", "Receive", "Request", "Send",
		"SendText", "SendValue", "Server", "SetMasking", "SetMaxFrameSize",
		"SetPingInterval", "SetTimeout", "SetValue", "Terminate", "Timeout", "Value",
	}
	typ := reflect.TypeFor[*session.Session]()
	var got []string
	for m := range typ.Methods() {
		got = append(got, m.Name)
	}
	// reflect lists exported methods only, sorted by name.
	if !slices.Equal(got, want) {
		for _, name := range got {
			if !slices.Contains(want, name) {
				t.Errorf("*Session has method %s, which is not the application's", name)
			}
		}
		for _, name := range want {
			if !slices.Contains(got, name) {
				t.Errorf("*Session lacks the application method %s", name)
			}
		}
		t.Fatalf("method set %q, want %q", got, want)
	}
	// The value type has none of its own: every method is on the pointer.
	if n := reflect.TypeFor[session.Session]().NumMethod(); n != 0 {
		t.Fatalf("session.Session has %d value methods, want 0", n)
	}
	// The driver's side is the endpoint alone.
	if typ.Implements(reflect.TypeFor[seam.Endpoint]()) {
		t.Fatal("*Session implements seam.Endpoint")
	}
}
