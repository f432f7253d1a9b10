package session

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gobwas/httphead"
)

var (
	// ErrExtensionNotOffered is returned by ConfirmExtensions when the
	// server answered with an extension the client did not offer, answered
	// one twice, or answered parameters the client's factory refuses.
	ErrExtensionNotOffered = errors.New("session: server accepted an extension that was not offered")
	// ErrBadExtensionAnswer is returned by ConfirmExtensions for a
	// Sec-WebSocket-Extensions answer that is not a valid option list.
	ErrBadExtensionAnswer = errors.New("session: malformed Sec-WebSocket-Extensions answer")
)

// OfferExtensions renders a client's Sec-WebSocket-Extensions offer for fs
// (RFC 6455 §9.1), in order; "" for none.
func OfferExtensions(fs []ExtensionFactory) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name())
		for _, p := range f.Offer() {
			b.WriteString("; ")
			b.WriteString(p.Name)
			if p.Value != "" {
				b.WriteString("=")
				b.WriteString(p.Value)
			}
		}
	}
	return b.String()
}

// ConfirmExtensions checks a server's Sec-WebSocket-Extensions answer
// against the client's offer fs (RFC 6455 §4.1, client check 5) and returns
// the session's extensions in answer order. Every answered extension must
// have been offered, appear once (two would claim the same RSV bits), and be
// confirmed by its factory.
func ConfirmExtensions(fs []ExtensionFactory, header string) ([]Extension, error) {
	if header == "" {
		return nil, nil
	}
	opts, ok := httphead.ParseOptions([]byte(header), nil)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrBadExtensionAnswer, header)
	}
	var exts []Extension
	for i, o := range opts {
		for _, p := range opts[:i] {
			if string(p.Name) == string(o.Name) {
				return nil, fmt.Errorf("%w: %s twice", ErrExtensionNotOffered, o.Name)
			}
		}
		var f ExtensionFactory
		for _, c := range fs {
			if c.Name() == string(o.Name) {
				f = c
			}
		}
		if f == nil {
			return nil, fmt.Errorf("%w: %s", ErrExtensionNotOffered, o.Name)
		}
		var params []Param
		o.Parameters.ForEach(func(k, v []byte) bool {
			params = append(params, Param{Name: string(k), Value: string(v)})
			return true
		})
		e, err := f.Confirm(params)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrExtensionNotOffered, err)
		}
		exts = append(exts, e)
	}
	return exts, nil
}
