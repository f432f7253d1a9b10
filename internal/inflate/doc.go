// Copyright 2009 The Go Authors. All rights reserved.
// Copyright 2019 Klaus Post. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package inflate is the DEFLATE decompressor (RFC 1951) of
// github.com/klauspost/compress/flate v1.20.4, cut down to what package
// deflate needs: a *bytes.Reader source, Reset with a preset dictionary, and
// output handed back at each sync flush. The specialised block decoder for
// *bytes.Reader, which makes klauspost's inflater about 1.5 times faster than
// compress/flate's at 16 KiB and allocation-free, is kept as generated.
//
// It is a fork for one fix. klauspost's decoder keeps its Huffman lookup
// tables across blocks and across Reset, and initialising an empty tree
// (legal for the distance tree, RFC 1951 §3.2.7, and accepted for the
// code-length tree) returned before clearing them. A symbol read with the
// empty tree then decoded through the previous block's table instead of
// failing, so a corrupt stream inflated to bytes where compress/flate, and a
// fresh decoder, report corrupt input. Here an empty tree clears its table
// (huffmanDecoder.init), and FuzzReader checks this package against
// compress/flate with a decoder reused across inputs, as package deflate
// uses it.
//
// Everything else follows upstream; the checkpoint API, partial-flush mode,
// WriteTo and the decoders for other reader types are left out, and init's
// compiled-out sanity checks became TestInitOverwritesEveryEntry.
package inflate
