package conformance_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surgews/surge/conformance"
)

// tcase is one conformance case: the peer's script and what surge must do.
type tcase struct {
	id    string // Autobahn id where the case corresponds, else "S.n"
	desc  string // one line, shown in docs/conformance.md
	steps []step
	// chops lists the write variants; nil means defaultChops. 0 writes each
	// send whole; n writes the first oddPrefix bytes of each send in n-byte
	// writes (all bytes when fullChop is set).
	chops    []int
	fullChop bool
	// limit is surge's MaxMessageSize for the case; 0 means the default.
	limit int64
	// deflate negotiates permessage-deflate (package deflate) for the case.
	deflate bool
	// pmd, with deflate, negotiates the parameters of a section 13 case
	// with surge configured by pmdConfig, and the peer keeps context.
	pmd *pmdParams
	// only restricts the case to "server" or "client" suites.
	only string
	// known maps a suite name, or "*" for all, to the reason a failure of
	// the case is tolerated; such failures are logged and reported as FAIL
	// but do not fail the run.
	known map[string]string
}

// defaultChops writes whole and at odd boundaries, so headers, lengths,
// masking keys and payloads get split everywhere.
var defaultChops = []int{0, 1, 3, 7}

// bigChops is for large messages, where 1-byte writes add nothing but time.
var bigChops = []int{0, 7}

// connector opens one conversation for a case variant: a connected peer and
// a function run after the peer is done, checking surge's side of the end.
type connector func(t *testing.T, tc *tcase, chop int) (*peer, func() error, error)

// runSuite runs every case of cases that applies to role against conn and
// records the results under suite.
func runSuite(t *testing.T, suite, role string, cases []tcase, conn connector) {
	for i := range cases {
		tc := &cases[i]
		if tc.only != "" && tc.only != role {
			continue
		}
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			chops := tc.chops
			if chops == nil {
				chops = defaultChops
			}
			errs := make([]error, len(chops))
			var wg sync.WaitGroup
			for j, chop := range chops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[j] = runVariant(t, tc, chop, conn)
				}()
			}
			wg.Wait()
			// Variants failing the same way are listed together.
			var fails, msgs []string
			variants := map[string][]string{}
			for j, err := range errs {
				if err != nil {
					m := err.Error()
					if variants[m] == nil {
						msgs = append(msgs, m)
					}
					variants[m] = append(variants[m], chopName(chops[j]))
				}
			}
			for _, m := range msgs {
				fails = append(fails, fmt.Sprintf("[%s] %s", strings.Join(variants[m], ", "), m))
			}
			res := conformance.Result{Suite: suite, ID: tc.id, Desc: describeCase(tc), Pass: len(fails) == 0,
				Detail: strings.Join(fails, "; ")}
			if !res.Pass {
				res.KnownFailure = tc.known[suite]
				if res.KnownFailure == "" {
					res.KnownFailure = tc.known["*"]
				}
			}
			report.Add(res)
			switch {
			case res.Pass && len(tc.known) > 0:
				t.Logf("case %s is marked as a known failure but passes: remove the marker", tc.id)
			case res.Pass:
			case res.KnownFailure != "":
				t.Logf("known failure (%s): %s", res.KnownFailure, res.Detail)
			default:
				t.Errorf("%s: %s", tc.desc, res.Detail)
			}
		})
	}
}

// runVariant runs the steps of tc once, written with chop.
func runVariant(t *testing.T, tc *tcase, chop int, conn connector) error {
	p, finish, err := conn(t, tc, chop)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	var stepErr error
	for i, st := range tc.steps {
		if err := st(p); err != nil {
			stepErr = fmt.Errorf("step %d: %w", i+1, err)
			break
		}
	}
	p.flush()
	p.stop()
	_ = p.nc.Close()
	if err := finish(); err != nil && stepErr == nil {
		stepErr = err
	}
	return stepErr
}

func chopName(c int) string {
	if c == 0 {
		return "whole"
	}
	return fmt.Sprintf("chop %d", c)
}

// describeCase is the report's one-line description, with the write
// variants when they are not the default ones.
func describeCase(tc *tcase) string {
	if tc.chops == nil {
		return tc.desc
	}
	var v []string
	for _, c := range tc.chops {
		v = append(v, chopName(c))
	}
	extra := ""
	if tc.fullChop {
		extra = ", every byte chopped"
	}
	return fmt.Sprintf("%s (writes: %s%s)", tc.desc, strings.Join(v, ", "), extra)
}

// waitDone waits for a session channel with a bound.
func waitDone(done <-chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
