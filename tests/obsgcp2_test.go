package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestCloudSQLBackupAndConnectionAlertsOnGCP: with observability on, every gcp stack counts its Cloud
// SQL instance's automated backups from the System Event audit log (a log-based metric scoped to the
// instance), alerts on a missing and a failed backup over it — both policies waiting for the metric —
// and on connections above 80 % of the max_connections of the environment's tier (dev
// db-custom-1-3840: 100, staging db-custom-2-7680: 400, prod db-custom-4-16384: 500).
func TestCloudSQLBackupAndConnectionAlertsOnGCP(t *testing.T) {
	limit := map[string]string{"dev": "> 80", "staging": "> 320", "prod": "> 400"}
	eachGCPPlan(t, func(string) []string { return []string{observabilityOn} }, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		metrics := resourcesOf(r, "gcp:logging/metric:Metric")
		if len(metrics) != 1 {
			t.Fatalf("%d log-based metrics; want the backup counter", len(metrics))
		}
		lm := metrics[0]
		sql := resourcesOf(r, "gcp:sql/databaseInstance:DatabaseInstance")
		var instance string
		for _, s := range sql {
			if n := inspect.Str(s.Inputs, "name"); !strings.HasSuffix(n, "-dr") {
				instance = n
			}
		}
		filter := inspect.Str(lm.Inputs, "filter")
		for _, want := range []string{
			`protoPayload.methodName="cloudsql.instances.automatedBackup"`,
			fmt.Sprintf(`resource.labels.database_id="%s:%s"`, r.Platform.GCPProject, instance),
			fmt.Sprintf(`logName="projects/%s/logs/cloudaudit.googleapis.com%%2Fsystem_event"`, r.Platform.GCPProject),
		} {
			if instance == "" || !strings.Contains(filter, want) {
				t.Errorf("backup metric filter %q lacks %s", filter, want)
			}
		}
		promName := "logging_googleapis_com:user_" + inspect.Str(lm.Inputs, "name")
		policies := map[string]string{}
		for _, p := range resourcesOf(r, "gcp:monitoring/alertPolicy:AlertPolicy") {
			rule := inspect.Str(p.Inputs, "conditions", 0, "displayName")
			policies[rule] = inspect.Str(p.Inputs, "conditions", 0, "conditionPrometheusQueryLanguage", "query")
			if !r.Mocks.DependsOn(p, lm) {
				t.Errorf("policy %s does not wait for the log-based metric", rule)
			}
		}
		for _, rule := range []string{"PostgresBackupMissing", "PostgresBackupFailed"} {
			if !strings.Contains(policies[rule], promName+"{") {
				t.Errorf("%s: %q does not read %s", rule, policies[rule], promName)
			}
		}
		if q := policies["PostgresConnectionSaturation"]; !strings.Contains(q, "num_backends") || !strings.HasSuffix(q, limit[stack]) {
			t.Errorf("PostgresConnectionSaturation %q; want num_backends %s on %s", q, limit[stack], r.Platform.MetadataDB.InstanceClass)
		}
	})
}

// TestMonitoringEgressOnKubernetes: on the kubernetes target the monitoring namespace denies egress
// by default, and Prometheus may reach each of the model's targets only in its namespace, on its
// port — the metadata database's exporter among them, now scraped over TLS with the cluster's CA.
func TestMonitoringEgressOnKubernetes(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := plan(t, "prod", "kubernetes", preview)
			deny := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-deny-egress")
			if strings.Join(inspect.Strs(deny.Inputs, "spec", "policyTypes"), ",") != "Egress" || inspect.Has(deny.Inputs, "spec", "egress") {
				t.Errorf("default-deny-egress: %v", inspect.Plain(inspect.At(deny.Inputs, "spec")))
			}
			scrape := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-allow-prometheus-scrape")
			found := false
			for _, rule := range inspect.Arr(inspect.At(scrape.Inputs, "spec", "egress")) {
				o := inspect.Obj(rule)
				if inspect.Str(o, "to", 0, "podSelector", "matchLabels", "cnpg.io/cluster") == "metadata-db" {
					found = true
					if ns := inspect.Str(o, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != r.Platform.Network.Namespaces.Data {
						t.Errorf("Prometheus reaches the metadata database in %q", ns)
					}
					if inspect.Len(o, "ports") != 1 || inspect.Num(o, "ports", 0, "port") != cnpg.MetricsPort {
						t.Errorf("Prometheus reaches the metadata database on %v", inspect.Plain(inspect.At(o, "ports")))
					}
				}
			}
			if !found {
				t.Error("Prometheus has no egress to the metadata database's exporter")
			}
			pm := named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-metadata-db-podmonitor")
			ep := inspect.Obj(inspect.At(pm.Inputs, "spec", "podMetricsEndpoints", 0))
			if inspect.Str(ep, "scheme") != "https" || inspect.Str(ep, "tlsConfig", "ca", "secret", "name") != cnpg.MetricsCASecret("metadata-db") ||
				inspect.Str(ep, "tlsConfig", "serverName") != cnpg.MetricsServerName("metadata-db", r.Platform.Network.Namespaces.Data) {
				t.Errorf("metadata-db scraped as %v; want https verified with %s", inspect.Plain(inspect.At(pm.Inputs, "spec", "podMetricsEndpoints", 0)), cnpg.MetricsCASecret("metadata-db"))
			}
			cl := resourcesOf(r, "kubernetes:postgresql.cnpg.io/v1:Cluster")
			if len(cl) != 1 {
				t.Fatalf("%d CNPG Clusters", len(cl))
			}
			if on, ok := inspect.Bool(cl[0].Inputs, "spec", "monitoring", "tls", "enabled"); !ok || !on {
				t.Error("the CNPG Cluster serves its metrics without TLS")
			}
		})
	}
}
