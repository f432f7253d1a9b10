package deflate_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/surgews/surge/deflate"
	"github.com/surgews/surge/extension"
)

func ps(kv ...string) []extension.Param {
	var out []extension.Param
	for i := 0; i < len(kv); i += 2 {
		out = append(out, extension.Param{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

const (
	snct = deflate.ParamServerNoContextTakeover
	cnct = deflate.ParamClientNoContextTakeover
	smwb = deflate.ParamServerMaxWindowBits
	cmwb = deflate.ParamClientMaxWindowBits
)

var accept = deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept}

func TestAccept(t *testing.T) {
	cases := []struct {
		name     string
		cfg      deflate.Config
		offer    []extension.Param
		declined bool
		response []extension.Param
		params   deflate.Params
	}{
		{"bare offer, defaults", deflate.Config{}, nil, false, ps(snct, "", cnct, ""),
			deflate.Params{true, true, 15, 15}},
		{"bare offer, accept", accept, nil, false, nil, deflate.Params{false, false, 15, 15}},
		{"browser offer", accept, ps(cmwb, ""), false, nil, deflate.Params{false, false, 15, 15}},
		{"browser offer, small client window", deflate.Config{ClientNoContextTakeover: deflate.PolicyAccept, ClientWindowBits: 10}, ps(cmwb, ""), false,
			ps(snct, "", cmwb, "10"), deflate.Params{true, false, 15, 10}},
		{"client window capped by offer", deflate.Config{ClientWindowBits: 12}, ps(cmwb, "9"), false,
			ps(snct, "", cnct, "", cmwb, "9"), deflate.Params{true, true, 15, 9}},
		{"client window offered 15", accept, ps(cmwb, "15"), false, nil, deflate.Params{false, false, 15, 15}},
		{"server window asked", accept, ps(smwb, "10"), false, ps(smwb, "10"), deflate.Params{false, false, 10, 15}},
		{"server window asked 15 is answered", accept, ps(smwb, "15"), false, ps(smwb, "15"), deflate.Params{false, false, 15, 15}},
		{"server window capped by config", deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept, ServerWindowBits: 9}, ps(smwb, "12"), false,
			ps(smwb, "9"), deflate.Params{false, false, 9, 15}},
		{"server window preferred", deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept, ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 11}, nil, false,
			ps(smwb, "11"), deflate.Params{false, false, 11, 15}},
		{"server window kept quiet", deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept, ServerWindowBits: 11}, nil, false,
			nil, deflate.Params{false, false, 11, 15}},
		{"no context takeover asked", accept, ps(snct, "", cnct, ""), false, ps(snct, "", cnct, ""), deflate.Params{true, true, 15, 15}},
		{"all four", accept, ps(snct, "", cnct, "", smwb, "8", cmwb, "8"), false,
			ps(snct, "", cnct, "", smwb, "8", cmwb, "8"), deflate.Params{true, true, 8, 8}},
		{"quoted value", accept, ps(smwb, `"10"`), false, ps(smwb, "10"), deflate.Params{false, false, 10, 15}},
		{"refused server_no_context_takeover", deflate.Config{ServerNoContextTakeover: deflate.PolicyRefuse}, ps(snct, ""), true, nil, deflate.Params{}},
		{"refused client_no_context_takeover", deflate.Config{ClientNoContextTakeover: deflate.PolicyRefuse}, ps(cnct, ""), true, nil, deflate.Params{}},
		{"refused server_max_window_bits", deflate.Config{ServerMaxWindowBits: deflate.PolicyRefuse}, ps(smwb, "10"), true, nil, deflate.Params{}},
		{"refused client_max_window_bits", deflate.Config{ClientMaxWindowBits: deflate.PolicyRefuse}, ps(cmwb, ""), true, nil, deflate.Params{}},
		{"refuse does not decline absent params", deflate.Config{ServerNoContextTakeover: deflate.PolicyRefuse, ClientNoContextTakeover: deflate.PolicyRefuse}, nil, false,
			nil, deflate.Params{false, false, 15, 15}},
		{"unknown param", accept, ps("x_param", ""), true, nil, deflate.Params{}},
		{"duplicate param", accept, ps(snct, "", snct, ""), true, nil, deflate.Params{}},
		{"duplicate window", accept, ps(cmwb, "", cmwb, "10"), true, nil, deflate.Params{}},
		{"value on a flag", accept, ps(snct, "1"), true, nil, deflate.Params{}},
		{"window too small", accept, ps(smwb, "7"), true, nil, deflate.Params{}},
		{"window too big", accept, ps(smwb, "16"), true, nil, deflate.Params{}},
		{"window leading zero", accept, ps(smwb, "09"), true, nil, deflate.Params{}},
		{"window not a number", accept, ps(cmwb, "ten"), true, nil, deflate.Params{}},
		{"server window without value", accept, ps(smwb, ""), true, nil, deflate.Params{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, ext, ok, err := deflate.New(tc.cfg).Accept(tc.offer)
			if err != nil {
				t.Fatalf("Accept must decline, not fail: %v", err)
			}
			if ok == tc.declined {
				t.Fatalf("ok = %v, want %v", ok, !tc.declined)
			}
			if tc.declined {
				return
			}
			if !reflect.DeepEqual(resp, tc.response) {
				t.Errorf("response %v, want %v", resp, tc.response)
			}
			if got := ext.(*deflate.Extension).Params(); got != tc.params {
				t.Errorf("params %+v, want %+v", got, tc.params)
			}
		})
	}
}

func TestOffer(t *testing.T) {
	cases := []struct {
		name string
		cfg  deflate.Config
		want []extension.Param
	}{
		{"defaults", deflate.Config{}, ps(snct, "", cnct, "", cmwb, "")},
		{"accept", accept, ps(cmwb, "")},
		{"small windows", deflate.Config{ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 10, ClientWindowBits: 9}, ps(snct, "", cnct, "", smwb, "10", cmwb, "9")},
		{"refuse everything", deflate.Config{ServerNoContextTakeover: deflate.PolicyRefuse, ClientNoContextTakeover: deflate.PolicyRefuse, ServerMaxWindowBits: deflate.PolicyRefuse, ClientMaxWindowBits: deflate.PolicyRefuse}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := deflate.New(tc.cfg).Offer(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("offer %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfirm(t *testing.T) {
	small := deflate.Config{ServerNoContextTakeover: deflate.PolicyAccept, ClientNoContextTakeover: deflate.PolicyAccept, ServerMaxWindowBits: deflate.PolicyPrefer, ServerWindowBits: 10, ClientWindowBits: 10}
	cases := []struct {
		name     string
		cfg      deflate.Config
		response []extension.Param
		err      error
		params   deflate.Params
	}{
		{"empty response", accept, nil, nil, deflate.Params{false, false, 15, 15}},
		{"defaults keep their promise", deflate.Config{}, nil, nil, deflate.Params{false, true, 15, 15}},
		{"server adds no context takeover", accept, ps(snct, "", cnct, ""), nil, deflate.Params{true, true, 15, 15}},
		{"server limits client window", accept, ps(cmwb, "9"), nil, deflate.Params{false, false, 15, 9}},
		{"server announces its window", accept, ps(smwb, "12"), nil, deflate.Params{false, false, 12, 15}},
		{"smaller than offered", small, ps(smwb, "9", cmwb, "8"), nil, deflate.Params{false, false, 9, 8}},
		{"server window above offer", small, ps(smwb, "11"), deflate.ErrNotOffered, deflate.Params{}},
		{"client window above offer", small, ps(cmwb, "12"), deflate.ErrNotOffered, deflate.Params{}},
		{"client window not offered", deflate.Config{ClientMaxWindowBits: deflate.PolicyRefuse}, ps(cmwb, "10"), deflate.ErrNotOffered, deflate.Params{}},
		{"refused server_no_context_takeover", deflate.Config{ServerNoContextTakeover: deflate.PolicyRefuse}, ps(snct, ""), deflate.ErrRefused, deflate.Params{}},
		{"refused client_no_context_takeover", deflate.Config{ClientNoContextTakeover: deflate.PolicyRefuse}, ps(cnct, ""), deflate.ErrRefused, deflate.Params{}},
		{"refused server window", deflate.Config{ServerMaxWindowBits: deflate.PolicyRefuse}, ps(smwb, "10"), deflate.ErrRefused, deflate.Params{}},
		{"unknown param", accept, ps("foo", "1"), deflate.ErrUnknownParam, deflate.Params{}},
		{"duplicate param", accept, ps(cnct, "", cnct, ""), deflate.ErrDuplicateParam, deflate.Params{}},
		{"bare client window", accept, ps(cmwb, ""), deflate.ErrInvalidParam, deflate.Params{}},
		{"bad window", accept, ps(smwb, "16"), deflate.ErrInvalidParam, deflate.Params{}},
		{"value on a flag", accept, ps(cnct, "x"), deflate.ErrInvalidParam, deflate.Params{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ext, err := deflate.New(tc.cfg).Confirm(tc.response)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got := ext.(*deflate.Extension).Params(); got != tc.params {
				t.Fatalf("params %+v, want %+v", got, tc.params)
			}
		})
	}
}

func TestSharedWhenStateless(t *testing.T) {
	f := deflate.New(deflate.Config{})
	_, a, _, _ := f.Accept(nil)
	_, b, _, _ := f.Accept(nil)
	if a != b {
		t.Fatal("stateless sessions should share one Extension")
	}
	_, c, _, _ := f.Accept(ps(cmwb, ""))
	if c != a {
		t.Fatal("same parameters, same shared Extension")
	}
	g := deflate.New(accept)
	_, x, _, _ := g.Accept(nil)
	_, y, _, _ := g.Accept(nil)
	if x == y {
		t.Fatal("context takeover needs an Extension per session")
	}
}
