package handshake

import (
	"bufio"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// readHTTP parses a request head the way a net/http server does, or reports
// false when net/http itself refuses it (so only Upgrade sees it).
func readHTTP(head string) (*http.Request, bool) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
	if err != nil {
		return nil, false
	}
	return r, true
}

// TestUpgradeHTTPParity runs every request of the Upgrade tables that
// net/http can parse through UpgradeHTTP as well: an accepted one must get
// the same 101 answer and the same Result, a refused one the same refusal.
// This is what keeps the net/http path and the event loops' path one path.
func TestUpgradeHTTPParity(t *testing.T) {
	compared := 0
	for _, tc := range acceptCases(t) {
		r, ok := readHTTP(tc.req)
		if !ok {
			continue
		}
		compared++
		t.Run("accept/"+tc.name, func(t *testing.T) {
			want, wantOut, err := Upgrade([]byte(tc.req), &tc.cfg, nil)
			if err != nil {
				t.Fatalf("Upgrade: %v", err)
			}
			got, gotOut, err := UpgradeHTTP(r, &tc.cfg, nil)
			if err != nil {
				t.Fatalf("UpgradeHTTP: %v", err)
			}
			if string(gotOut) != string(wantOut) {
				t.Errorf("answer\n%q\nwant\n%q", gotOut, wantOut)
			}
			want.HeadLen = 0 // net/http consumed the head
			if !reflect.DeepEqual(got, want) {
				t.Errorf("result\n%+v\nwant\n%+v", got, want)
			}
		})
	}
	for _, tc := range rejectCases() {
		r, ok := readHTTP(tc.req)
		if !ok || tc.want == ErrHeaderTooLarge || tc.want == ErrMalformedRequest {
			// HTTP syntax and head size belong to whoever parsed the
			// head: net/http unfolds, trims and limits by its own rules.
			continue
		}
		compared++
		t.Run("reject/"+tc.name, func(t *testing.T) {
			_, wantOut, wantErr := Upgrade([]byte(tc.req), &tc.cfg, nil)
			_, out, err := UpgradeHTTP(r, &tc.cfg, []byte("keep"))
			if string(out) != "keep" {
				t.Errorf("UpgradeHTTP appended %q on a refusal", out[4:])
			}
			var rej *RejectError
			if !errors.As(err, &rej) || !errors.Is(err, wantErr) {
				t.Fatalf("UpgradeHTTP error %v, Upgrade's %v", err, wantErr)
			}
			// WriteReject must send what Upgrade appends.
			w := httptest.NewRecorder()
			WriteReject(w, rej)
			res, perr := http.ReadResponse(bufio.NewReader(strings.NewReader(string(wantOut))), nil)
			if perr != nil {
				t.Fatalf("Upgrade's refusal does not parse: %v", perr)
			}
			if w.Code != res.StatusCode || w.Body.String() != rej.Reason {
				t.Errorf("WriteReject sent %d %q, Upgrade %d %q", w.Code, w.Body.String(), res.StatusCode, rej.Reason)
			}
			for k := range res.Header {
				if w.Header().Get(k) != res.Header.Get(k) {
					t.Errorf("header %s: WriteReject %q, Upgrade %q", k, w.Header().Get(k), res.Header.Get(k))
				}
			}
		})
	}
	// Most cases must reach both paths, or the comparison proves little.
	if compared < 40 {
		t.Errorf("only %d cases parse under net/http", compared)
	}
}
