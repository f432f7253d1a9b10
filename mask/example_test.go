package mask_test

import (
	"fmt"

	"github.com/surgews/surge/mask"
)

// The masked "Hello" frame of RFC 6455 §5.7 is unmasked in place.
func ExampleXOR() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	payload := []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58}

	next := mask.XOR(payload, key, 0)
	fmt.Printf("%s, next key index %d\n", payload, next)
	// Output: Hello, next key index 1
}

// A payload that arrived in two reads is unmasked chunk by chunk by threading
// the key index.
func ExampleXOR_chunked() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	first := []byte{0x7f, 0x9f, 0x4d}
	second := []byte{0x51, 0x58}

	pos := mask.XOR(first, key, 0)
	pos = mask.XOR(second, key, pos)
	fmt.Printf("%s%s %d\n", first, second, pos)
	// Output: Hello 1
}

// XORCopy moves a masked payload out of a read buffer into a message buffer
// and unmasks it in the same pass; the read buffer is left as it was.
func ExampleXORCopy() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	readBuf := []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58}
	msg := make([]byte, len(readBuf))

	mask.XORCopy(msg, readBuf, key, 0)
	fmt.Printf("%s % x\n", msg, readBuf)
	// Output: Hello 7f 9f 4d 51 58
}
