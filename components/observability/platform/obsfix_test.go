package platform

import (
	"strings"
	"testing"
	"time"
)

// TestReviewedExpressions: a backup that never succeeded pages; WAL age pages only with segments
// waiting; certificates are named by their own namespace; Dremio's generic metric names are scoped
// to its job (rules and dashboards).
func TestReviewedExpressions(t *testing.T) {
	byName := map[string]string{}
	fors := map[string]time.Duration{}
	for _, r := range Rules(RulesArgs{AvailabilityPercent: 99.9, RPO: 15 * time.Minute, JobsNamespace: "jobs", CertManager: true}) {
		byName[r.Name], fors[r.Name] = r.Expr, r.For
	}
	if e := byName["PostgresNeverBackedUp"]; !strings.Contains(e, "last_available_backup_timestamp) == 0") || fors["PostgresNeverBackedUp"] != 24*time.Hour {
		t.Errorf("PostgresNeverBackedUp = %q for %s; want timestamp == 0 for 24h", e, fors["PostgresNeverBackedUp"])
	}
	if e := byName["PostgresWALArchivingBehindRPO"]; !strings.Contains(e, `cnpg_collector_pg_wal_archive_status{value="ready"}) > 0 and on (namespace, pod)`) {
		t.Errorf("WAL rule without the pending-segments condition: %s", e)
	}
	if e := byName["CertificateExpiringSoon"]; !strings.Contains(e, "by (exported_namespace, name)") {
		t.Errorf("certificate rule groups by the scrape's namespace: %s", e)
	}
	for _, n := range []string{"DremioQueryFailures", "DremioReflectionsFailed"} {
		if e := byName[n]; strings.Count(e, DremioJob) != strings.Count(e, "(jobs_")+strings.Count(e, "(reflections_") {
			t.Errorf("%s: a Dremio metric without %s: %s", n, DremioJob, e)
		}
	}
	for _, d := range Dashboards() {
		for _, p := range d.Panels {
			for _, q := range p.Queries {
				for _, m := range []string{"jobs_total", "jobs_failed_total", "reflections_active", "reflections_failed"} {
					if strings.Contains(q, m+"[") || strings.Contains(q, m+")") {
						t.Errorf("dashboard %s panel %q: %s unscoped: %s", d.UID, p.Title, m, q)
					}
				}
			}
		}
	}
}
