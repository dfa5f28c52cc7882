package platform

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/dremio/reflectionmetrics"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/components/objectstore/minio"
	"github.com/opendataplatform/dataplatform/components/observability"
)

// targets are the platform's scrape targets, declared by the components that run the sources.
func targets() []observability.ScrapeTarget {
	out := []observability.ScrapeTarget{
		cnpg.MetricsTarget("metadata-db", "dataplatform-data"),
		minio.MetricsTarget("object-store", "dataplatform-data"),
		CertManagerTarget("cert-manager"),
		reflectionmetrics.Target("dataplatform"),
	}
	return append(out, dremio.MetricsTargets("dataplatform")...)
}

// TestDashboardsNameOnlyRealMetrics: every series a dashboard queries is declared by a target (with
// its upstream source) or by the cluster's exporters; the model validates.
func TestDashboardsNameOnlyRealMetrics(t *testing.T) {
	s := observability.Spec{Targets: targets(), Dashboards: Dashboards()}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if u := s.Undeclared(ClusterMetrics()...); len(u) > 0 {
		t.Errorf("metrics no source emits: %v", u)
	}
	// The design document's key metrics are each on a dashboard.
	want := map[string]bool{
		"cnpg_backends_total": false, "cnpg_pg_stat_database_xact_commit": false, "cnpg_pg_stat_database_blks_hit": false,
		"minio_s3_requests_total": false, "minio_s3_requests_errors_total": false, "minio_s3_traffic_sent_bytes": false,
		"jobs_total": false, "reflections_failed": false, "dremio_query_duration_mean_seconds": false,
	}
	for _, d := range s.Dashboards {
		for _, p := range d.Panels {
			for _, q := range p.Queries {
				for _, n := range observability.MetricNames(q) {
					if _, ok := want[n]; ok {
						want[n] = true
					}
				}
			}
		}
	}
	for n, seen := range want {
		if !seen {
			t.Errorf("key metric %s is on no dashboard", n)
		}
	}
	// A dashboard naming a metric nobody emits is caught.
	bad := s
	bad.Dashboards = append(append([]observability.Dashboard{}, s.Dashboards...), observability.Dashboard{UID: "x", Title: "x",
		Panels: []observability.Panel{{Title: "x", Queries: []string{"sum(pg_stat_database_numbackends)"}}}})
	if len(bad.Undeclared(ClusterMetrics()...)) != 1 {
		t.Error("an undeclared metric must be reported")
	}
}

// TestRulesRealMetricsAndRunbooks: every rule names only emitted metrics, links a section that
// exists in docs/runbook-alerts.md, and the classes of issue 12 are covered; thresholds follow the
// profile.
func TestRulesRealMetricsAndRunbooks(t *testing.T) {
	rules := Rules(RulesArgs{AvailabilityPercent: 99.9, RPO: 15 * time.Minute, JobsNamespace: "dataplatform-jobs", CertManager: true})
	s := observability.Spec{Targets: targets(), Rules: rules}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if u := s.Undeclared(ClusterMetrics()...); len(u) > 0 {
		t.Errorf("metrics no source emits: %v", u)
	}
	doc, err := os.ReadFile("../../../docs/runbook-alerts.md")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]observability.AlertRule{}
	for _, r := range rules {
		byName[r.Name] = r
		if !strings.Contains(string(doc), `<a id="`+r.Runbook+`"></a>`+"\n## "+r.Name+" ("+string(r.Severity)+")") {
			t.Errorf("%s: no section %q headed with its name and severity in docs/runbook-alerts.md", r.Name, r.Runbook)
		}
	}
	for _, want := range []string{"PlatformTargetDown", "PlatformAvailabilityBurn", "PostgresBackupMissing", "PostgresBackupFailed",
		"PostgresWALArchivingBehindRPO", "PostgresReplicationLag", "PostgresConnectionSaturation", "AirbyteSyncPodsFailing",
		"DremioQueryFailures", "DremioExecutorLost", "CertificateExpiringSoon", "VolumeFillingUp", "PodCrashLooping"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("no %s rule", want)
		}
	}
	if e := byName["PostgresWALArchivingBehindRPO"].Expr; !strings.HasSuffix(e, "> 900") {
		t.Errorf("WAL archiving threshold must be the prod RPO (900 s): %s", e)
	}
	if e := byName["PlatformAvailabilityBurn"].Expr; !strings.Contains(e, "> 0.0144") {
		t.Errorf("burn threshold must be 14.4 × (1 − 0.999): %s", e)
	}
	dev := Rules(RulesArgs{AvailabilityPercent: 95, RPO: 24 * time.Hour, JobsNamespace: "j"})
	for _, r := range dev {
		if r.Name == "CertificateExpiringSoon" {
			t.Error("no certificate alert without cert-manager")
		}
		if r.Name == "PostgresWALArchivingBehindRPO" && !strings.HasSuffix(r.Expr, "> 86400") {
			t.Errorf("dev RPO: %s", r.Expr)
		}
	}
}
