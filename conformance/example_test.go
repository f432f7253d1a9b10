package conformance_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/surgews/surge/conformance"
)

func ExampleReport_WriteMarkdown() {
	rep := &conformance.Report{Suites: []string{"server", "client"}}
	rep.Add(conformance.Result{Suite: "client", ID: "2.1", Desc: "Ping without payload.", Pass: true})
	rep.Add(conformance.Result{Suite: "server", ID: "2.1", Desc: "Ping without payload.", Pass: true})
	rep.Add(conformance.Result{Suite: "server", ID: "2.10", Desc: "Ten pings.", Detail: "9 pongs"})
	var b strings.Builder
	_ = rep.WriteMarkdown(&b, "")
	// Print the family table and the failures only.
	out := b.String()
	fmt.Fprint(os.Stdout, out[strings.Index(out, "## 2."):])
	// Output:
	// ## 2. Pings/Pongs
	//
	// | case | description | server | client |
	// |---|---|---|---|
	// | 2.1 | Ping without payload. | pass | pass |
	// | 2.10 | Ten pings. | **FAIL** | n/a |
	//
	// ## Failures
	//
	// - 2.10, server: 9 pongs
}

func ExampleCompareIDs() {
	fmt.Println(conformance.CompareIDs("2.9", "2.10"), conformance.CompareIDs("9.1.1", "S.1"), conformance.CompareIDs("7.7.1", "7.7.1"))
	// Output: -1 -1 0
}

func ExampleFamily() {
	fmt.Println(conformance.Family("6.4.3"), conformance.FamilyTitle(conformance.Family("6.4.3")))
	// Output: 6 UTF-8 handling
}
