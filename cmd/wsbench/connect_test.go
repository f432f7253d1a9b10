package main

import (
	"errors"
	"testing"
)

func TestSourcesFor(t *testing.T) {
	cases := []struct {
		url   string
		total int
		flag  int
		want  int
		err   error
	}{
		{url: "ws://127.0.0.1:9/", total: 10000, want: 1},
		{url: "ws://127.0.0.1:9/", total: 10001, want: 2},
		{url: "ws://127.0.0.1:9/", total: 19000, want: 2},
		{url: "ws://localhost:9/", total: 25000, want: 3},
		{url: "ws://[::1]:9/", total: 19000, want: 1},
		{url: "ws://10.0.0.1:9/", total: 19000, want: 1},
		{url: "ws://127.0.0.1:9/", total: 100, flag: 3, want: 3},
		{url: "ws://[::1]:9/", total: 100, flag: 2, err: errUsage},
	}
	for _, tc := range cases {
		got, err := sourcesFor(tc.url, tc.total, tc.flag)
		if !errors.Is(err, tc.err) || (tc.err == nil && got != tc.want) {
			t.Errorf("sourcesFor(%q, %d, %d) = %d, %v; want %d, %v", tc.url, tc.total, tc.flag, got, err, tc.want, tc.err)
		}
	}
}
