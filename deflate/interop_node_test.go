package deflate_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/internal/testext"
	"github.com/surgews/surge/session"
)

// nodeWS finds node and the ws module, or skips.
func nodeWS(t *testing.T) (node, nodePath string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("interop with Node's ws skipped: node is not installed")
	}
	nodePath, _ = filepath.Abs(filepath.Join("..", "interop", "node", "node_modules"))
	if _, err := os.Stat(filepath.Join(nodePath, "ws", "package.json")); err != nil {
		t.Skipf("interop with Node's ws skipped: %s/ws is absent (npm ci in interop/node)", nodePath)
	}
	return node, nodePath
}

var interopSizes = []int{0, 1, 100, 16 << 10, 1 << 20}

var interopCases = []struct {
	name       string
	nodeServer string // ws perMessageDeflate options of a ws server
	nodeClient string // and of a ws client
	surge      deflate.Config
	want       string // a parameter the negotiation must show, "" for none
}{
	{"context takeover", `{"threshold":0}`, `{"threshold":0}`,
		deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}, ""},
	{"no context takeover",
		`{"threshold":0,"serverNoContextTakeover":true,"clientNoContextTakeover":true}`,
		`{"threshold":0,"serverNoContextTakeover":true,"clientNoContextTakeover":true}`,
		deflate.Config{Threshold: -1}, "server_no_context_takeover"},
	// Windows below 15 bits: surge compresses with klauspost's
	// custom-window encoder, and zlib in Node inflates with the negotiated
	// window (it rejects a back-reference past its window and output chunk).
	{"small windows",
		`{"threshold":0,"serverMaxWindowBits":10,"clientMaxWindowBits":9}`,
		`{"threshold":0,"serverMaxWindowBits":10,"clientMaxWindowBits":11}`,
		deflate.Config{Threshold: -1, ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept,
			ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 10, ClientWindowBits: 9}, "client_max_window_bits=9"},
}

// wantCompressed is how many of the interop messages surge sends compressed:
// all but the 1-byte ones, which would grow.
var wantCompressed = int64(2 * (len(interopSizes) - 1))

// TestNodeServer: surge client against a ws server.
func TestNodeServer(t *testing.T) {
	node, nodePath := nodeWS(t)
	for _, tc := range interopCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "ws_peer.js"), "server", tc.nodeServer)
			cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
			lines := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			port := ""
			select {
			case l := <-lines:
				port = strings.TrimPrefix(l, "PORT ")
			case <-ctx.Done():
				t.Fatal("node server did not start")
			}
			f := &testext.Counting{Factory: deflate.New(tc.surge)}
			c, err := engine.Dial(ctx, "ws://127.0.0.1:"+port+"/", &engine.DialOptions{
				Extensions: []extension.Factory{f},
				Session:    session.Config{MaxMessageSize: 8 << 20},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Terminate()
			if l := <-lines; !strings.Contains(l, "permessage-deflate") || !strings.Contains(l, tc.want) {
				t.Fatalf("node negotiated %q", l)
			}
			t.Logf("surge client params: %v", testext.Inner(c.Request().Extensions[0]).(*deflate.Extension).Params())
			for i, n := range interopSizes {
				for rep := 0; rep < 2; rep++ {
					msg := jsonish(n, uint64(i))
					if err := c.Send(ctx, session.BorrowText(msg)); err != nil {
						t.Fatal(err)
					}
					select {
					case fr := <-c.Incoming():
						if !bytes.Equal(fr.Payload, msg) {
							t.Fatalf("size %d: echo differs (%d bytes)", n, len(fr.Payload))
						}
						fr.Release()
					case <-ctx.Done():
						t.Fatalf("size %d: no echo (%v)", n, c.Err())
					}
				}
			}
			_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
			<-c.Done()
			if f.Encoded.Load() != wantCompressed || f.Decoded.Load() != int64(2*len(interopSizes)) {
				t.Fatalf("compressed %d sent and %d received messages, want %d and %d", f.Encoded.Load(), f.Decoded.Load(), wantCompressed, 2*len(interopSizes))
			}
		})
	}
}

// TestNodeClient: a ws client against a surge server.
func TestNodeClient(t *testing.T) {
	node, nodePath := nodeWS(t)
	for _, tc := range interopCases {
		for _, channel := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/channel=%v", tc.name, channel), func(t *testing.T) {
				f := &testext.Counting{Factory: deflate.New(tc.surge)}
				srv := startServer(t, channel, f)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				var sz []string
				for _, n := range interopSizes {
					sz = append(sz, strconv.Itoa(n))
				}
				cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "ws_peer.js"), "client",
					"ws://"+srv.Addr().String()+"/", tc.nodeClient, strings.Join(sz, ","))
				cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, io.MultiWriter(&out, os.Stderr)
				err := cmd.Run()
				t.Logf("node: %s", strings.TrimSpace(out.String()))
				if err != nil || !strings.Contains(out.String(), fmt.Sprintf("OK %d", 2*len(interopSizes))) {
					t.Fatalf("node client failed: %v", err)
				}
				if !strings.Contains(out.String(), tc.want) {
					t.Fatalf("negotiation lacks %q", tc.want)
				}
				if f.Encoded.Load() != wantCompressed || f.Decoded.Load() != int64(2*len(interopSizes)) {
					t.Fatalf("compressed %d sent and %d received messages, want %d and %d", f.Encoded.Load(), f.Decoded.Load(), wantCompressed, 2*len(interopSizes))
				}
			})
		}
	}
}
