package conformance_test

import "slices"

// allCases is the whole catalogue, in report order.
func allCases() []tcase {
	return slices.Concat(
		framingCases(), pingCases(), rsvCases(), opcodeCases(),
		fragmentCases(), utf8Cases(), closeCases(), limitCases(), deflateCases(), pmdCases(), surgeCases(),
	)
}
