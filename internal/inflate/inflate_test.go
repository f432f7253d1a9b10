package inflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// bitWriter writes a DEFLATE bit stream: fields least significant bit first,
// Huffman codes most significant bit first (RFC 1951 §3.1.1).
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) code(c uint64, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

func (w *bitWriter) bytes() []byte {
	if w.n > 0 {
		return append(w.out, byte(w.acc))
	}
	return w.out
}

// The dynamic blocks below share one literal/length tree: 'a' is 0,
// end-of-block 10 and length code 257 (a match of 3) 11. Their code-length
// code gives the lengths 0, 1, 2 and the zero run 18 two bits each.
const (
	litA, litAlen   = 0, 1
	eob, eobLen     = 2, 2
	len3, len3Len   = 3, 2
	distSym0, dLen1 = 0, 1
)

// header writes a dynamic block's header with the given distance code
// lengths (each 0, 1 or 2); emptyCodeLengths writes a code-length code with
// no codes at all instead, which nothing can be read with.
func (w *bitWriter) header(final bool, distLens []int, emptyCodeLengths bool) {
	w.bits(b2u(final), 1)
	w.bits(2, 2)
	w.bits(258-257, 5) // HLIT: symbols 0-257
	w.bits(uint64(len(distLens)-1), 5)
	if emptyCodeLengths {
		w.bits(0, 4) // HCLEN: 4 code-length code lengths, all zero
		w.bits(0, 12)
		return
	}
	w.bits(18-4, 4)
	for _, sym := range codeOrder[:18] {
		switch sym {
		case 0, 1, 2, 18:
			w.bits(2, 3)
		default:
			w.bits(0, 3)
		}
	}
	cl := func(sym int) {
		w.code(map[int]uint64{0: 0, 1: 1, 2: 2, 18: 3}[sym], 2)
	}
	zeros := func(n int) {
		for n > 0 {
			r := min(n, 138)
			cl(18)
			w.bits(uint64(r-11), 7)
			n -= r
		}
	}
	zeros(97)
	cl(1) // 'a'
	zeros(256 - 98)
	cl(2) // end of block
	cl(2) // 257
	for _, l := range distLens {
		cl(l)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// matchBlock is "a" and a match of 3 at distance 1: "aaaa".
func matchBlock(w *bitWriter, final bool) {
	w.header(final, []int{1, 1}, false)
	w.code(litA, litAlen)
	w.code(len3, len3Len)
	w.code(distSym0, dLen1)
	w.code(eob, eobLen)
}

// emptyDistBlock has no distance codes (legal: "the data is all
// literals") and, when match is set, still asks for a match: corrupt.
func emptyDistBlock(w *bitWriter, final, match bool) {
	w.header(final, []int{0}, false)
	w.code(litA, litAlen)
	if match {
		w.code(len3, len3Len)
		w.code(distSym0, dLen1)
	}
	w.code(eob, eobLen)
}

func stream(blocks ...func(w *bitWriter)) []byte {
	var w bitWriter
	for _, b := range blocks {
		b(&w)
	}
	return w.bytes()
}

// stdInflate is the oracle: compress/flate with a fresh reader.
func stdInflate(p []byte, limit int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(p)), limit))
}

func inflate(f *Reader, p []byte, limit int64) ([]byte, error) {
	var r bytes.Reader
	r.Reset(p)
	f.Reset(&r, nil)
	return io.ReadAll(io.LimitReader(f, limit))
}

// TestEmptyTreeAfterTree is the fix: a tree with no codes after a block (of
// this stream or an earlier one) that had codes must not decode with the
// earlier block's table.
func TestEmptyTreeAfterTree(t *testing.T) {
	warm := stream(func(w *bitWriter) { matchBlock(w, true) })
	for _, tc := range []struct {
		name    string
		in      []byte
		want    string // "" for corrupt input
		reflate bool   // decode warm first with the same Reader
	}{
		{"match block", warm, "aaaa", false},
		{"literals, no distance codes", stream(func(w *bitWriter) { emptyDistBlock(w, true, false) }), "a", true},
		{"match with no distance codes, next stream", stream(func(w *bitWriter) { emptyDistBlock(w, true, true) }), "", true},
		{"match with no distance codes, next block", stream(
			func(w *bitWriter) { matchBlock(w, false) },
			func(w *bitWriter) { emptyDistBlock(w, true, true) }), "", false},
		{"literals with no distance codes, next block", stream(
			func(w *bitWriter) { matchBlock(w, false) },
			func(w *bitWriter) { emptyDistBlock(w, true, false) }), "aaaaa", false},
		{"no code-length codes, next stream", stream(func(w *bitWriter) { w.header(true, []int{1, 1}, true) }), "", true},
		{"no code-length codes, next block", stream(
			func(w *bitWriter) { matchBlock(w, false) },
			func(w *bitWriter) { w.header(true, []int{1, 1}, true) }), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, rerr := stdInflate(tc.in, 1<<20)
			if (rerr != nil) != (tc.want == "") || (rerr == nil && string(ref) != tc.want) {
				t.Fatalf("the test's stream is wrong: compress/flate gives %q, %v", ref, rerr)
			}
			var f Reader
			if tc.reflate {
				if got, err := inflate(&f, warm, 1<<20); err != nil || string(got) != "aaaa" {
					t.Fatalf("warm-up: %q, %v", got, err)
				}
			}
			got, err := inflate(&f, tc.in, 1<<20)
			if tc.want == "" {
				var ce CorruptInputError
				if !errors.As(err, &ce) {
					t.Fatalf("got %q, %v; want CorruptInputError", got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestTruncated: input that ends inside a block is io.ErrUnexpectedEOF, at
// every cut.
func TestTruncated(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 6)
	w.Write(bytes.Repeat([]byte("the quick brown fox "), 50))
	w.Close()
	full := buf.Bytes()
	var f Reader
	for cut := range len(full) {
		got, err := inflate(&f, full[:cut], 1<<20)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			var ce CorruptInputError
			if !errors.As(err, &ce) {
				t.Fatalf("cut at %d of %d: %d bytes, %v", cut, len(full), len(got), err)
			}
		}
	}
}

// TestDictionary: a stream compressed against a preset dictionary inflates
// with it, as under context takeover.
func TestDictionary(t *testing.T) {
	dict := []byte("surge websocket engine, zero allocations")
	msg := []byte("zero allocations in a surge websocket engine")
	var buf bytes.Buffer
	w, _ := flate.NewWriterDict(&buf, 9, dict)
	w.Write(msg)
	w.Close()
	var f Reader
	var r bytes.Reader
	r.Reset(buf.Bytes())
	f.Reset(&r, dict)
	got, err := io.ReadAll(&f)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("got %q, %v", got, err)
	}
}

// samples are streams of the kinds a WebSocket peer sends, compressed by
// compress/flate and klauspost at several levels.
func samples() [][]byte {
	var out [][]byte
	var texts [][]byte
	for _, n := range []int{0, 1, 64, 1000, 20000, 70000} {
		var b bytes.Buffer
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, `{"id":%d,"name":"user%d","score":%d},`, i, i*7, i%100)
		}
		texts = append(texts, b.Bytes()[:n])
	}
	for _, txt := range texts {
		for _, level := range []int{0, 1, 6, 9, -2} {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, level)
			w.Write(txt)
			w.Close()
			out = append(out, bytes.Clone(b.Bytes()))
			b.Reset()
			kw, _ := kflate.NewWriter(&b, level)
			kw.Write(txt)
			kw.Flush()
			kw.Write(txt)
			kw.Close()
			out = append(out, b.Bytes())
		}
	}
	return out
}

// TestAgreesWithCompressFlate inflates the samples, and every one of them
// cut short and with a byte flipped, with one reused Reader and compares
// with compress/flate.
func TestAgreesWithCompressFlate(t *testing.T) {
	var f Reader
	for i, s := range samples() {
		check(t, &f, s, fmt.Sprint("sample ", i))
		check(t, &f, s[:len(s)/2], fmt.Sprint("half of sample ", i))
		for j := 0; j < len(s); j += 1 + len(s)/50 {
			c := bytes.Clone(s)
			c[j] ^= 0x5a
			check(t, &f, c, fmt.Sprintf("sample %d, byte %d flipped", i, j))
		}
	}
}

// check compares f with compress/flate on p: both fail, or both inflate the
// same bytes.
func check(t *testing.T, f *Reader, p []byte, what string) {
	t.Helper()
	const limit = 1 << 20
	want, werr := stdInflate(p, limit)
	got, err := inflate(f, p, limit)
	if (err == nil) != (werr == nil) {
		t.Fatalf("%s: got %d bytes, %v; compress/flate %d bytes, %v", what, len(got), err, len(want), werr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes, compress/flate %d, differing", what, len(got), len(want))
	}
}

// fuzzReader is reused across the fuzzer's inputs: the tables one input
// leaves behind are what the next one must not use.
var fuzzReader Reader

// FuzzReader checks the Reader against compress/flate on any input, with a
// Reader that earlier inputs have used.
func FuzzReader(f *testing.F) {
	for _, s := range samples()[:20] {
		f.Add(s)
	}
	f.Add(stream(func(w *bitWriter) { matchBlock(w, true) }))
	f.Add(stream(func(w *bitWriter) { emptyDistBlock(w, true, true) }))
	f.Add(stream(func(w *bitWriter) { matchBlock(w, false) }, func(w *bitWriter) { emptyDistBlock(w, true, true) }))
	f.Add([]byte("\xec\xc11\r\x00\x00\x00°\xf9W\x8d\n\xbe\xa6"))
	f.Add([]byte("\xec\xc11\r\x00\x00\x00°\xf9W\x8d\n\xbe&\x05700\x00\x00\xff\xff\x01\x00\x00\xff\xff"))
	f.Fuzz(func(t *testing.T, p []byte) {
		check(t, &fuzzReader, p, "input")
	})
}

// TestNoAllocations: a warm Reader inflates without allocating.
func TestNoAllocations(t *testing.T) {
	s := samples()
	in := s[len(s)-6] // 70000 bytes, level 6
	var f Reader
	var r bytes.Reader
	out := make([]byte, 4096)
	run := func() {
		r.Reset(in)
		f.Reset(&r, nil)
		for {
			if _, err := f.Read(out); err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				return
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Fatalf("%v allocations per stream", n)
	}
}

// BenchmarkInflate compares the fork with klauspost's decoder it comes from
// and with compress/flate, each reused, on messages of the sizes the
// benchmarks use.
func BenchmarkInflate(b *testing.B) {
	for _, n := range []int{64, 1024, 16384} {
		var txt bytes.Buffer
		for i := 0; txt.Len() < n; i++ {
			fmt.Fprintf(&txt, `{"id":%d,"name":"user%d","score":%d},`, i, i*7, i%100)
		}
		var c bytes.Buffer
		w, _ := kflate.NewWriter(&c, 1)
		w.Write(txt.Bytes()[:n])
		w.Flush()
		in := append(c.Bytes(), 1, 0, 0, 0xff, 0xff)
		out := make([]byte, n+1)
		var r bytes.Reader
		run := func(b *testing.B, rd io.Reader, reset func()) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(in)
				reset()
				if m, err := io.ReadFull(rd, out); m != n || err != io.ErrUnexpectedEOF {
					b.Fatal(m, err)
				}
			}
		}
		b.Run(fmt.Sprintf("inflate/%d", n), func(b *testing.B) {
			var f Reader
			run(b, &f, func() { f.Reset(&r, nil) })
		})
		b.Run(fmt.Sprintf("klauspost/%d", n), func(b *testing.B) {
			k := kflate.NewReader(&r)
			run(b, k, func() { k.(kflate.Resetter).Reset(&r, nil) })
		})
		b.Run(fmt.Sprintf("compress-flate/%d", n), func(b *testing.B) {
			s := flate.NewReader(&r)
			run(b, s, func() { s.(flate.Resetter).Reset(&r, nil) })
		})
	}
}
