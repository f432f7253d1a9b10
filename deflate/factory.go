package deflate

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/surgews/surge/extension"
)

// ExtensionName is the extension token of RFC 7692 §5.
const ExtensionName = "permessage-deflate"

// Factory negotiates permessage-deflate and makes each session's Extension.
// It implements extension.Factory for both roles: Accept on a server,
// Offer and Confirm on a client. A Factory is safe for concurrent use; make
// one per configuration and share it between servers and dialers. It also
// owns the pools of compressors its sessions borrow.
type Factory struct {
	s settings
	// enc pools compressors by window size (index bits-MinWindowBits): a
	// compressor for one window cannot serve another.
	enc [MaxWindowBits - MinWindowBits + 1]sync.Pool
	// shared holds the one Extension used by every stateless session with
	// the same role and window sizes, so those sessions cost nothing.
	shared [2][MaxWindowBits - MinWindowBits + 1][MaxWindowBits - MinWindowBits + 1]atomic.Pointer[Extension]
}

var _ extension.Factory = (*Factory)(nil)

// New returns a Factory configured by cfg (copied). Config.Level is clamped to
// 1-9.
func New(cfg Config) *Factory {
	f := &Factory{s: cfg.settings()}
	f.s.level = min(max(f.s.level, flate.BestSpeed), flate.BestCompression)
	return f
}

// Name returns ExtensionName.
func (f *Factory) Name() string { return ExtensionName }

// Accept answers one offer on a server (RFC 7692 §7.1). It declines
// (ok = false, nil error) an offer with an unknown, duplicate or invalid
// parameter, or with a parameter the Config refuses, so the engine tries the
// client's next offer; it never fails the handshake.
func (f *Factory) Accept(offer []extension.Param) (response []extension.Param, ext extension.Extension, ok bool, err error) {
	o, perr := parseParams(offer, true)
	if perr != nil {
		return nil, nil, false, nil
	}
	s := &f.s
	var p Params

	if o.serverNCT && s.serverNCT == PolicyRefuse || o.clientNCT && s.clientNCT == PolicyRefuse ||
		o.hasServerBits && s.serverMWB == PolicyRefuse || o.hasClientBits && s.clientMWB == PolicyRefuse {
		return nil, nil, false, nil
	}
	// A server may add either no_context_takeover on its own (§7.1.1); it
	// echoes client_no_context_takeover so the client's hint becomes binding
	// and the server need not keep an inflate window.
	p.ServerNoContextTakeover = o.serverNCT || s.serverNCT == PolicyPrefer
	p.ClientNoContextTakeover = o.clientNCT || s.clientNCT == PolicyPrefer

	p.ServerMaxWindowBits = s.serverBits
	announceServer := false
	if o.hasServerBits {
		// §7.1.2.1: accepting means answering with the same or a smaller value.
		p.ServerMaxWindowBits = min(o.serverBits, s.serverBits)
		announceServer = true
	} else if s.serverMWB == PolicyPrefer && s.serverBits < MaxWindowBits {
		announceServer = true
	}

	p.ClientMaxWindowBits = MaxWindowBits
	announceClient := false
	if o.hasClientBits {
		// §7.1.2.2: only an offer carrying the parameter lets the server
		// limit the client's window.
		b := s.clientBits
		if o.clientBits != 0 {
			b = min(b, o.clientBits)
		}
		p.ClientMaxWindowBits = b
		announceClient = b < MaxWindowBits
	}
	return p.response(announceServer, announceClient), f.extension(p, true), true, nil
}

// Offer returns the parameters a client offers, following the Config's
// policies: each PolicyPrefer no_context_takeover, server_max_window_bits
// under PolicyPrefer, and client_max_window_bits unless refused.
func (f *Factory) Offer() []extension.Param {
	s := &f.s
	var out []extension.Param
	if s.serverNCT == PolicyPrefer {
		out = append(out, extension.Param{Name: ParamServerNoContextTakeover})
	}
	if s.clientNCT == PolicyPrefer {
		out = append(out, extension.Param{Name: ParamClientNoContextTakeover})
	}
	if s.serverMWB == PolicyPrefer && s.serverBits < MaxWindowBits {
		out = append(out, extension.Param{Name: ParamServerMaxWindowBits, Value: strconv.Itoa(s.serverBits)})
	}
	if s.clientMWB != PolicyRefuse {
		p := extension.Param{Name: ParamClientMaxWindowBits}
		if s.clientBits < MaxWindowBits {
			p.Value = strconv.Itoa(s.clientBits)
		}
		out = append(out, p)
	}
	return out
}

// Confirm checks a server's response to Offer on a client and returns the
// session's Extension. It fails the handshake (RFC 7692 §7.1) when the
// response has an unknown, duplicate or invalid parameter, a window larger
// than offered, client_max_window_bits that was not offered, or a parameter
// the Config refuses.
func (f *Factory) Confirm(response []extension.Param) (extension.Extension, error) {
	r, err := parseParams(response, false)
	if err != nil {
		return nil, err
	}
	s := &f.s
	var p Params
	if r.serverNCT && s.serverNCT == PolicyRefuse {
		return nil, fmt.Errorf("%w: %s", ErrRefused, ParamServerNoContextTakeover)
	}
	if r.clientNCT && s.clientNCT == PolicyRefuse {
		return nil, fmt.Errorf("%w: %s", ErrRefused, ParamClientNoContextTakeover)
	}
	p.ServerNoContextTakeover = r.serverNCT
	// An offered client_no_context_takeover is a promise the client keeps
	// even when the server does not echo it (§7.1.1.2).
	p.ClientNoContextTakeover = r.clientNCT || s.clientNCT == PolicyPrefer

	p.ServerMaxWindowBits = MaxWindowBits
	if r.hasServerBits {
		offered := s.serverMWB == PolicyPrefer && s.serverBits < MaxWindowBits
		switch {
		case s.serverMWB == PolicyRefuse:
			return nil, fmt.Errorf("%w: %s", ErrRefused, ParamServerMaxWindowBits)
		case offered && r.serverBits > s.serverBits:
			return nil, fmt.Errorf("%w: %s=%d above the offered %d", ErrNotOffered, ParamServerMaxWindowBits, r.serverBits, s.serverBits)
		}
		p.ServerMaxWindowBits = r.serverBits
	}

	p.ClientMaxWindowBits = s.clientBits
	if r.hasClientBits {
		switch {
		case s.clientMWB == PolicyRefuse:
			return nil, fmt.Errorf("%w: %s", ErrNotOffered, ParamClientMaxWindowBits)
		case s.clientBits < MaxWindowBits && r.clientBits > s.clientBits:
			return nil, fmt.Errorf("%w: %s=%d above the offered %d", ErrNotOffered, ParamClientMaxWindowBits, r.clientBits, s.clientBits)
		}
		p.ClientMaxWindowBits = min(r.clientBits, s.clientBits)
	}
	return f.extension(p, false), nil
}

// extension returns the session's Extension for p: the shared one when
// neither direction keeps context, a new one otherwise.
func (f *Factory) extension(p Params, server bool) *Extension {
	e := Extension{f: f, p: p, server: server}
	if server {
		e.encBits, e.encNCT = p.ServerMaxWindowBits, p.ServerNoContextTakeover
		e.decBits, e.decNCT = p.ClientMaxWindowBits, p.ClientNoContextTakeover
	} else {
		e.encBits, e.encNCT = p.ClientMaxWindowBits, p.ClientNoContextTakeover
		e.decBits, e.decNCT = p.ServerMaxWindowBits, p.ServerNoContextTakeover
	}
	if !e.encNCT || !e.decNCT {
		return &e
	}
	role := 0
	if server {
		role = 1
	}
	slot := &f.shared[role][p.ServerMaxWindowBits-MinWindowBits][p.ClientMaxWindowBits-MinWindowBits]
	if sh := slot.Load(); sh != nil {
		return sh
	}
	if slot.CompareAndSwap(nil, &e) {
		return &e
	}
	return slot.Load()
}

// getEncoder borrows a compressor for a window of 2^bits bytes.
func (f *Factory) getEncoder(bits int) *encoder {
	if v := f.enc[bits-MinWindowBits].Get(); v != nil {
		return v.(*encoder)
	}
	enc := &encoder{bits: bits}
	var err error
	if bits == MaxWindowBits {
		enc.w, err = flate.NewWriter(&enc.out, f.s.level)
	} else {
		enc.w, err = flate.NewWriterWindow(&enc.out, 1<<bits)
	}
	if err != nil {
		// Unreachable: level and window are validated by New and the
		// negotiation.
		panic("deflate: " + err.Error())
	}
	return enc
}

// putEncoder gives enc back to its pool, holding no message bytes.
func (f *Factory) putEncoder(enc *encoder) {
	enc.out.b = nil
	enc.w.Reset(&enc.out)
	f.enc[enc.bits-MinWindowBits].Put(enc)
}
