package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/internal/bufpool"
	"github.com/surgews/surge/internal/counters"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// DialOptions configures Dial. A nil *DialOptions means the defaults; Dial
// does not change the options, so one value may serve many dials.
type DialOptions struct {
	// Protocols are the subprotocols offered, preferred first.
	Protocols []string
	// Extensions are the extensions offered, in order.
	Extensions []extension.Factory
	// Header holds extra request headers (Origin, Authorization, ...).
	Header http.Header
	// HandshakeTimeout bounds connecting plus the opening handshake; 0 means
	// 30 seconds (and ctx may end it sooner).
	HandshakeTimeout time.Duration
	// LocalAddr is the local address to bind, for example 127.0.0.2:0 to
	// spread many connections to one server over several source addresses.
	LocalAddr *net.TCPAddr
	// TLSConfig is used for wss:// URLs; nil means a default with the URL's
	// host as ServerName.
	TLSConfig *tls.Config
	// NetDial, when set, opens the connection instead of a TCP dial, for
	// example over a net.Pipe or a proxy; the session then runs on the
	// portable driver (a goroutine that reads and one that writes), TLS
	// included for wss:// URLs.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Session holds the settings of the client session (ping interval,
	// limits, Dispatch of Handler's events). The session always masks what
	// it sends (RFC 6455 §5.3); set Session.Masking to accept a server that
	// masks too.
	Session session.Config
	// Handler makes an event-style client session; nil makes a
	// channel-style one: read Incoming.
	Handler session.Handler
	// Dialer runs ws:// connections on its event loops; nil means a shared
	// default Dialer with GOMAXPROCS loops.
	Dialer *Dialer
}

// Dialer holds the event loops of client connections, and their worker pool
// for event handlers under session.DispatchPool. Safe for concurrent use.
type Dialer struct {
	cfg      ReactorConfig
	reactor  *reactor // nil where there are no event loops: dials are portable
	poolOnce sync.Once
	pool     seam.Pool
	closed   atomic.Bool
	ctr      counters.Set // the portable (wss://, NetDial) sessions dialled through it
}

// unobserved counts the portable dials made without a Dialer: no Stats
// reports them.
var unobserved counters.Set

// NewDialer starts a Dialer's event loops.
func NewDialer(cfg ReactorConfig) (*Dialer, error) {
	d := &Dialer{cfg: cfg}
	rc, err := startDialerReactor(cfg)
	if err != nil {
		return nil, err
	}
	d.reactor = rc
	return d, nil
}

// Close ends every session of the Dialer's loops and stops them.
func (d *Dialer) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	if d.reactor != nil {
		d.reactor.stop()
	}
	d.poolOnce.Do(func() {}) // no pool from now on
	if d.pool != nil {
		d.pool.Close()
	}
	return nil
}

// workers returns the Dialer's pool, started on first use.
func (d *Dialer) workers() seam.Pool {
	d.poolOnce.Do(func() { d.pool = seam.NewPool(d.cfg.Workers) })
	return d.pool
}

var (
	defaultDialerOnce sync.Once
	defaultDialer     *Dialer
	defaultDialerErr  error
)

// dialer returns opts' Dialer or the shared default one.
func (o *DialOptions) dialer() (*Dialer, error) {
	if o.Dialer != nil {
		return o.Dialer, nil
	}
	defaultDialerOnce.Do(func() { defaultDialer, defaultDialerErr = NewDialer(ReactorConfig{}) })
	return defaultDialer, defaultDialerErr
}

// Dial opens a WebSocket client session to rawURL (ws:// or wss://) and
// returns it once the opening handshake is done. ws:// runs on the event
// loops; wss:// (and any connection NetDial makes) runs on the portable
// driver, over crypto/tls for wss://. A server that does not accept the
// upgrade gives a *HandshakeError, wrapped with the URL.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*session.Session, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	s, err := dial(ctx, rawURL, opts)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", rawURL, err)
	}
	return s, nil
}

func dial(ctx context.Context, rawURL string, opts *DialOptions) (*session.Session, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, errBadScheme
	}
	// Only the event loops and the worker pool need a Dialer: a wss://
	// or NetDial client with inline or channel dispatch starts none.
	portable := u.Scheme == "wss" || opts.NetDial != nil
	pooled := opts.Handler != nil && opts.Session.Dispatch == session.DispatchPool
	var d *Dialer
	if !portable || pooled || opts.Dialer != nil {
		if d, err = opts.dialer(); err != nil {
			return nil, err
		}
		if d.closed.Load() {
			return nil, ErrServerClosed
		}
	}
	timeout := opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	cr := handshake.ClientRequest{Host: u.Host, Path: u.RequestURI(), Protocols: opts.Protocols, Header: opts.Header}
	if len(opts.Extensions) > 0 {
		cr.Extensions = handshake.OfferExtensions(opts.Extensions)
	}
	req, key, err := handshake.AppendRequest(nil, &cr)
	if err != nil {
		return nil, err
	}
	var pool seam.Pool
	if pooled {
		pool = d.workers()
	}
	dl := &dialing{
		ctr: &unobserved,
		key: key, offered: opts.Protocols, factories: opts.Extensions,
		newSession: newRoute(&opts.Session, opts.Handler, nil, nil, pool),
		path:       u.Path, rawQuery: u.RawQuery, done: make(chan dialResult, 1),
	}
	if d != nil {
		dl.ctr = &d.ctr
	}
	if portable || d.reactor == nil {
		return dialPortable(ctx, u, host, opts, req, dl)
	}
	return dialReactor(ctx, d.reactor, host, opts, req, dl)
}

// dialing is the state of a client connection until its handshake ends.
type dialing struct {
	ctr        *counters.Set // where a portable dial counts
	key        [handshake.KeyLen]byte
	offered    []string
	factories  []extension.Factory
	newSession newSessionFunc
	path       string
	rawQuery   string
	req        []byte
	head       *bufpool.Buf // the response head so far (reactor dials)
	done       chan dialResult
}

type dialResult struct {
	s   *session.Session
	err error
}

// finish checks a complete response head and makes the client session on
// drv; it returns the length of the head.
func (d *dialing) finish(head []byte, drv seam.Driver, remote net.Addr) (*session.Session, seam.Endpoint, int, error) {
	res, err := handshake.ParseResponse(head, d.key, d.offered)
	if err != nil {
		return nil, nil, 0, handshakeError(err)
	}
	exts, err := handshake.ConfirmExtensions(d.factories, res.Extensions)
	if err != nil {
		return nil, nil, 0, handshakeError(err)
	}
	req := session.Request{Path: d.path, RawQuery: d.rawQuery, Remote: addrPort(remote), Protocol: res.Protocol, Extensions: exts}
	s, ep := d.newSession(seam.Client, drv, req)
	return s, ep, res.HeadLen, nil
}

// handshakeError turns what the client's checks of the answer found into a
// *HandshakeError; other errors pass.
func handshakeError(err error) error {
	var se *handshake.StatusError
	switch {
	case errors.As(err, &se):
		return &HandshakeError{StatusCode: se.Code, Reason: "the server refused: " + se.Status}
	case errors.Is(err, handshake.ErrMalformedResponse), errors.Is(err, handshake.ErrHeadTooLong):
		return &HandshakeError{Reason: err.Error()}
	case errors.Is(err, handshake.ErrResponseUpgrade), errors.Is(err, handshake.ErrResponseConnection),
		errors.Is(err, handshake.ErrMissingAccept), errors.Is(err, handshake.ErrBadAccept),
		errors.Is(err, handshake.ErrProtocolNotOffered), errors.Is(err, handshake.ErrExtensionNotOffered):
		return &HandshakeError{StatusCode: http.StatusSwitchingProtocols, Reason: err.Error()}
	}
	return err
}

// dialPortable connects (NetDial, or TCP), adds TLS for wss:// and runs the
// session on the portable driver.
func dialPortable(ctx context.Context, u *url.URL, addr string, opts *DialOptions, req []byte, d *dialing) (*session.Session, error) {
	var nc net.Conn
	var err error
	if opts.NetDial != nil {
		nc, err = opts.NetDial(ctx, "tcp", addr)
	} else {
		nd := net.Dialer{}
		if opts.Dialer != nil {
			nd.KeepAlive = opts.Dialer.cfg.KeepAlive // the same meaning as net's
		}
		if opts.LocalAddr != nil {
			nd.LocalAddr = opts.LocalAddr
		}
		nc, err = nd.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	if u.Scheme == "wss" {
		tc := opts.TLSConfig
		if tc == nil {
			tc = &tls.Config{ServerName: u.Hostname()}
		} else if tc.ServerName == "" {
			tc = tc.Clone()
			tc.ServerName = u.Hostname()
		}
		tlc := tls.Client(nc, tc)
		if err := tlc.HandshakeContext(ctx); err != nil {
			_ = tlc.Close()
			return nil, err
		}
		nc = tlc
	}
	return handshakePortable(ctx, nc, req, d)
}

// handshakePortable runs the client handshake over nc and starts the session
// on the portable driver.
func handshakePortable(ctx context.Context, nc net.Conn, req []byte, d *dialing) (*session.Session, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	// The deadline does not cover a cancelled ctx: closing nc does.
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer stop()
	if _, err := nc.Write(req); err != nil {
		_ = nc.Close()
		return nil, ctxErr(ctx, err)
	}
	head, err := handshake.ReadHead(nc, defaultMaxHeaderBytes)
	if err != nil {
		_ = nc.Close()
		return nil, ctxErr(ctx, handshakeError(err))
	}
	if !stop() {
		return nil, ctx.Err() // ctx ended as the head arrived; nc is closed
	}
	_ = nc.SetDeadline(time.Time{})
	p := newPortable(nc, d.ctr)
	s, ep, n, err := d.finish(head, p, nc.RemoteAddr())
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	p.bind(ep, s.Timeout())
	d.ctr.Upgraded.Add(1)
	p.start(head[n:])
	return s, nil
}

// ctxErr prefers ctx's error to err once ctx has ended: the I/O error is
// then only its consequence.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
