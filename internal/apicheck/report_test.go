package apicheck

import (
	"strings"
	"testing"
)

func TestReportExitCodes(t *testing.T) {
	crds := []CRD{{Name: "clusters.postgresql.cnpg.io", Source: "github.com/cloudnative-pg/cloudnative-pg@v1.29.1/config/crd/bases/postgresql.cnpg.io_clusters.yaml", Conversion: "None"}}
	ok := Result{Name: "dev-kubernetes", Objects: 3, Accepted: []Outcome{
		{Ref: "Namespace a", How: "applied"}, {Ref: "ConfigMap a/b", How: "dry run"}, {Ref: "PersistentVolumeClaimPatch a/c", How: "patch"},
	}, Prepared: []string{"PersistentVolumeClaim a/c (for 003-c.yaml)"}}
	var out strings.Builder
	if code := Report(&out, []Result{ok}, crds); code != ExitOK {
		t.Errorf("all accepted: exit %d\n%s", code, out.String())
	}
	for _, want := range []string{
		"dev-kubernetes:        3 objects:   3 accepted (1 dry run, 1 patch dry run, 1 namespaces applied), 0 rejected",
		"patch target created as its controller would: PersistentVolumeClaim a/c",
		"clusters.postgresql.cnpg.io", "github.com/cloudnative-pg/cloudnative-pg@v1.29.1/config/crd/bases/postgresql.cnpg.io_clusters.yaml",
		"1 combinations, 3 objects: 3 accepted, 0 rejected",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	bad := Result{Name: "prod-aws", Objects: 2, Accepted: []Outcome{{Ref: "Namespace a", How: "applied"}},
		Rejected: []Outcome{{File: "002-x.yaml", Ref: "Widget a/x", How: "dry run", Message: "no API serves apiVersion example.com/v1 kind Widget"}}}
	out.Reset()
	if code := Report(&out, []Result{ok, bad}, crds); code != ExitRejected {
		t.Errorf("a rejection: exit %d", code)
	}
	if !strings.Contains(out.String(), "REJECTED Widget a/x (002-x.yaml, dry run): no API serves apiVersion example.com/v1 kind Widget") {
		t.Errorf("report does not name the rejection:\n%s", out.String())
	}

	// An object neither accepted nor rejected (a bug of the checker) never passes silently.
	lost := Result{Name: "dev-gcp", Objects: 2, Accepted: []Outcome{{Ref: "Namespace a", How: "applied"}}}
	if code := Report(&strings.Builder{}, []Result{lost}, crds); code != ExitRejected {
		t.Errorf("an unaccounted object: exit %d", code)
	}

	// A warning fails too: the server accepts today what it will refuse after a deprecation.
	warned := Result{Name: "dev-kubernetes", Objects: 1, Accepted: []Outcome{{File: "004-s.yaml", Ref: "Secret a/tls", How: "dry run",
		Warnings: []string{"tls.crt: x509: malformed certificate"}}}}
	out.Reset()
	if code := Report(&out, []Result{warned}, crds); code != ExitRejected {
		t.Errorf("a warning: exit %d", code)
	}
	if !strings.Contains(out.String(), "WARNING  Secret a/tls (004-s.yaml): tls.crt: x509: malformed certificate") {
		t.Errorf("report does not name the warning:\n%s", out.String())
	}
}
