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
	"time"

	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/session"
)

// Errors of a failed client handshake; Dial wraps them with the URL.
var (
	// ErrBadAccept: the server's Sec-WebSocket-Accept does not match the key.
	ErrBadAccept = handshake.ErrBadAccept
	// ErrMissingAccept: the server sent no Sec-WebSocket-Accept.
	ErrMissingAccept = handshake.ErrMissingAccept
	// ErrProtocolNotOffered: the server chose a subprotocol the client did
	// not offer.
	ErrProtocolNotOffered = handshake.ErrProtocolNotOffered
	// ErrMalformedResponse: the server's answer is not a valid HTTP response.
	ErrMalformedResponse = handshake.ErrMalformedResponse
	// ErrResponseUpgrade: the answer lacks "Upgrade: websocket".
	ErrResponseUpgrade = handshake.ErrResponseUpgrade
	// ErrResponseConnection: the answer lacks "Connection: Upgrade".
	ErrResponseConnection = handshake.ErrResponseConnection
	// ErrExtensionNotOffered: the server answered with an extension the
	// client did not offer, or refused by the client's factory.
	ErrExtensionNotOffered = session.ErrExtensionNotOffered
	// ErrBadScheme: the URL is not ws:// or wss://.
	ErrBadScheme = errors.New("engine: URL scheme must be ws or wss")
)

// StatusError is the error of a handshake the server answered with a status
// other than 101; Code is the HTTP status.
type StatusError = handshake.StatusError

// DefaultDialTimeout bounds a Dial whose options and context set no limit.
const DefaultDialTimeout = 30 * time.Second

// DialOptions configures Dial. A nil *DialOptions means the defaults; Dial
// does not change the options, so one value may serve many dials.
type DialOptions struct {
	// Protocols are the subprotocols offered, preferred first.
	Protocols []string
	// Extensions are the extensions offered, in order.
	Extensions []session.ExtensionFactory
	// Header holds extra request headers (Origin, Authorization, ...).
	Header http.Header
	// HandshakeTimeout bounds connecting plus the opening handshake; 0 means
	// DefaultDialTimeout (and ctx may end it sooner).
	HandshakeTimeout time.Duration
	// LocalAddr is the local address to bind, for example 127.0.0.2:0 to
	// spread many connections to one server over several source addresses.
	LocalAddr *net.TCPAddr
	// TLSConfig is used for wss:// URLs; nil means a default with the URL's
	// host as ServerName.
	TLSConfig *tls.Config
	// Session holds the settings of the client session (ping interval,
	// limits, and Handler for an event-style client; without a Handler the
	// session is channel-style: read Incoming). nil means the defaults.
	// The session always masks what it sends (RFC 6455 §5.3). Sessions of
	// one Config share it; it must not change while they live.
	Session *session.Config
	// Dialer runs ws:// connections on its event loops; nil means a shared
	// default Dialer with GOMAXPROCS loops.
	Dialer *Dialer
}

// Dialer holds event loops for client connections. Safe for concurrent use.
type Dialer struct {
	srv *Server
}

// NewDialer starts a Dialer with the given number of event loops (0 means
// GOMAXPROCS).
func NewDialer(loops int) (*Dialer, error) {
	return NewDialerConfig(Config{Loops: loops})
}

// NewDialerConfig starts a Dialer whose event loops follow cfg's loop
// settings: Loops, ReadBufferSize and BusyPoll. The session settings of a
// connection come from its DialOptions.
func NewDialerConfig(cfg Config) (*Dialer, error) {
	s := New(Config{Loops: cfg.Loops, ReadBufferSize: cfg.ReadBufferSize, BusyPoll: cfg.BusyPoll})
	if err := s.startLoops(); err != nil {
		return nil, err
	}
	return &Dialer{srv: s}, nil
}

// Close ends every session of the Dialer and its loops.
func (d *Dialer) Close() error { return d.srv.Close() }

// Conns returns the number of open connections of the Dialer.
func (d *Dialer) Conns() int { return d.srv.Conns() }

var (
	defaultDialerOnce sync.Once
	defaultDialer     *Dialer
	defaultDialerErr  error
)

var defaultSessionConfig session.Config

// Dial opens a WebSocket client session to rawURL (ws:// or wss://) and
// returns it once the opening handshake is done. ws:// runs on the event
// loops; wss:// runs on the portable driver over crypto/tls. A failed
// handshake returns a *StatusError for a refused upgrade, or ErrBadAccept,
// ErrMissingAccept, ErrProtocolNotOffered, ErrMalformedResponse,
// ErrExtensionNotOffered, wrapped with the URL.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*session.Session, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, fmt.Errorf("%w: %q", ErrBadScheme, rawURL)
	}
	timeout := opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	host := u.Host
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	path := u.RequestURI()
	cr := handshake.ClientRequest{Host: u.Host, Path: path, Protocols: opts.Protocols, Header: opts.Header}
	if len(opts.Extensions) > 0 {
		cr.Extensions = session.OfferExtensions(opts.Extensions)
	}
	req, key, err := handshake.AppendRequest(nil, &cr)
	if err != nil {
		return nil, err
	}
	cfg := opts.Session
	if cfg == nil {
		cfg = &defaultSessionConfig
	}
	d := &dialing{
		key: key, offered: opts.Protocols, factories: opts.Extensions, cfg: cfg,
		path: u.Path, rawQuery: u.RawQuery, done: make(chan dialResult, 1),
	}
	var s *session.Session
	if u.Scheme == "wss" {
		s, err = dialPortable(ctx, host, u.Hostname(), opts, req, d)
	} else {
		s, err = dialReactor(ctx, host, opts, req, d)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", rawURL, err)
	}
	return s, nil
}

// dialing is the state of a client connection until its handshake ends.
type dialing struct {
	key       [handshake.KeyLen]byte
	offered   []string
	factories []session.ExtensionFactory
	cfg       *session.Config
	path      string
	rawQuery  string
	req       []byte
	done      chan dialResult
}

type dialResult struct {
	s   *session.Session
	err error
}

// finish checks a complete response head and makes the client session on drv.
func (d *dialing) finish(head []byte, drv session.Driver, remote net.Addr) (*session.Session, int, error) {
	res, err := handshake.ParseResponse(head, d.key, d.offered)
	if err != nil {
		return nil, 0, err
	}
	exts, err := confirmExtensions(d.factories, res.Extensions)
	if err != nil {
		return nil, 0, err
	}
	req := &session.Request{Path: d.path, RawQuery: d.rawQuery, Remote: addrPort(remote), Protocol: res.Protocol, Extensions: exts}
	return session.New(d.cfg, session.RoleClient, drv, req), res.HeadLen, nil
}

// confirmExtensions checks the server's extension answer against the
// offers; a malformed answer is also an ErrMalformedResponse.
func confirmExtensions(fs []session.ExtensionFactory, header string) ([]session.Extension, error) {
	exts, err := session.ConfirmExtensions(fs, header)
	if errors.Is(err, session.ErrBadExtensionAnswer) {
		err = fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	return exts, err
}

// dialPortable dials over TLS and runs the session on the portable driver.
func dialPortable(ctx context.Context, addr, serverName string, opts *DialOptions, req []byte, d *dialing) (*session.Session, error) {
	nd := net.Dialer{}
	if opts.LocalAddr != nil {
		nd.LocalAddr = opts.LocalAddr
	}
	raw, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := opts.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: serverName}
	} else if tc.ServerName == "" {
		tc = tc.Clone()
		tc.ServerName = serverName
	}
	nc := tls.Client(raw, tc)
	if err := nc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return handshakePortable(ctx, nc, req, d)
}

// handshakePortable runs the client handshake over nc and starts the session
// on the portable driver.
func handshakePortable(ctx context.Context, nc net.Conn, req []byte, d *dialing) (*session.Session, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	if _, err := nc.Write(req); err != nil {
		_ = nc.Close()
		return nil, err
	}
	head, err := handshake.ReadHead(nc, DefaultMaxHeaderBytes)
	if err != nil {
		_ = nc.Close()
		if errors.Is(err, handshake.ErrHeadTooLong) {
			err = ErrMalformedResponse
		}
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	p := newPconn(nc, writeTimeoutOf(d.cfg))
	s, n, err := d.finish(head, p, nc.RemoteAddr())
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	p.sess = s
	s.Start()
	go p.readLoop(head[n:])
	return s, nil
}

func writeTimeoutOf(c *session.Config) time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return session.DefaultTimeout
}
