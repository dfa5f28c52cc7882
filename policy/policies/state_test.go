package policies

import (
	"os"
	"testing"
)

// TestStateFiles evaluates the state files CI also runs `pulumi policy analyze --file` on.
func TestStateFiles(t *testing.T) {
	load := func(name string) []Resource {
		data, err := os.ReadFile("../testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := FromState(data)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if vs := Evaluate(load("compliant-prod.json"), DefaultConfig(Prod)); len(vs) != 0 {
		t.Errorf("compliant state has violations:\n%s", Report(vs))
	}
	vs := Evaluate(load("noncompliant-prod.json"), DefaultConfig(Prod))
	want := map[string]bool{"backups": false, "no-static-cloud-keys": false}
	for _, v := range vs {
		if _, ok := want[v.Policy]; ok && v.Level == Mandatory {
			want[v.Policy] = true
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("noncompliant state: no mandatory %s violation in\n%s", p, Report(vs))
		}
	}
	if _, err := FromState([]byte(`{"version": 2}`)); err == nil {
		t.Error("version 2 state must be refused")
	}
}
