package handshake

import (
	"errors"
	"testing"

	"github.com/surgews/surge/extension"
)

// toyFactory offers "x-toy; level=1" and confirms any answer without "bad".
type toyFactory struct{ name string }

func (f toyFactory) Name() string { return f.name }
func (f toyFactory) Accept([]extension.Param) ([]extension.Param, extension.Extension, bool, error) {
	return nil, nil, false, nil
}
func (f toyFactory) Offer() []extension.Param {
	return []extension.Param{{Name: "level", Value: "1"}, {Name: "flag"}}
}
func (f toyFactory) Confirm(ps []extension.Param) (extension.Extension, error) {
	for _, p := range ps {
		if p.Name == "bad" {
			return nil, errors.New("refused parameter")
		}
	}
	return toyExt{f.name}, nil
}

type toyExt struct{ name string }

func (e toyExt) Name() string { return e.name }
func (toyExt) Rsv() byte      { return 0 }
func (toyExt) DecodeMessage(dst []byte, _ byte, p []byte, _ int64) ([]byte, error) {
	return append(dst, p...), nil
}
func (toyExt) EncodeMessage(dst, p []byte) ([]byte, byte, error) { return dst, 0, nil }
func (toyExt) Idle()                                             {}

func TestOfferExtensions(t *testing.T) {
	got := OfferExtensions([]extension.Factory{toyFactory{"x-a"}, toyFactory{"x-b"}})
	if want := "x-a; level=1; flag, x-b; level=1; flag"; got != want {
		t.Fatalf("offer %q, want %q", got, want)
	}
	if got := OfferExtensions(nil); got != "" {
		t.Fatalf("empty offer %q", got)
	}
}

func TestConfirmExtensions(t *testing.T) {
	fs := []extension.Factory{toyFactory{"x-a"}, toyFactory{"x-b"}}
	for _, tt := range []struct {
		name   string
		header string
		want   []string
		err    error
	}{
		{name: "none", header: ""},
		{name: "one", header: "x-b; level=1", want: []string{"x-b"}},
		{name: "answer order", header: "x-b, x-a", want: []string{"x-b", "x-a"}},
		{name: "not offered", header: "x-c", err: ErrExtensionNotOffered},
		{name: "twice", header: "x-a, x-a", err: ErrExtensionNotOffered},
		{name: "refused parameter", header: "x-a; bad", err: ErrExtensionNotOffered},
		{name: "malformed", header: "x-a;;=,", err: ErrBadExtensionAnswer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			exts, err := ConfirmExtensions(fs, tt.header)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if len(exts) != len(tt.want) {
				t.Fatalf("extensions %v, want %v", exts, tt.want)
			}
			for i, e := range exts {
				if e.Name() != tt.want[i] {
					t.Fatalf("extension %d is %s, want %s", i, e.Name(), tt.want[i])
				}
			}
		})
	}
}
