package main

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/session"
)

// negotiated is an echo handler that records what each session negotiated.
type negotiated struct {
	session.NopHandler
	mu         sync.Mutex
	protocols  []string
	extensions []int
}

func (n *negotiated) OnOpen(s *session.Session) {
	req := s.Request()
	n.mu.Lock()
	n.protocols = append(n.protocols, req.Protocol)
	n.extensions = append(n.extensions, len(req.Extensions))
	n.mu.Unlock()
}

func (n *negotiated) OnMessage(s *session.Session, f session.Frame) {
	_ = s.Send(context.Background(), f)
}

// TestScenarioTLSCompression connects over wss:// trusting a CA file (or
// with tls.insecure), offers subprotocols and permessage-deflate, and checks
// what the server negotiated.
func TestScenarioTLSCompression(t *testing.T) {
	h := &negotiated{}
	srv := engine.New(engine.Config{
		Subprotocols: []string{"chat.v1"},
		Extensions:   []extension.Factory{deflate.New(deflate.Config{Threshold: -1})},
	})
	srv.HandleEvents("/", h)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case fails handshakes on purpose
	ts.StartTLS()
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	url := "wss://" + strings.TrimPrefix(ts.URL, "https://") + "/"
	ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})))
	script := "\nconnections: 3\nsubprotocols: [chat.v2, chat.v1]\nscript:\n  - send: \"{{random 300}}\"\n  - expect: {regex: \"^[a-zA-Z0-9]{300}$\", metric: rtt}\n"
	tests := []struct {
		name     string
		extra    string
		wantOK   bool
		wantExts int
	}{
		{"ca_file_deflate", "tls: {ca_file: " + ca + "}\ncompression: true", true, 1},
		{"insecure_plain", "tls: {insecure: true}\ncompression: false", true, 0},
		{"untrusted", "compression: true", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.mu.Lock()
			h.protocols, h.extensions = nil, nil
			h.mu.Unlock()
			file := writeFile(t, "s.yaml", "url: "+url+"\n"+tc.extra+script)
			code, out := runCLI(t, "run", file, "--json", "--quiet", "--loops", "1")
			r := decodeResult(t, out)
			if !tc.wantOK {
				if code == exitOK || r.Connections.Opened != 0 || r.ErrorTotal != 3 {
					t.Errorf("untrusted certificate: exit %d, opened %d, errors %v", code, r.Connections.Opened, r.Errors)
				}
				return
			}
			if code != exitOK || r.Metrics["rtt"].Count != 3 {
				t.Fatalf("exit %d, errors %v, rtt n=%d", code, r.Errors, r.Metrics["rtt"].Count)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			for i := range h.protocols {
				if h.protocols[i] != "chat.v1" || h.extensions[i] != tc.wantExts {
					t.Errorf("session %d: protocol %q, %d extensions; want chat.v1, %d", i, h.protocols[i], h.extensions[i], tc.wantExts)
				}
			}
			if len(h.protocols) != 3 {
				t.Errorf("%d sessions", len(h.protocols))
			}
		})
	}
}
