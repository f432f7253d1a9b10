package counters

import (
	"testing"

	"github.com/surgews/surge/frame"
)

func TestCodeBuckets(t *testing.T) {
	for _, tc := range []struct {
		code frame.CloseCode
		name string
	}{
		{1000, "1000"}, {1001, "1001"}, {1009, "1009"}, {1011, "1011"}, {1015, "1015"},
		{3000, "3000-3999"}, {3999, "3000-3999"}, {4000, "4000-4999"}, {4999, "4000-4999"},
		{999, "other"}, {1016, "other"}, {2000, "other"}, {5000, "other"}, {0, "other"},
	} {
		if got := BucketName(CodeBucket(tc.code)); got != tc.name {
			t.Errorf("code %d: bucket %q, want %q", tc.code, got, tc.name)
		}
	}
	seen := map[string]bool{}
	for b := range NCodeBucket {
		n := BucketName(b)
		if seen[n] {
			t.Errorf("bucket name %q twice", n)
		}
		seen[n] = true
	}
}

func TestStatusBuckets(t *testing.T) {
	for _, s := range Statuses[:len(Statuses)-1] {
		if Statuses[StatusBucket(s)] != s {
			t.Errorf("status %d lands in %d", s, Statuses[StatusBucket(s)])
		}
	}
	for _, s := range []int{200, 500, 418} {
		if StatusBucket(s) != len(Statuses)-1 {
			t.Errorf("status %d not in the other bucket", s)
		}
	}
}

func TestTypeOf(t *testing.T) {
	if TypeOf(frame.OpText) != Text || TypeOf(frame.OpBinary) != Binary {
		t.Fatal("TypeOf")
	}
}
