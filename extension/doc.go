// Package extension is the seam between surge's sessions and WebSocket
// extensions (RFC 6455 §9), such as permessage-deflate (package deflate,
// RFC 7692). An application only picks extensions: it puts their factories in
// engine.Config.Extensions (server) or engine.DialOptions.Extensions
// (client). This package is for whoever writes one.
//
// A [Factory] negotiates the extension in the opening handshake: the client
// offers it with the parameters of [Factory.Offer], the server answers with
// [Factory.Accept], and the client checks the answer with [Factory.Confirm]
// (§9.1). Each side then holds an [Extension] per session, which turns the
// payload of whole messages into their wire form and back; surge joins
// fragments before decoding and encodes before fragmenting, so an extension
// sees messages, never frames.
package extension
