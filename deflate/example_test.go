package deflate_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/extension"
	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// A server and a client that both speak permessage-deflate.
func Example() {
	f := deflate.New(deflate.Config{}) // safe to share between servers and dialers
	srv := engine.New(engine.Config{Extensions: []extension.Factory{f}})
	srv.HandleEvents("/", echo{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+srv.Addr().String()+"/", &engine.DialOptions{
		Extensions: []extension.Factory{f},
	})
	if err != nil {
		panic(err)
	}
	defer c.Terminate()
	fmt.Println(c.Request().Extensions[0].(*deflate.Extension).Params())
	_ = c.Send(ctx, session.CopyText(strings.Repeat("compress me ", 50)))
	in := <-c.Incoming()
	fmt.Println(len(in.Payload), "bytes back")
	in.Release()
	// Output:
	// permessage-deflate; server_no_context_takeover; client_no_context_takeover
	// 600 bytes back
}

func ExampleNew() {
	// Keep context takeover (better ratios, more memory per session) and
	// ask browsers for a 1 KiB window: a server then keeps at most 1 KiB of
	// inflate state per idle session.
	f := deflate.New(deflate.Config{
		ServerNoContextTakeover: deflate.PolicyAccept,
		ClientNoContextTakeover: deflate.PolicyAccept,
		ClientWindowBits:        10,
	})
	resp, ext, ok, _ := f.Accept([]extension.Param{{Name: "client_max_window_bits"}})
	fmt.Println(ok, resp)
	fmt.Println(ext.(*deflate.Extension).Params())
	// Output:
	// true [{client_max_window_bits 10}]
	// permessage-deflate; client_max_window_bits=10
}

func ExampleFactory_Accept() {
	f := deflate.New(deflate.Config{})
	for _, offer := range [][]extension.Param{
		{{Name: "server_max_window_bits", Value: "10"}},
		{{Name: "server_max_window_bits", Value: "7"}}, // invalid: declined
		{{Name: "mystery"}},                            // unknown: declined
	} {
		resp, _, ok, err := f.Accept(offer)
		fmt.Println(ok, resp, err)
	}
	// Output:
	// true [{server_no_context_takeover } {client_no_context_takeover } {server_max_window_bits 10}] <nil>
	// false [] <nil>
	// false [] <nil>
}

func ExampleFactory_Offer() {
	fmt.Println(deflate.New(deflate.Config{}).Offer())
	fmt.Println(deflate.New(deflate.Config{
		ServerNoContextTakeover: deflate.PolicyAccept,
		ClientNoContextTakeover: deflate.PolicyAccept,
		ServerMaxWindowBits:     deflate.PolicyPrefer,
		ServerWindowBits:        12,
	}).Offer())
	// Output:
	// [{server_no_context_takeover } {client_no_context_takeover } {client_max_window_bits }]
	// [{server_max_window_bits 12} {client_max_window_bits }]
}

func ExampleFactory_Confirm() {
	f := deflate.New(deflate.Config{})
	ext, err := f.Confirm([]extension.Param{{Name: "server_no_context_takeover"}})
	fmt.Println(ext.(*deflate.Extension).Params(), err)
	_, err = f.Confirm([]extension.Param{{Name: "client_max_window_bits", Value: "16"}})
	fmt.Println(err)
	// Output:
	// permessage-deflate; server_no_context_takeover; client_no_context_takeover <nil>
	// deflate: invalid extension parameter value: client_max_window_bits="16"
}

func ExampleExtension_EncodeMessage() {
	f := deflate.New(deflate.Config{})
	_, ext, _, _ := f.Accept(nil)
	msg := []byte(strings.Repeat(`{"event":"tick"},`, 20))
	wire, rsv, _ := ext.EncodeMessage(nil, msg)
	fmt.Println(len(msg), "->", len(wire), rsv == frame.Rsv1)
	small, rsv, _ := ext.EncodeMessage(nil, []byte("hi")) // below Threshold: sent as it is
	fmt.Println(len(small), rsv)
	// Output:
	// 340 -> 23 true
	// 0 0
}

func ExampleExtension_DecodeMessage() {
	_, ext, _, _ := deflate.New(deflate.Config{}).Accept(nil)
	// "Hello" as compressed in RFC 7692 §7.2.3.1.
	out, err := ext.DecodeMessage(nil, frame.Rsv1, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 1<<20)
	fmt.Printf("%s %v\n", out, err)
	_, err = ext.DecodeMessage(nil, frame.Rsv1, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 3)
	fmt.Println(err)
	// Output:
	// Hello <nil>
	// websocket: 1009 message too big: message too big
}
