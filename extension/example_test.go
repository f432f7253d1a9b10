package extension_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// reverse is a toy per-message extension on RSV1: on the wire a message's
// bytes are reversed. A real one (package deflate) compresses instead.
type reverse struct{}

// reverseFactory negotiates "x-reverse" with no parameters.
type reverseFactory struct{}

func (reverseFactory) Name() string { return "x-reverse" }
func (reverseFactory) Accept([]extension.Param) ([]extension.Param, extension.Extension, bool, error) {
	return nil, reverse{}, true, nil
}
func (reverseFactory) Offer() []extension.Param { return nil }
func (reverseFactory) Confirm([]extension.Param) (extension.Extension, error) {
	return reverse{}, nil
}

func (reverse) Name() string { return "x-reverse" }
func (reverse) Rsv() byte    { return frame.Rsv1 }
func (reverse) Idle()        {}

func (reverse) EncodeMessage(dst, p []byte) ([]byte, byte, error) {
	return append(dst, reversed(p)...), frame.Rsv1, nil
}

func (reverse) DecodeMessage(dst []byte, _ byte, p []byte, limit int64) ([]byte, error) {
	if int64(len(p)) > limit {
		return nil, frame.ErrMessageTooBig
	}
	return append(dst, reversed(p)...), nil
}

func reversed(p []byte) []byte {
	r := slices.Clone(p)
	slices.Reverse(r)
	return r
}

// Example shows an extension negotiated by a server and a client: each side
// names its factory in its configuration, and the sessions encode and decode
// every message through it.
func Example() {
	srv := engine.New(engine.Config{Extensions: []extension.Factory{reverseFactory{}}})
	srv.HandleSession("/", func(s *session.Session) {
		for f := range s.Incoming() {
			_ = s.Send(context.Background(), f)
		}
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/",
		&engine.DialOptions{Extensions: []extension.Factory{reverseFactory{}}})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range c.Request().Extensions {
		fmt.Println("negotiated", e.Name())
	}
	_ = c.Send(ctx, session.CopyText("hello"))
	f := <-c.Incoming()
	fmt.Println(f.Text())
	f.Release()
	_ = c.Close(session.CloseReason{Code: frame.CloseNormal})
	<-c.Done()
	// Output:
	// negotiated x-reverse
	// hello
}
