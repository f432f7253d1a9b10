package wstest

import (
	"errors"
	"net"
	"net/url"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/internal/handshake"
	"github.com/surgews/surge/session"
)

// maxResponseHead bounds the server's answer to the upgrade request, like
// engine.DefaultMaxHeaderBytes bounds a request.
const maxResponseHead = engine.DefaultMaxHeaderBytes

// pipeHost is the Host header of a portable conversation: a net.Pipe has no
// address, and the .invalid TLD (RFC 2606) can never name a real host.
const pipeHost = "wstest.invalid"

// dialPipe serves one end of a net.Pipe with srv.ServeConn and runs a client
// session on the other. served is closed when ServeConn returns.
func dialPipe(srv *engine.Server, path string, o *engine.DialOptions, timeout time.Duration) (s *session.Session, served <-chan struct{}, err error) {
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return nil, nil, err
	}
	sc, cc := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeConn(sc)
	}()
	s, err = pipeHandshake(cc, u, o, timeout)
	if err != nil {
		_ = cc.Close()
		waitClosed(done, timeout)
		return nil, nil, err
	}
	return s, done, nil
}

// pipeHandshake does the client's opening handshake (RFC 6455 §4.1) on nc and
// starts the client session over it.
func pipeHandshake(nc net.Conn, u *url.URL, o *engine.DialOptions, timeout time.Duration) (*session.Session, error) {
	cr := handshake.ClientRequest{
		Host: pipeHost, Path: u.RequestURI(), Protocols: o.Protocols, Header: o.Header,
		Extensions: session.OfferExtensions(o.Extensions),
	}
	req, key, err := handshake.AppendRequest(nil, &cr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	if _, err := nc.Write(req); err != nil {
		return nil, err
	}
	head, err := handshake.ReadHead(nc, maxResponseHead)
	if errors.Is(err, handshake.ErrHeadTooLong) {
		return nil, errHeadTooLarge
	}
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	res, err := handshake.ParseResponse(head, key, o.Protocols)
	if err != nil {
		return nil, err
	}
	exts, err := session.ConfirmExtensions(o.Extensions, res.Extensions)
	if err != nil {
		return nil, err
	}
	cfg := o.Session
	if cfg == nil {
		cfg = &session.Config{}
	}
	d := newPipeDriver(nc, timeout)
	req2 := &session.Request{Path: u.Path, RawQuery: u.RawQuery, Protocol: res.Protocol, Extensions: exts}
	s := session.New(cfg, session.RoleClient, d, req2)
	d.start(s, head[res.HeadLen:])
	return s, nil
}
