// Package frame is the RFC 6455 wire codec of surge: opcodes, frame header
// encoding and incremental decoding over []byte, protocol validation with the
// close code each violation calls for, close frame payloads, and streaming
// UTF-8 validation.
//
// The package does no I/O, keeps no buffers and allocates nothing on its hot
// paths; the callers (package session) own every byte slice. Payload masking
// (RFC 6455 §5.3) lives in package mask, not here: [Header] only carries the
// masking key.
//
// The pieces map onto RFC 6455 as follows:
//
//   - [Opcode] and its methods: §5.2 and §11.8.
//   - [Header], [AppendHeader], [PutHeader], [DecodeHeader]: the base framing
//     protocol of §5.2, all three payload length forms. [DecodeHeader] works on
//     partial input and reports how many more bytes it needs, so a reader can
//     parse frames in place from whatever a socket read returned.
//   - [Validator]: the receiver-side rules of §5.1 (masking), §5.2 (RSV bits,
//     reserved opcodes, length), §5.4 (fragmentation) and §5.5 (control
//     frames). Each violation is a [*CloseReason] carrying the close code
//     (§7.4.1) to fail the connection with.
//   - [CloseCode], [ParseClose], [AppendClose]: close frame bodies, §5.5.1 and
//     §7.4.
//   - [UTF8], [ValidUTF8]: text payload validation, §5.6 and §8.1. [UTF8]
//     carries its state across fragments and reads and fails at the first
//     byte that makes the text invalid, so a receiver can fail the connection
//     with 1007 without waiting for the end of the message.
package frame
