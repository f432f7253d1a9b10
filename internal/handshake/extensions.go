package handshake

import (
	"fmt"
	"strings"

	"github.com/gobwas/httphead"

	"github.com/surgews/surge/extension"
)

// OfferExtensions renders a client's Sec-WebSocket-Extensions offer for fs
// (RFC 6455 §9.1), in order; "" for none.
func OfferExtensions(fs []extension.Factory) string {
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
func ConfirmExtensions(fs []extension.Factory, header string) ([]extension.Extension, error) {
	if header == "" {
		return nil, nil
	}
	opts, ok := httphead.ParseOptions([]byte(header), nil)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrBadExtensionAnswer, header)
	}
	var exts []extension.Extension
	for i, o := range opts {
		for _, p := range opts[:i] {
			if string(p.Name) == string(o.Name) {
				return nil, fmt.Errorf("%w: %s twice", ErrExtensionNotOffered, o.Name)
			}
		}
		var f extension.Factory
		for _, c := range fs {
			if c.Name() == string(o.Name) {
				f = c
			}
		}
		if f == nil {
			return nil, fmt.Errorf("%w: %s", ErrExtensionNotOffered, o.Name)
		}
		var params []extension.Param
		o.Parameters.ForEach(func(k, v []byte) bool {
			params = append(params, extension.Param{Name: string(k), Value: string(v)})
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

// NegotiateExtensions answers a client's extension offers with factories, in
// the server's preference order (RFC 6455 §9.1): for each factory, the first
// offer of its extension that it accepts. It returns the options to send back
// and the session's extensions, in the same order. A factory's error fails
// the handshake (Upgrade answers it with 400, see [Config.Negotiate]).
func NegotiateExtensions(factories []extension.Factory, offers []httphead.Option) ([]httphead.Option, []extension.Extension, error) {
	var accepted []httphead.Option
	var exts []extension.Extension
	for _, f := range factories {
		name := f.Name()
		for _, o := range offers {
			if string(o.Name) != name {
				continue
			}
			var params []extension.Param
			o.Parameters.ForEach(func(k, v []byte) bool {
				params = append(params, extension.Param{Name: string(k), Value: string(v)})
				return true
			})
			resp, ext, ok, err := f.Accept(params)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				continue
			}
			opt := httphead.Option{Name: []byte(name)}
			for _, p := range resp {
				opt.Parameters.Set([]byte(p.Name), []byte(p.Value))
			}
			accepted = append(accepted, opt)
			exts = append(exts, ext)
			break
		}
	}
	return accepted, exts, nil
}
