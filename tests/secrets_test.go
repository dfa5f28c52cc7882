package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/airbyte"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/externalsecrets"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/k8sstore"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	externalSecretType     = "kubernetes:external-secrets.io/v1:ExternalSecret"
	clusterSecretStoreType = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
	plainSecretType        = "kubernetes:core/v1:Secret"
	chartType              = "kubernetes:helm.sh/v4:Chart"
)

// credentialSecrets are the Secrets holding a credential that the workloads read on a target: every
// one must be materialized by an ExternalSecret.
func credentialSecrets(target string) []string {
	out := []string{airbyte.AuthBootstrapSecret, "dremio-admin", "dremio-dbt-credentials", "dremio-bootstrap"}
	seen := map[string]bool{}
	for _, db := range metadatadb.Databases {
		if r := metadatadb.Owner[db]; !seen[r] {
			seen[r] = true
			out = append(out, r+"-db-credentials")
			if target == "kubernetes" {
				out = append(out, "metadata-db-"+r) // the role Secret CloudNativePG reads
			}
		}
	}
	switch target {
	case "kubernetes":
		out = append(out, "minio-root", "minio-users", "minio-setup-root", "postgres-backup-object-store", "dremio-object-store", "airbyte-object-store", "airbyte-jobs-object-store")
		out = append(out, "minio-metrics", "grafana-admin") // observability: the metrics token, Grafana's admin
	default:
		out = append(out, "metadata-db-admin", "metadata-db-bootstrap")
	}
	if target == "gcp" || target == "azure" {
		out = append(out, airbyte.ConfigSecretName) // the static storage credential
	}
	sort.Strings(out)
	return out
}

// versionedSecrets are the Secrets the bootstrap Jobs read, named <name>-<digest of the values>.
var versionedSecrets = []string{"metadata-db-admin", "metadata-db-bootstrap", "minio-users", "minio-setup-root", "dremio-bootstrap"}

// credentialKey reports whether a Secret key holds a credential.
func credentialKey(k string) bool {
	switch k {
	case "secretKey", "rootUser", airbyte.GCSKeyFile, airbyte.AzureConnectionStringKey:
		return true
	}
	for _, a := range airbyte.AuthSecretKeys {
		if k == a {
			return true
		}
	}
	return strings.Contains(strings.ToLower(k), "password")
}

// TestSecretsOnEveryPlan: on every target, stack and mode the External Secrets Operator is installed
// from the pinned chart, one ClusterSecretStore serves the platform, every Secret a workload reads
// that holds a credential is materialized by an ExternalSecret from it (refreshed hourly, owned by
// ESO, created once the store and the value exist), no plain Secret outside the store holds a
// credential, and every Job, StatefulSet or Deployment reading such a Secret waits for its
// ExternalSecret.
func TestSecretsOnEveryPlan(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		m := r.Mocks
		chart := m.Named(chartType, "external-secrets-chart")
		if chart == nil {
			t.Fatal("no External Secrets Operator chart")
		}
		if v := inspect.Str(chart.Inputs, "version"); v != "2.9.0" {
			t.Errorf("operator chart version %q, want 2.9.0", v)
		}
		if got := inspect.Str(chart.Inputs, "values", "image", "tag"); got != externalsecrets.ImageTag {
			t.Errorf("operator image tag %q, want %s", got, externalsecrets.ImageTag)
		}
		want := 1.0
		if stack == "prod" {
			want = 2
		}
		if got := inspect.Num(chart.Inputs, "values", "replicaCount"); got != want {
			t.Errorf("operator replicas %v, want %v", got, want)
		}
		stores := m.ByType(clusterSecretStoreType)
		if len(stores) != 1 {
			t.Fatalf("%d ClusterSecretStores, want 1", len(stores))
		}
		store := stores[0]
		storeName := inspect.Str(store.Inputs, "metadata", "name")
		if !m.DependsOn(store, chart) {
			t.Error("the ClusterSecretStore does not wait for the operator")
		}
		if target == "kubernetes" && storeName != k8sstore.DefaultClusterStore {
			t.Errorf("kubernetes target's store %q, want the in-cluster store", storeName)
		}

		byTarget := map[string][]*mockcloud.Resource{}
		for _, es := range m.ByType(externalSecretType) {
			name := inspect.Str(es.Inputs, "spec", "target", "name")
			byTarget[name] = append(byTarget[name], es)
			// What a bootstrap Job reads is versioned, <name>-<digest of the values> (rotation_test.go).
			for _, base := range versionedSecrets {
				if secrets.IsVersionOf(base, name) {
					byTarget[base] = append(byTarget[base], es)
				}
			}
			s := func(path ...any) string { return inspect.Str(es.Inputs, append([]any{"spec"}, path...)...) }
			if s("refreshInterval") != secrets.RefreshInterval || s("target", "creationPolicy") != "Owner" ||
				s("secretStoreRef", "kind") != "ClusterSecretStore" || s("secretStoreRef", "name") != storeName {
				t.Errorf("ExternalSecret %s: refresh %q, policy %q, store %s/%s", es.Name, s("refreshInterval"),
					s("target", "creationPolicy"), s("secretStoreRef", "kind"), s("secretStoreRef", "name"))
			}
			if inspect.Str(es.Inputs, "metadata", "annotations", secrets.WaitForAnnotation) != secrets.WaitForReady {
				t.Errorf("ExternalSecret %s does not make Pulumi wait for its Secret", es.Name)
			}
			if es.CreateTimeout != secrets.ReadyTimeout || es.UpdateTimeout != secrets.ReadyTimeout {
				t.Errorf("ExternalSecret %s waits %q/%q for its first sync; want %s (a store grant may take 10 min to apply)", es.Name, es.CreateTimeout, es.UpdateTimeout, secrets.ReadyTimeout)
			}
			if !m.DependsOn(es, store) {
				t.Errorf("ExternalSecret %s does not wait for the store", es.Name)
			}
			if inspect.Len(es.Inputs, "spec", "data") == 0 {
				t.Errorf("ExternalSecret %s maps no key", es.Name)
			}
		}
		for _, name := range credentialSecrets(target) {
			if len(byTarget[name]) == 0 {
				t.Errorf("credential Secret %s is not materialized by an ExternalSecret", name)
			}
		}

		for _, sec := range m.ByType(plainSecretType) {
			if inspect.Str(sec.Inputs, "metadata", "labels", k8sstore.StoredLabel) != "" {
				continue // a credential in the in-cluster store
			}
			name := inspect.Str(sec.Inputs, "metadata", "name")
			if len(byTarget[name]) > 0 {
				t.Errorf("Secret %s is both a plain Secret and an ExternalSecret's target", name)
			}
			for _, field := range []string{"stringData", "data"} {
				for k, v := range inspect.Obj(inspect.At(sec.Inputs, field)) {
					if credentialKey(string(k)) && !(v.IsString() && v.StringValue() == "") {
						t.Errorf("plain Secret %s (%s) holds the credential %s.%s", name, sec.URN, field, k)
					}
				}
			}
		}

		// Readers wait for the ExternalSecrets of the Secrets they read.
		checked := 0
		for _, typ := range []string{"kubernetes:batch/v1:Job", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"} {
			for _, w := range m.ByType(typ) {
				for _, name := range secretRefs(inspect.Plain(inspect.At(w.Inputs, "spec"))) {
					ess := byTarget[name]
					if len(ess) == 0 {
						continue
					}
					checked++
					ok := false
					for _, es := range ess {
						ok = ok || m.DependsOn(w, es)
					}
					if !ok {
						t.Errorf("%s %s reads Secret %s but does not wait for its ExternalSecret", typ, w.Name, name)
					}
				}
			}
		}
		// CloudNativePG reads each role's password Secret when it creates the Cluster, and reloads it
		// when the Secret changes (the cnpg.io/reload label ESO writes through the template).
		if target == "kubernetes" {
			clusters := m.ByType("kubernetes:postgresql.cnpg.io/v1:Cluster")
			if len(clusters) != 1 {
				t.Fatalf("%d CloudNativePG Clusters", len(clusters))
			}
			for _, name := range credentialSecrets(target) {
				if !strings.HasPrefix(name, "metadata-db-") {
					continue
				}
				es := byTarget[name][0]
				if !m.DependsOn(clusters[0], es) {
					t.Errorf("the CloudNativePG Cluster does not wait for %s", name)
				}
				if inspect.Str(es.Inputs, "spec", "target", "template", "metadata", "labels", "cnpg.io/reload") != "true" ||
					inspect.Str(es.Inputs, "spec", "target", "template", "type") != "kubernetes.io/basic-auth" {
					t.Errorf("%s is not a basic-auth Secret CloudNativePG reloads", name)
				}
			}
		}
		if checked == 0 {
			t.Error("no Job, StatefulSet or Deployment reads a materialized Secret; the check above saw nothing")
		}
		if a := m.Named(airbyte.ReleaseType, "airbyte-release"); a == nil {
			t.Error("no Airbyte Helm release")
		} else if !m.DependsOn(a, byTarget[airbyte.AuthBootstrapSecret][0]) {
			t.Error("Airbyte's Helm release does not wait for its auth Secret's ExternalSecret")
		}
	})
}

// secretRefs lists the Secret names a pod spec reads: env secretKeyRef, envFrom secretRef, secret
// volumes.
func secretRefs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["secretKeyRef"].(map[string]any); ok {
				if n, ok := ref["name"].(string); ok {
					out = append(out, n)
				}
			}
			if ref, ok := x["secretRef"].(map[string]any); ok {
				if n, ok := ref["name"].(string); ok {
					out = append(out, n)
				}
			}
			if ref, ok := x["secret"].(map[string]any); ok {
				if n, ok := ref["secretName"].(string); ok {
					out = append(out, n)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
