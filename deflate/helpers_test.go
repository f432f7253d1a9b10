package deflate_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/extension"
)

// pair negotiates between a client and a server factory the way the engine
// does and returns both sessions' extensions.
func pair(t testing.TB, client, server deflate.Config) (c, s *deflate.Extension) {
	t.Helper()
	cf, sf := deflate.New(client), deflate.New(server)
	resp, se, ok, err := sf.Accept(cf.Offer())
	if err != nil || !ok {
		t.Fatalf("Accept(%v) = ok %v, err %v", cf.Offer(), ok, err)
	}
	ce, err := cf.Confirm(resp)
	if err != nil {
		t.Fatalf("Confirm(%v): %v", resp, err)
	}
	return ce.(*deflate.Extension), se.(*deflate.Extension)
}

// jsonish returns n bytes of JSON-like text, compressible like real API
// traffic, varied by seed.
func jsonish(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	names := []string{"id", "user", "price", "status", "items", "created_at", "tags", "ok"}
	words := []string{"alpha", "beta", "surge", "socket", "frame", "deflate", "open", "closed", "pending"}
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"%s":%d,"%s":"%s","%s":[%d,%d],"%s":%v},`,
			names[r.IntN(len(names))], r.IntN(100000),
			names[r.IntN(len(names))], words[r.IntN(len(words))],
			names[r.IntN(len(names))], r.IntN(1000), r.IntN(1000),
			names[r.IntN(len(names))], r.IntN(2) == 0)
	}
	return b.Bytes()[:n]
}

// randomBytes returns n incompressible bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// roundTrip encodes msg on from and decodes it on to, as the session would.
func roundTrip(t testing.TB, from, to extension.Extension, msg []byte) (wire []byte, rsv byte) {
	t.Helper()
	wire, rsv, err := from.EncodeMessage(make([]byte, 0, len(msg)+64), msg)
	if err != nil {
		t.Fatalf("EncodeMessage(%d bytes): %v", len(msg), err)
	}
	if rsv == 0 {
		if len(wire) != 0 {
			t.Fatalf("rsv 0 with %d bytes of output", len(wire))
		}
		return msg, 0
	}
	got, err := to.DecodeMessage(make([]byte, 0, 2*len(wire)), rsv, wire, 64<<20)
	if err != nil {
		t.Fatalf("DecodeMessage(%d bytes from %d): %v", len(wire), len(msg), err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("round trip of %d bytes gave %d different bytes", len(msg), len(got))
	}
	return wire, rsv
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}
