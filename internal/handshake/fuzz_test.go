package handshake

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/httphead"
)

func fuzzSeeds(f *testing.F) {
	for _, name := range []string{"chrome.http", "firefox.http", "rfc6455.http"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(head(valid...) + "\x81\x00"))
	f.Add([]byte(head(with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")...)))
	f.Add([]byte(head(with("GET", "GET http://h?x HTTP/1.1")...)))
	f.Add([]byte(head(append(valid, "Sec-WebSocket-Extensions: a; b=\"c\\\"\", d")...)))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
}

// fuzzConfig exercises every hook with behaviour derived from the request.
var fuzzConfig = Config{
	MaxHeaderBytes: 1024,
	Protocols:      []string{"chat", "superchat"},
	KeepHeaders:    []string{"Cookie", "User-Agent"},
	Route:          func(path string) bool { return !strings.HasPrefix(path, "/404") },
	CheckOrigin:    func(r Request) bool { return r.Origin != "http://evil" },
	Negotiate: func(offers []httphead.Option) ([]httphead.Option, error) {
		if string(offers[0].Name) == "reject" {
			return nil, errors.New("no")
		}
		return offers[:1], nil
	},
}

// FuzzUpgrade checks that any input gives either a 101 that our client
// accepts and that net/http reads as the same GET request, or a well-formed
// error response with status 400 or more; never a panic.
func FuzzUpgrade(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		res, out, err := Upgrade(b, &fuzzConfig, nil)
		if !bytes.Equal(b, orig) {
			t.Fatal("Upgrade modified its input")
		}
		if errors.Is(err, ErrIncomplete) {
			if len(out) != 0 || len(b) >= fuzzConfig.MaxHeaderBytes || HeaderEnd(b) >= 0 && validPrefix(b) {
				t.Fatalf(
					"ErrIncomplete for %q, out %q",
					b,
					out,
				)
			}
			return
		}
		var rej *RejectError
		if err != nil {
			if !errors.As(err, &rej) {
				t.Fatalf(
					"error %v is neither ErrIncomplete nor *RejectError",
					err,
				)
			}
			resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
			if rerr != nil {
				t.Fatalf(
					"net/http cannot read our error response %q: %v",
					out,
					rerr,
				)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != rej.Status || resp.StatusCode < 400 || !resp.Close || string(body) != rej.Reason {
				t.Fatalf(
					"error response %q for %v",
					out,
					err,
				)
			}
			return
		}

		// Accepted: the reference parser must agree on what it saw.
		hd := b[:res.HeadLen]
		if HeaderEnd(b) != res.HeadLen {
			t.Fatalf(
				"HeadLen %d, HeaderEnd %d",
				res.HeadLen,
				HeaderEnd(b),
			)
		}
		req, rerr := http.ReadRequest(bufio.NewReader(bytes.NewReader(hd)))
		if rerr != nil {
			t.Fatalf(
				"accepted %q which net/http rejects: %v",
				hd,
				rerr,
			)
		}
		r := &res.Request
		if req.Method != http.MethodGet || req.Host != r.Host ||
			req.Header.Get("Sec-WebSocket-Key") != string(r.Key[:]) ||
			req.Header.Get("Origin") != r.Origin {
			t.Fatalf(
				"accepted %q as %+v; net/http saw %s %s host %q",
				hd,
				r,
				req.Method,
				req.RequestURI,
				req.Host,
			)
		}
		if strings.HasPrefix(req.RequestURI, "/") {
			want := r.Path
			if strings.Contains(req.RequestURI, "?") {
				want += "?" + r.RawQuery
			}
			if req.RequestURI != want {
				t.Fatalf(
					"target %q, we kept %q",
					req.RequestURI,
					want,
				)
			}
		}
		if _, perr := ParseResponse(out, r.Key, fuzzConfig.Protocols); perr != nil {
			t.Fatalf(
				"our client rejects our 101 %q: %v",
				out,
				perr,
			)
		}
	})
}

// validPrefix reports whether every line before the head end is free of
// bare CR/LF, i.e. whether ErrIncomplete would be wrong for b.
func validPrefix(b []byte) bool {
	for rest := b; ; {
		line, r, st := nextLine(rest)
		if st != lineOK {
			return false
		}
		if len(line) == 0 {
			return true
		}
		rest = r
	}
}

// FuzzParseResponse checks ParseResponse against net/http's reader.
func FuzzParseResponse(f *testing.F) {
	f.Add(response(switching...))
	f.Add(response(append(switching, "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: a; b=1")...))
	f.Add(response("HTTP/1.1 403 Forbidden", "Content-Length: 3"))
	f.Add([]byte("HTTP/1.1 101 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ParseResponse(b, rfcKey, []string{"chat"})
		var se *StatusError
		switch {
		case err == nil:
			resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(b[:res.HeadLen])), nil)
			if rerr != nil {
				t.Fatalf(
					"accepted %q which net/http rejects: %v",
					b,
					rerr,
				)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols ||
				resp.Header.Get("Sec-WebSocket-Accept") != rfcAccept ||
				res.Protocol != "" && res.Protocol != "chat" {
				t.Fatalf(
					"accepted %q: %+v",
					b,
					res,
				)
			}
		case errors.As(err, &se):
			if se.Code == http.StatusSwitchingProtocols || !strings.HasPrefix(string(b), "HTTP/1.") ||
				!strings.HasPrefix(string(b[9:]), strconv.Itoa(se.Code)) {
				t.Fatalf(
					"StatusError %v for %q",
					se,
					b,
				)
			}
		}
	})
}

// FuzzHeaderEnd checks HeaderEnd against a byte-by-byte reference.
func FuzzHeaderEnd(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte("\r\n\r\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := -1
		for i := 0; i+4 <= len(b); i++ {
			if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
				want = i + 4
				break
			}
		}
		if got := HeaderEnd(b); got != want {
			t.Fatalf(
				"HeaderEnd(%q) = %d, want %d",
				b,
				got,
				want,
			)
		}
	})
}
