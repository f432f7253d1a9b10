package main

import (
	"testing"
	"time"
)

func TestIdleProvesLiveness(t *testing.T) {
	cases := []struct {
		name      string
		drop      bool
		wantAlive bool
	}{
		{name: "echo server", wantAlive: true},
		{name: "server that never answers", drop: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := startServer(t, &corruptEcho{drop: tc.drop})
			o := testOptions("idle", url)
			o.conns = 20
			o.duration = 300 * time.Millisecond
			o.timeout = time.Second
			res := runT(t, o)
			if res.Connections.Opened != 20 {
				t.Fatalf("opened %d", res.Connections.Opened)
			}
			if tc.wantAlive {
				if res.Connections.Alive != 20 || res.ErrorTotal != 0 {
					t.Fatalf("alive %d, errors %v", res.Connections.Alive, res.Errors)
				}
				if res.Latency.Count != 20 {
					t.Fatalf("round trips recorded %d, want 20", res.Latency.Count)
				}
				return
			}
			if res.Connections.Alive != 0 || res.Errors[kindNotAlive] != 20 {
				t.Fatalf("alive %d, errors %v; want 0 alive, 20 not_alive", res.Connections.Alive, res.Errors)
			}
		})
	}
}

func TestIdleReportsRefusedConnections(t *testing.T) {
	o := testOptions("idle", "ws://127.0.0.1:1/") // nothing listens on port 1
	o.conns = 3
	o.duration = 0
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	res, err := run(t.Context(), &o)
	if err == nil {
		t.Fatalf("want an error, got result %+v", res)
	}
	if res != nil && res.Errors[kindDialRefused] != 3 {
		t.Fatalf("errors %v, want 3 %s", res.Errors, kindDialRefused)
	}
}
