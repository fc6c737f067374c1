package spec

import (
	"encoding/json"
	"reflect"
	"testing"
)

var stateSeeds = []string{
	`{"ociVersion":"1.0.2","id":"web","status":"created","pid":4242,"bundle":"/run/b","annotations":{"fd.ww.dev/db":"node:db","a":"\u00e9\"x"}}`,
	`{"ociVersion":"1.2.0","id":"c","status":"creating","pid":0,"bundle":"/b"}`,
	`{"id":"c","bundle":"/b","annotations":null,"pid":null}`,
	`{"ID":"c","Bundle":"/b","PID":7}`,
	`{"id":"c","id":"d","bundle":"/b"}`,
	`{"id":"c","pid":1.5,"bundle":"/b"}`,
	`{"id":"c","pid":1e3,"bundle":"/b"}`,
	`{"id":"c","pid":"7","bundle":"/b"}`,
	`{"id":7,"bundle":"/b"}`,
	`{"id":"c","pid":99999999999999999999,"bundle":"/b"}`,
	`{"id":"c","annotations":{"a":1}}`,
	`null`,
	`[]`,
	`{"id":"c"`,
	` {"id" : "c" , "bundle" : "/b" , "pid" : -3 } `,
}

// TestParseState checks ParseState against json.Unmarshal on states a
// runtime writes and on the odd ones the walk must leave to it.
func TestParseState(t *testing.T) {
	fast := 0
	for _, data := range stateSeeds {
		checkState(t, []byte(data))
		if json.Valid([]byte(data)) {
			if _, ok := parseStateFast([]byte(data)); ok {
				fast++
			}
		}
	}
	if fast < 4 {
		t.Errorf("the walk read %d of the seeds, want the runtime's forms at least", fast)
	}
}

// FuzzParseState checks ParseState against json.Unmarshal on any bytes.
func FuzzParseState(f *testing.F) {
	for _, s := range stateSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkState(t, data) })
}

func checkState(t *testing.T, data []byte) {
	t.Helper()
	got, err := ParseState(data)
	var want State
	werr := json.Unmarshal(data, &want)
	if (err == nil) != (werr == nil) {
		t.Fatalf("ParseState(%q): error %v, json.Unmarshal's %v", data, err, werr)
	}
	if err == nil && !reflect.DeepEqual(got, &want) {
		t.Fatalf("ParseState(%q)\n = %+v\nwant %+v", data, got, &want)
	}
}
