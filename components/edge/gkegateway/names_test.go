package gkegateway

import (
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestHostResourceNamesFollowTheDomain: the per-host Certificate Manager resources of two domains
// have different names (a changed domain replaces them create-before-delete, so equal names would
// collide), each still starting with the edge's name and the host label, within 63 characters; the
// same domain gives the same names (no replacement on an unrelated change).
func TestHostResourceNamesFollowTheDomain(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		names := func(d string) map[string]string {
			a := args(false)
			a.Domain = d
			r := mustRun(t, preview, a)
			out := map[string]string{}
			for _, typ := range []string{authType, certType, entryType} {
				for _, res := range r.m.Resources() {
					if res.Type != typ {
						continue
					}
					n := inspect.Str(res.Inputs, "name")
					if len(n) > 63 || n[:len("acme-data-dev-")] != "acme-data-dev-" {
						t.Errorf("%s name %q; want acme-data-dev-<host>-<hash>, at most 63 characters", typ, n)
					}
					out[typ+" "+res.Name] = n
				}
			}
			if len(out) != 6 {
				t.Fatalf("%d per-host resources; want an authorization, a certificate and a map entry per host (6)", len(out))
			}
			return out
		}
		a, b, again := names(domain), names("analytics.example.org"), names(domain)
		for k, n := range a {
			if b[k] == n {
				t.Errorf("%s is %q for both domains; a domain change would collide (409)", k, n)
			}
			if again[k] != n {
				t.Errorf("%s: %q then %q for the same domain", k, n, again[k])
			}
		}
	})
}
