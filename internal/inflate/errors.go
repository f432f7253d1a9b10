// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package inflate

import "strconv"

// A CorruptInputError reports corrupt input at a given offset of the
// compressed stream.
type CorruptInputError int64

func (e CorruptInputError) Error() string {
	return "inflate: corrupt input before offset " + strconv.FormatInt(int64(e), 10)
}
