package mask_test

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzXOR checks every implementation against refXOR on arbitrary payloads,
// keys, positions, start offsets and chunk splits.
func FuzzXOR(f *testing.F) {
	f.Add([]byte{}, uint32(0), 0, uint8(0), uint16(0))
	f.Add([]byte("Hello"), uint32(0x3d21fa37), 0, uint8(0), uint16(2))
	f.Add(bytes.Repeat([]byte{0xff}, 33), uint32(0xdeadbeef), 3, uint8(1), uint16(31))
	f.Add(bytes.Repeat([]byte("abcdefgh"), 64), uint32(1), 1, uint8(5), uint16(511))
	f.Add(make([]byte, 1000), uint32(0x01020304), -7, uint8(7), uint16(999))
	f.Fuzz(func(t *testing.T, data []byte, k uint32, pos int, off uint8, split uint16) {
		var key [4]byte
		binary.LittleEndian.PutUint32(key[:], k)
		want := make([]byte, len(data))
		wantPos := refXOR(want, data, key, pos)

		o := int(off % 8)
		cut := 0
		if len(data) > 0 {
			cut = int(split) % (len(data) + 1)
		}
		buf := make([]byte, o+len(data))
		for _, im := range impls() {
			b := buf[o:]
			copy(b, data)
			p := im.xor(b[:cut], key, pos)
			if got := im.xor(b[cut:], key, p); got != wantPos || !bytes.Equal(b, want) {
				t.Fatalf("%s XOR (cut %d): pos %d want %d, equal=%v", im.name, cut, got, wantPos, bytes.Equal(b, want))
			}

			clear(buf)
			p = im.xorCopy(b[:cut], data[:cut], key, pos)
			if got := im.xorCopy(b[cut:], data[cut:], key, p); got != wantPos || !bytes.Equal(b, want) {
				t.Fatalf("%s XORCopy (cut %d): pos %d want %d, equal=%v", im.name, cut, got, wantPos, bytes.Equal(b, want))
			}
		}
	})
}
