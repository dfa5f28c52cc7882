package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// The stacks wire each workload to its target's data services without hand edits: Airbyte's chart
// values name the target's database and bucket, Dremio's distributed store is on the target's object
// store, and dbt reaches Dremio's service.
func TestWorkloadsAreWiredToTheTargetsDataServices(t *testing.T) {
	storage := map[string]string{"kubernetes": "minio", "aws": "s3", "azure": "azure", "gcp": "gcs"}
	dist := map[string]string{"kubernetes": "dremioS3:///", "aws": "dremioS3:///", "azure": "abfss://", "gcp": "dremiogcs:///"}
	dbHost := map[string]string{
		"kubernetes": "metadata-db-pooler-rw.dataplatform-data.svc.cluster.local",
		"aws":        ".rds.amazonaws.com",
		"azure":      ".postgres.database.azure.com",
		"gcp":        "10.90.",
	}
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		chart := named(t, r, "kubernetes:helm.sh/v3:Release", "airbyte-release")
		global := inspect.Obj(inspect.At(chart.Inputs, "values", "global"))
		if got := inspect.Str(global, "storage", "type"); got != storage[target] {
			t.Errorf("Airbyte storage type %q; want %q", got, storage[target])
		}
		if got := inspect.Str(global, "database", "type"); got != "external" {
			t.Errorf("Airbyte database type %q; want external", got)
		}
		if !preview {
			if host := inspect.Str(global, "database", "host"); !strings.Contains(host, dbHost[target]) {
				t.Errorf("Airbyte database host %q is not the %s metadata database (%s)", host, target, dbHost[target])
			}
			if bucket := inspect.Str(global, "storage", "bucket", "log"); !strings.Contains(bucket, "airbyte") {
				t.Errorf("Airbyte log bucket %q is not the store's airbyte bucket", bucket)
			}
		}
		// Airbyte's storage credential: Pod Identity on aws (empty keys), the platform-minted key file
		// or connection string on gcp and azure, MinIO's scoped user on kubernetes.
		if secret := inspect.Str(global, "storage", "secretName"); target != "kubernetes" && secret != "airbyte-config-secrets" {
			t.Errorf("Airbyte storage secretName %q; want the platform's airbyte-config-secrets", secret)
		}
		credKey := map[string]string{"gcp": "gcp.json", "azure": "AZURE_STORAGE_CONNECTION_STRING"}[target]
		if credKey != "" {
			// The credential is written to the secret store (the in-cluster store's Secret until the
			// cloud's store replaces it) and materialized as airbyte-config by an ExternalSecret.
			named(t, r, "kubernetes:external-secrets.io/v1:ExternalSecret", "airbyte-config")
			// On azure and gcp the cloud's store holds it (tests/secretstore_test.go storedCredential).
			raw, stored := storedCredential(t, r, target, "airbyte-config-credential")
			if !raw.IsSecret() {
				t.Errorf("Airbyte's %s credential is not a Pulumi secret", target)
			}
			cred := stored[credKey]
			switch {
			case target == "gcp" && !strings.Contains(cred, `"type":"service_account"`) && !strings.Contains(cred, `"type": "service_account"`):
				t.Errorf("Airbyte's gcp.json is not the store's service-account key file: %q", cred)
			case target == "azure" && !preview:
				keyed := ""
				for _, acct := range resourcesOf(r, "azure-native:storage:StorageAccount") {
					if on, _ := inspect.Bool(acct.Inputs, "allowSharedKeyAccess"); on {
						keyed = inspect.Str(acct.Inputs, "accountName")
					}
				}
				if keyed == "" || !strings.Contains(cred, "AccountName="+keyed+";AccountKey=") {
					t.Errorf("Airbyte's connection string %q is not for the keyed account %q", cred, keyed)
				}
			}
		}
		for _, internal := range []string{"postgresql", "minio"} {
			if on, set := inspect.Bool(chart.Inputs, "values", internal, "enabled"); !set || on {
				t.Errorf("the chart's internal %s is not explicitly off (enabled=%v, set=%v)", internal, on, set)
			}
		}

		var conf string
		for _, cm := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
			if inspect.Str(cm.Inputs, "metadata", "name") == "dremio-config" {
				conf = inspect.Str(cm.Inputs, "data", "dremio-executor.conf")
			}
		}
		if !preview && !strings.Contains(conf, dist[target]) {
			t.Errorf("Dremio's executor dremio.conf does not put paths.dist on the %s store (%s):\n%s", target, dist[target], conf)
		}

		cron := one(t, r, "kubernetes:batch/v1:CronJob")
		profiles := ""
		for _, cm := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
			if p := inspect.Str(cm.Inputs, "data", "profiles.yml"); p != "" {
				profiles = p
			}
		}
		if !strings.Contains(profiles, "dremio-client.dataplatform.svc.cluster.local") {
			t.Errorf("dbt's profiles.yml does not point at the Dremio service:\n%s", profiles)
		}
		if policy := inspect.Str(cron.Inputs, "spec", "concurrencyPolicy"); policy != "Forbid" {
			t.Errorf("dbt CronJob concurrencyPolicy %q", policy)
		}
	})
}

// named returns the one resource of a type whose logical name is one of names.
func named(t *testing.T, r *planner.Result, typ string, names ...string) *mockcloud.Resource {
	t.Helper()
	for _, res := range resourcesOf(r, typ) {
		for _, n := range names {
			if res.Name == n {
				return res
			}
		}
	}
	t.Fatalf("no %s named %v", typ, names)
	return nil
}
