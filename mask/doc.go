// Package mask implements the WebSocket payload masking of RFC 6455 §5.3.
//
// A client masks every frame it sends with a 32-bit key carried in the frame
// header (RFC 6455 §5.2); the server unmasks it with the same operation,
// because masking is a plain XOR: byte i of the payload is XORed with byte
// i mod 4 of the key. Both directions therefore use the same two functions:
// [XOR] works in place, [XORCopy] unmasks while copying, so a payload read into
// a shared buffer can be moved into a message buffer in one pass.
//
// A payload often arrives over several reads. Both functions take the key
// position to start from and return the position to continue from, so a frame
// is processed chunk by chunk by threading that value through the calls (RFC
// 6455 §5.3: the index is counted from the first payload byte of the frame,
// not of the chunk).
//
// On amd64 the work is done by AVX-512, AVX2 or SSE2 code chosen once from the
// CPU features when the package is initialised; on arm64 by NEON code. Other
// architectures, and any build with the purego tag, use a portable Go version
// that processes eight bytes per step. All implementations give identical
// results, never allocate, and are safe for concurrent use on disjoint
// buffers.
package mask
