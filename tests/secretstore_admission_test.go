package tests

import (
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestEveryExternalSecretIsAdmittedByItsStore: every ExternalSecret names a ClusterSecretStore whose
// spec.conditions admit the ExternalSecret's namespace. ESO refuses an ExternalSecret from a namespace
// the conditions do not list (external-secrets@v1.3.2 apis/externalsecrets/v1/secretstore_types.go
// ClusterSecretStoreCondition: "Choose namespaces by name"; pkg/controllers/secretstore/common.go
// ShouldProcessStore), so the Secret never appears and the workload that waits for it never starts.
// It runs every opt-in service on, in every plan.
func TestEveryExternalSecretIsAdmittedByItsStore(t *testing.T) {
	sets := func(stack, target string) []string {
		out := append([]string{}, supersetSets...)
		if target == "kubernetes" {
			out = append(out, "dataplatform:elasticsearch.enabled=true")
		}
		return out
	}
	eachPlanWith(t, sets, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if preview {
			return // the stores' names and conditions are the same; preview leaves some unknown
		}
		admitted := map[string]map[string]bool{}
		for _, s := range resourcesOf(r, "kubernetes:external-secrets.io/v1:ClusterSecretStore") {
			name := inspect.Str(s.Inputs, "metadata", "name")
			admitted[name] = map[string]bool{}
			conditions := inspect.Arr(inspect.At(s.Inputs, "spec", "conditions"))
			if len(conditions) == 0 {
				admitted[name] = nil // no conditions: every namespace
				continue
			}
			for _, c := range conditions {
				for _, ns := range inspect.Strs(inspect.Obj(c), "namespaces") {
					admitted[name][ns] = true
				}
			}
		}
		externalSecrets := resourcesOf(r, "kubernetes:external-secrets.io/v1:ExternalSecret")
		if len(externalSecrets) == 0 {
			t.Fatalf("no ExternalSecret planned: the check would pass vacuously")
		}
		for _, es := range externalSecrets {
			ref := inspect.Obj(inspect.At(es.Inputs, "spec", "secretStoreRef"))
			if inspect.Str(ref, "kind") != "ClusterSecretStore" {
				continue
			}
			store, ns := inspect.Str(ref, "name"), inspect.Str(es.Inputs, "metadata", "namespace")
			nss, ok := admitted[store]
			switch {
			case !ok:
				t.Errorf("ExternalSecret %s/%s names ClusterSecretStore %q, which is not planned", ns, es.Name, store)
			case nss != nil && !nss[ns]:
				t.Errorf("ExternalSecret %s (%s) is in namespace %q, which ClusterSecretStore %q does not admit", es.Name, inspect.Str(es.Inputs, "metadata", "name"), ns, store)
			}
		}
	})
}
