package apicheck

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUncheckedFileParses: the shipped table parses.
func TestUncheckedFileParses(t *testing.T) {
	if _, err := ParseUnchecked(UncheckedFile); err != nil {
		t.Fatal(err)
	}
}

func TestParseUncheckedRefusesBadLines(t *testing.T) {
	for name, text := range map[string]string{
		"no reason":  "example.com/v1 Widget",
		"built-in":   "apps/v1 Deployment no schema",
		"k8s.io":     "gateway.networking.k8s.io/v1 Gateway pinned elsewhere",
		"twice":      "example.com/v1 Widget a\nexample.com/v1 Widget b",
		"no version": "example.com Widget reason",
	} {
		if _, err := ParseUnchecked(text); err == nil {
			t.Errorf("%s: ParseUnchecked(%q) accepted", name, text)
		}
	}
	got, err := ParseUnchecked("# c\n\nexample.com/v1 Widget no CRD in any served module\n")
	if err != nil || got["example.com/v1 Widget"] != "no CRD in any served module" {
		t.Errorf("ParseUnchecked(good) = %v, %v", got, err)
	}
}

// TestUncheckedKindsAreListedNotAccepted: an object of a listed kind no CRD serves is reported as not
// checked with its reason — neither accepted nor rejected — and the report says so; an unlisted
// unknown kind is still rejected.
func TestUncheckedKindsAreListedNotAccepted(t *testing.T) {
	k, _ := fakeChecker(t)
	k.Unchecked = map[string]string{"example.com/v1 Widget": "no CRD published in a served module"}
	objs, err := SplitYAML("plan.yaml", []byte(plan+"---\napiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: data\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Check(context.Background(), "dev-aws", objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unchecked) != 1 || res.Unchecked[0].Ref != "Widget data/w" || res.Unchecked[0].Message != "no CRD published in a served module" {
		t.Errorf("unchecked = %+v", res.Unchecked)
	}
	for _, a := range res.Accepted {
		if strings.Contains(a.Ref, "Widget") {
			t.Errorf("the unchecked Widget was counted as accepted")
		}
	}
	gadget := false
	for _, x := range res.Rejected {
		gadget = gadget || strings.HasPrefix(x.Ref, "Gadget")
		if strings.HasPrefix(x.Ref, "Widget") {
			t.Errorf("the listed Widget was rejected: %s", x.Message)
		}
	}
	if !gadget {
		t.Errorf("an unlisted unknown kind was not rejected")
	}
	var out bytes.Buffer
	Report(&out, []Result{{Name: "dev-aws", Objects: 1, Unchecked: res.Unchecked}}, nil)
	if code := Report(&bytes.Buffer{}, []Result{{Name: "dev-aws", Objects: 1, Unchecked: res.Unchecked}}, nil); code != ExitOK {
		t.Errorf("a plan whose only object is listed as unchecked exits %d; want %d", code, ExitOK)
	}
	for _, want := range []string{"1 not checked", "not checked Widget data/w (plan.yaml): no CRD published in a served module"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
