package main

import "testing"

func TestCountCPUList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{
		{in: "0\n", want: 1, ok: true},
		{in: "0-1\n", want: 2, ok: true},
		{in: "0-3,8,10-11", want: 7, ok: true},
		{in: "", ok: false},
		{in: "a-b", ok: false},
		{in: "3-1", ok: false},
		{in: "0,,1", ok: false},
		{in: "-1", ok: false},
	} {
		n, ok := countCPUList(tt.in)
		if n != tt.want || ok != tt.ok {
			t.Errorf("countCPUList(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.want, tt.ok)
		}
	}
}
