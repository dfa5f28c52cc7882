package gmp

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// RunbookDoc is the runbook of the GCP-only alerts: the rules whose signal on GCP differs from the
// platform rule of the same name (Cloud SQL's audit log instead of the Barman Cloud plugin's
// metrics, a connection limit that follows the machine type). Every other policy links the
// platform's docs/runbook-alerts.md.
const RunbookDoc = "docs/runbook-alerts-gcp.md"

// ownRunbook are the rules whose section is in RunbookDoc.
var ownRunbook = map[string]bool{"PostgresBackupMissing": true, "PostgresBackupFailed": true, "PostgresConnectionSaturation": true}

// RunbookURL is the rule's runbook link on GCP, absolute under base when base is set.
func RunbookURL(base string, r observability.AlertRule) string {
	url := r.RunbookURL()
	if ownRunbook[r.Name] {
		url = RunbookDoc + "#" + r.Runbook
	}
	if base != "" {
		url = strings.TrimSuffix(base, "/") + "/" + url
	}
	return url
}

// LogMetric is a counter of matching log entries (a user-defined log-based metric, pulumi-gcp@v7.38.0
// sdk/go/gcp/logging/metric.go: Name, Filter, MetricDescriptor{MetricKind DELTA, ValueType INT64,
// Labels}, LabelExtractors). Cloud Monitoring names it logging.googleapis.com/user/<Name>, in PromQL
// logging_googleapis_com:user_<Name> ("Mapping Cloud Monitoring metrics to PromQL": the first '/'
// becomes ':', every other special character '_'); the monitored resource's labels come with it.
type LogMetric struct {
	// Name is the metric's id: letters, digits and '_' only, so that the PromQL name is the same.
	Name string
	// Description says what it counts.
	Description string
	// Filter is the Cloud Logging query that selects the entries.
	Filter string
	// Labels are extracted from each entry: label key → extractor ("EXTRACT(field)").
	Labels map[string]string
}

// PromQL is the metric's PromQL name.
func (m LogMetric) PromQL() string { return "logging_googleapis_com:user_" + m.Name }

var logMetricName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

// BackupWindowStatus is the label the backup metric carries: the automated backup's windowStatus.
const BackupWindowStatus = "window_status"

// backupFailed and backupGood match a window status. Cloud SQL documents the status of a backup run
// as ENQUEUED, OVERDUE, RUNNING, FAILED, SUCCESSFUL, SKIPPED, … (Cloud SQL Admin API v1
// SqlBackupRunStatus); the audit entry's windowStatus values are not listed, so a failure matches by
// word and a good window by its few plausible whole spellings (with or without "STATUS_"). The missing-backup alert counts only a
// positive match of a good window (successful, or skipped because the instance was idle): an
// unknown spelling of a failure can then never pass for a backup.
const (
	backupFailed = `.*(FAIL|OVERDUE).*`
	// PromQL's =~ matches the whole value: UNSUCCESSFUL is not a good window.
	backupGood = `(STATUS_)?(SUCCESSFUL|SUCCEEDED|SUCCESS|SKIPPED)`
)

// BackupMetric counts the Cloud SQL instance's automated backups: Cloud SQL writes one System Event
// audit log entry per automated backup (methodName cloudsql.instances.automatedBackup on resource
// type cloudsql_database, the backup window's outcome in protoPayload.metadata.windowStatus; Cloud
// SQL for PostgreSQL docs, backup-recovery/view-audit-logs-for-automated-backups: "Configure a
// log-based alert to notify you of the backup's status"). System Event audit logs are always written
// and cannot be disabled (Cloud Audit Logs overview), so the signal needs no logging setting.
func (a PlatformArgs) BackupMetric() LogMetric {
	return LogMetric{
		Name:        strings.ReplaceAll(a.Cluster, "-", "_") + "_cloudsql_automated_backups",
		Description: fmt.Sprintf("Automated backups of Cloud SQL instance %s:%s by window status (System Event audit log)", a.Project, a.Instance),
		Filter: strings.Join([]string{
			fmt.Sprintf(`logName="projects/%s/logs/cloudaudit.googleapis.com%%2Fsystem_event"`, a.Project),
			`protoPayload.methodName="cloudsql.instances.automatedBackup"`,
			`resource.type="cloudsql_database"`,
			fmt.Sprintf(`resource.labels.database_id="%s:%s"`, a.Project, a.Instance),
		}, "\n"),
		Labels: map[string]string{BackupWindowStatus: "EXTRACT(protoPayload.metadata.windowStatus)"},
	}
}

// LogMetrics are the log-based metrics the GCP rules read (Args.LogMetrics).
func (a PlatformArgs) LogMetrics() []LogMetric {
	if a.Instance == "" {
		return nil
	}
	return []LogMetric{a.BackupMetric()}
}

// backupRules are PostgresBackupMissing and PostgresBackupFailed over the audit log's backups.
func (a PlatformArgs) backupRules() []observability.AlertRule {
	if a.Instance == "" {
		return nil
	}
	maxAge := a.BackupMaxAge
	if maxAge == 0 {
		maxAge = 26 * time.Hour
	}
	m := a.BackupMetric()
	sel := func(status string) string {
		return fmt.Sprintf(`%s{monitored_resource="cloudsql_database", database_id="%s:%s", %s=~"%s"}`, m.PromQL(), a.Project, a.Instance, BackupWindowStatus, status)
	}
	return []observability.AlertRule{
		{
			Name: "PostgresBackupMissing", Runbook: "postgres-backup-missing", Severity: observability.Critical,
			// For 1 h rides out the audit log's ingestion delay; the range alone is the bound, so the
			// alert fires BackupMaxAge + 1 h after the last good backup. absent_over_time also holds
			// on a stack younger than its first backup window: the runbook says so.
			For:     time.Hour,
			Summary: fmt.Sprintf("Cloud SQL has reported no successful or skipped automated backup of the metadata database for %s", maxAge),
			// The range in whole hours ("26h"): a single-unit duration, as every PromQL dialect reads it.
			Expr: fmt.Sprintf(`absent_over_time(%s[%dh])`, sel(backupGood), int64((maxAge+time.Hour-1)/time.Hour)),
		},
		{
			Name: "PostgresBackupFailed", Runbook: "postgres-backup-failed", Severity: observability.Warning,
			Summary: "an automated backup of the metadata database failed or overran its window",
			Expr:    fmt.Sprintf(`sum(increase(%s[1h])) > 0`, sel(backupFailed)),
		},
	}
}

// connectionRule is PostgresConnectionSaturation over Cloud SQL's num_backends (GAUGE, per database)
// against the instance's max_connections; nil without it.
func (a PlatformArgs) connectionRule() []observability.AlertRule {
	maxConns, err := CloudSQLMaxConnections(a.Tier)
	if err != nil || a.Instance == "" {
		return nil
	}
	limit := maxConns * 8 / 10
	return []observability.AlertRule{{
		Name: "PostgresConnectionSaturation", Runbook: "postgres-connection-saturation", Severity: observability.Warning, For: 10 * time.Minute,
		Summary: fmt.Sprintf("the metadata database has more than %d connections, 80 %% of its max_connections (%d)", limit, maxConns),
		Expr:    fmt.Sprintf(`sum(cloudsql_googleapis_com:database_postgresql_num_backends{%s}) > %d`, a.sql(""), limit),
	}}
}

var customTier = regexp.MustCompile(`^db-custom-([1-9][0-9]*)-([1-9][0-9]*)$`)

// CloudSQLMaxConnections is the max_connections Cloud SQL for PostgreSQL sets for a machine type
// when no max_connections flag is set (the platform sets none: components/metadatadb/cloudsql):
// Cloud SQL for PostgreSQL "Quotas and limits", Maximum concurrent connections, by the instance's
// memory in GiB — 0.6 (db-f1-micro) 25, 1.7 (db-g1-small) 50, 3.75 up to 6: 100, 6 up to 7.5: 200,
// 7.5 up to 15: 400, 15 up to 30: 500, 30 up to 60: 600, 60 up to 120: 800, 120 and above: 1000.
func CloudSQLMaxConnections(tier string) (int, error) {
	switch tier {
	case "db-f1-micro":
		return 25, nil
	case "db-g1-small":
		return 50, nil
	}
	m := customTier.FindStringSubmatch(tier)
	if m == nil {
		return 0, fmt.Errorf("gmp: tier %q: db-custom-<vCPUs>-<MiB>, db-f1-micro or db-g1-small", tier)
	}
	mib, _ := strconv.Atoi(m[2])
	gib := float64(mib) / 1024
	for _, step := range []struct {
		below float64
		conns int
	}{{3.75, 0}, {6, 100}, {7.5, 200}, {15, 400}, {30, 500}, {60, 600}, {120, 800}} {
		if gib < step.below {
			if step.conns == 0 {
				return 0, fmt.Errorf("gmp: tier %q has %.2f GiB: a custom machine type has at least 3.75 GiB", tier, gib)
			}
			return step.conns, nil
		}
	}
	return 1000, nil
}

// Metrics are the series the GCP rules and dashboards may use for these arguments: CloudMetrics and
// the log-based metrics.
func (a PlatformArgs) Metrics() []observability.Metric {
	out := CloudMetrics()
	for _, m := range a.LogMetrics() {
		out = append(out, observability.Metric{Name: m.PromQL(), Source: "log-based metric " + m.Name + " (gmp.LogMetric)"})
	}
	return out
}
