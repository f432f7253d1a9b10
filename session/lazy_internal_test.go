package session

import (
	"bufio"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLazyStateUnused: unused must see every field of lazyState, or a
// session could drop lazy state the application set while OnOpen ran (the
// request head's lazy state is dropped when unused says it holds nothing).
func TestLazyStateUnused(t *testing.T) {
	typ := reflect.TypeFor[lazyState]()
	for i := range typ.NumField() {
		var x lazyState
		f := reflect.ValueOf(&x).Elem().Field(i)
		f = reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem() // unexported fields
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int8, reflect.Int64:
			f.SetInt(1)
		case reflect.Uint32:
			f.SetUint(1)
		case reflect.String:
			f.SetString("x")
		case reflect.Chan, reflect.Map, reflect.Slice, reflect.Pointer:
			switch f.Kind() {
			case reflect.Chan:
				f.Set(reflect.MakeChan(f.Type(), 0))
			case reflect.Map:
				f.Set(reflect.MakeMap(f.Type()))
			case reflect.Slice:
				f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			case reflect.Pointer:
				f.Set(reflect.New(f.Type().Elem()))
			}
		case reflect.Interface:
			f.Set(reflect.ValueOf(errReceiveEvents))
		case reflect.Struct: // CloseReason
			f.Field(0).SetUint(1000)
		default:
			t.Fatalf("field %s of kind %v: teach this test to set it", typ.Field(i).Name, f.Kind())
		}
		if x.unused() {
			t.Errorf("lazyState.unused ignores field %s", typ.Field(i).Name)
		}
	}
}

// FuzzParseHead: parseHead never panics, and on every head net/http parses
// (without folded lines) it finds the same header fields.
func FuzzParseHead(f *testing.F) {
	for _, seed := range []string{
		"Host: a\r\nUser-Agent: x/1\r\n",
		"Cookie: a=1\r\nCookie: b=2\r\nauthorization:  Bearer t \r\n",
		"X-Empty:\r\nx-lower: v\r\n",
		"Bad line\r\nX: y\r\n",
		"X: a\r\n folded\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, fields string) {
		raw := "GET / HTTP/1.1\r\n" + fields + "\r\n"
		got := parseHead([]byte(raw)) // must not panic
		if strings.Contains(fields, "\n ") || strings.Contains(fields, "\n\t") || strings.HasPrefix(fields, " ") || strings.HasPrefix(fields, "\t") {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n")))
		if err != nil {
			return
		}
		want := req.Header.Clone()
		if req.Host != "" {
			want["Host"] = []string{req.Host}
		}
		for k, vs := range want {
			if !slices.Equal(got[k], vs) {
				t.Fatalf("%q: parseHead %q = %q, net/http %q", raw, k, got[k], vs)
			}
		}
	})
}
