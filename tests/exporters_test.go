package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/airbyte/syncmetrics"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// airbyteExporterChecks holds one plan to issue 12's Airbyte exporter: where observability is on,
// the exporter runs as the read-only role with the target's TLS, its grant waits for Airbyte's
// release, the role is created where the platform's roles are, and the target's collector scrapes it
// with the sync alerts and panels beside; where it is off, none of it exists.
func airbyteExporterChecks(t *testing.T, target string, preview bool, r *planner.Result) {
	t.Helper()
	deps := resourcesOf(r, "dataplatform:airbyte:SyncMetrics")
	if !r.Platform.Observability.On() {
		if len(deps) != 0 {
			t.Errorf("%s: the Airbyte exporter runs with observability off", target)
		}
		return
	}
	if len(deps) != 1 {
		t.Fatalf("%s: %d Airbyte exporters; want 1", target, len(deps))
	}
	apps := r.Platform.Network.Namespaces.Apps
	dep, env := appsExporter(t, r, "airbyte-sync-metrics", syncmetrics.Image)
	if got := env["DB_PASSWORD"].secret; got != metadatadb.CredentialSecretName(metadatadb.AirbyteReader) {
		t.Errorf("exporter password from %q; want the read-only role's Secret", got)
	}
	// verify-ca on Cloud SQL (per-instance CA), verify-full elsewhere.
	wantMode := "verify-full"
	if target == "gcp" {
		wantMode = "verify-ca"
	}
	if dsn := env["SQLEXPORTER_TARGET_DSN"].value; !preview && (!strings.Contains(dsn, "sslmode="+wantMode+"&sslrootcert=") || !strings.Contains(dsn, "/airbyte?")) {
		t.Errorf("DSN %q; want the airbyte database with sslmode=%s and the CA", dsn, wantMode)
	}
	grant := named(t, r, "kubernetes:batch/v1:Job", "airbyte-sync-metrics-grant")
	if !r.Mocks.DependsOn(grant, named(t, r, "kubernetes:helm.sh/v3:Release", "airbyte-release")) {
		t.Error("the grant does not wait for Airbyte's release (its bootloader creates the tables)")
	}
	if !r.Mocks.DependsOn(dep, grant) {
		t.Error("the exporter does not wait for its grant")
	}

	// The role, where the platform's roles are created.
	switch target {
	case "kubernetes":
		cl := resourcesOf(r, "kubernetes:postgresql.cnpg.io/v1:Cluster")[0]
		found := false
		for _, role := range inspect.Arr(inspect.At(cl.Inputs, "spec", "managed", "roles")) {
			if inspect.Str(inspect.Obj(role), "name") == metadatadb.AirbyteReader {
				found = true
			}
		}
		if !found {
			t.Error("no managed role airbyte_reader on the CNPG cluster")
		}
	default:
		script := ""
		for _, cm := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
			if s := inspect.Str(cm.Inputs, "data", "bootstrap.sql"); s != "" {
				script = s
			}
		}
		if !strings.Contains(script, "'CREATE ROLE %I LOGIN NOINHERIT', 'airbyte_reader'") {
			t.Errorf("the bootstrap script creates no airbyte_reader:\n%s", script)
		}
	}

	// Scrape, rules and panels on the target's backend.
	switch target {
	case "kubernetes", "azure":
		pm := named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-airbyte-sync-metrics-podmonitor")
		if got := inspect.Str(pm.Inputs, "metadata", "namespace"); got != apps {
			t.Errorf("PodMonitor in %q", got)
		}
		rules := named(t, r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
		if !ruleNamed(rules, "AirbyteSyncFailing") {
			t.Error("no AirbyteSyncFailing rule")
		}
		d := named(t, r, "kubernetes:core/v1:ConfigMap", "monitoring-dashboard-"+syncmetrics.DashboardUID)
		for _, title := range []string{"Airbyte sync success rate", "Records synced", "Sync duration"} {
			if !strings.Contains(inspect.Str(d.Inputs, "data", syncmetrics.DashboardUID+".json"), title) {
				t.Errorf("dashboard has no panel %q", title)
			}
		}
	case "aws":
		scraper := named(t, r, "aws:amp/scraper:Scraper", "observability-collector")
		if !strings.Contains(inspect.Str(scraper.Inputs, "scrapeConfiguration"), "job_name: "+apps+"/airbyte-sync-metrics\n") {
			t.Error("the AMP collector has no Airbyte exporter job")
		}
		ns := named(t, r, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "observability-rules")
		if !strings.Contains(inspect.Str(ns.Inputs, "data"), "alert: AirbyteSyncFailing") {
			t.Error("no AirbyteSyncFailing in the AMP rules")
		}
	case "gcp":
		named(t, r, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "monitoring-airbyte-sync-metrics-podmonitoring")
		cluster := inspect.Str(resourcesOf(r, "gcp:container/cluster:Cluster")[0].Inputs, "name")
		found := false
		for _, p := range resourcesOf(r, "gcp:monitoring/alertPolicy:AlertPolicy") {
			c := inspect.Obj(inspect.At(p.Inputs, "conditions", 0, "conditionPrometheusQueryLanguage"))
			if inspect.Str(c, "alertRule") == "AirbyteSyncFailing" {
				found = true
				if !strings.Contains(inspect.Str(c, "query"), `cluster="`+cluster+`"`) {
					t.Errorf("AirbyteSyncFailing not scoped to the cluster: %s", inspect.Str(c, "query"))
				}
			}
		}
		if !found {
			t.Error("no AirbyteSyncFailing alert policy")
		}
		d := named(t, r, "gcp:monitoring/dashboard:Dashboard", "monitoring-"+syncmetrics.DashboardUID)
		if !strings.Contains(inspect.Str(d.Inputs, "dashboardJson"), "Airbyte sync success rate") {
			t.Error("no success-rate panel on the GCP dashboard")
		}
	}
}

type mockcloudEnv struct{ value, secret string }

// appsExporter is the exporter Deployment name in the apps namespace, running image; it returns the
// Deployment and its first container's env by name (a literal value, or the Secret a value is read from).
func appsExporter(t *testing.T, r *planner.Result, name, image string) (*mockcloud.Resource, map[string]mockcloudEnv) {
	t.Helper()
	apps := r.Platform.Network.Namespaces.Apps
	dep := named(t, r, "kubernetes:apps/v1:Deployment", name)
	if got := inspect.Str(dep.Inputs, "metadata", "namespace"); got != apps {
		t.Errorf("%s in %q; want the apps namespace %q", name, got, apps)
	}
	ctr := inspect.Obj(inspect.At(dep.Inputs, "spec", "template", "spec", "containers", 0))
	if img := inspect.Str(ctr, "image"); img != image {
		t.Errorf("%s: image %q; want %q", name, img, image)
	}
	env := map[string]mockcloudEnv{}
	for _, e := range inspect.Arr(inspect.At(ctr, "env")) {
		o := inspect.Obj(e)
		env[inspect.Str(o, "name")] = mockcloudEnv{value: inspect.Str(o, "value"), secret: inspect.Str(o, "valueFrom", "secretKeyRef", "name")}
	}
	return dep, env
}

func ruleNamed(rules *mockcloud.Resource, name string) bool {
	for _, g := range inspect.Arr(inspect.At(rules.Inputs, "spec", "groups")) {
		for _, rule := range inspect.Arr(inspect.At(inspect.Obj(g), "rules")) {
			if inspect.Str(inspect.Obj(rule), "alert") == name {
				return true
			}
		}
	}
	return false
}

// TestAirbyteExporterOnEveryTarget: every stack on every target, observability as configured (on by
// default on kubernetes and aws).
func TestAirbyteExporterOnEveryTarget(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		airbyteExporterChecks(t, target, preview, r)
	})
}

// TestAirbyteExporterOnGCP: with the opt-in, GCP scrapes the exporter through a PodMonitoring and
// alerts through a Cloud Monitoring PromQL policy scoped to the cluster.
func TestAirbyteExporterOnGCP(t *testing.T) {
	eachGCPPlan(t, func(string) []string { return []string{observabilityOn} }, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		airbyteExporterChecks(t, "gcp", preview, r)
	})
}
