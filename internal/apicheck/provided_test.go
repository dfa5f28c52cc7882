package apicheck

import (
	"context"
	"strings"
	"testing"
)

// TestParseProvided: the shipped table parses, and a malformed line is refused with its number.
func TestParseProvided(t *testing.T) {
	got, err := ParseProvided(ProvidedFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["kube-state-metrics"]; !ok {
		t.Errorf("provided.txt lacks the EKS kube-state-metrics add-on's namespace: %v", got)
	}
	for _, bad := range []string{"onlyname", "Not_A_Namespace because", "a x\na y"} {
		if _, err := ParseProvided(bad); err == nil || !strings.Contains(err.Error(), "provided line") {
			t.Errorf("ParseProvided(%q) = %v, want a line error", bad, err)
		}
	}
}

// TestCheckProvidesAddonNamespaces: an object in a namespace an add-on creates meets that namespace
// created for real (listed as prepared) and removed afterwards; a namespace the plan creates itself
// is not provided a second time.
func TestCheckProvidesAddonNamespaces(t *testing.T) {
	k, api := fakeChecker(t)
	k.Provided = map[string]string{"ksm": "an add-on creates it", "planned": "an add-on creates it"}
	objs, err := SplitYAML("p.yaml", []byte(`apiVersion: v1
kind: Namespace
metadata:
  name: planned
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: ksm
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  namespace: planned
data: {k: v}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Check(context.Background(), "dev-aws", objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 0 || len(res.Accepted) != 3 {
		t.Errorf("accepted %v, rejected %v", res.Accepted, res.Rejected)
	}
	if len(res.Prepared) != 1 || !strings.HasPrefix(res.Prepared[0], "Namespace ksm (provided: an add-on creates it)") {
		t.Errorf("prepared = %q", res.Prepared)
	}
	log := strings.Join(api.log, "\n")
	if !strings.Contains(log, "PATCH /api/v1/namespaces/ksm?fieldManager=dataplatform-apicheck") {
		t.Errorf("the provided namespace was not created for real:\n%s", log)
	}
	if strings.Count(log, "PATCH /api/v1/namespaces/planned?fieldManager") != 1 {
		t.Errorf("the planned namespace was applied other than once:\n%s", log)
	}
	if len(api.objects) != 0 {
		t.Errorf("left behind: %v", api.objects)
	}
}
