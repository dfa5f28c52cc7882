package backupprobe

import (
	_ "embed"
	"fmt"
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/probe"
)

// Script is the probe, a Python standard-library exporter written in this project (probe.py).
//
//go:embed probe.py
var Script string

// The series probe.py serves (its render method writes each name).
const (
	MetricPrefix   = "azure_pg_flexible_"
	LastBackup     = MetricPrefix + "last_backup_completed_timestamp_seconds"
	Backups        = MetricPrefix + "backups"
	ServerCreated  = MetricPrefix + "server_created_timestamp_seconds"
	ScrapeSuccess  = MetricPrefix + "probe_scrape_success"
	ScrapeDuration = MetricPrefix + "probe_scrape_duration_seconds"
	LastRefresh    = MetricPrefix + "probe_last_refresh_timestamp_seconds"
	ProbeStart     = MetricPrefix + "probe_start_timestamp_seconds"
)

// APIVersion is the Microsoft.DBforPostgreSQL api-version the probe reads with: the one the platform's
// server is created with (components/metadatadb/flexibleserver imports pulumi-azure-native-sdk/
// dbforpostgresql/v2@v2.28.0 v20230601preview). Azure/azure-rest-api-specs specification/postgresql/
// resource-manager/Microsoft.DBforPostgreSQL/preview/2023-06-01-preview/Backups.json (commit
// 6f0b668f): Backups_ListByServer GET .../flexibleServers/{serverName}/backups, x-ms-pageable
// nextLinkName "nextLink", ServerBackupListResult {value: [ServerBackup], nextLink},
// ServerBackupProperties {backupType: enum ["Full"], completedTime: date-time, source};
// examples/BackupListByServer.json shows source "Automatic" and completedTime with six and seven
// fractional digits ("2021-06-16T16:05:23.9243453+00:00"), one "Full" backup a day: the daily
// snapshots are listed as Full whether Azure stores them whole or as differentials
// (MicrosoftDocs/azure-databases-docs@02b7946 concepts-backup-restore.md: "The first snapshot is a
// full backup and consecutive snapshots are differential backups"; the enum has no other value for
// them). Later api-versions add "Customer On-Demand", which the probe counts but does not take as
// the schedule's. The server's own GET returns systemData (v20230601preview server.go SystemData,
// createdAt).
const APIVersion = "2023-06-01-preview"

// scriptSource is what each series' Source cites.
const scriptSource = "components/observability/azmon/backupprobe/probe.py over Azure/azure-rest-api-specs " +
	"Microsoft.DBforPostgreSQL/preview/2023-06-01-preview/Backups.json (Backups_ListByServer)"

// Metrics are the series the probe serves.
func Metrics() []observability.Metric {
	out := []observability.Metric{}
	for _, n := range []string{LastBackup, Backups, ServerCreated, ScrapeSuccess, ScrapeDuration, LastRefresh, ProbeStart} {
		out = append(out, observability.Metric{Name: n, Source: scriptSource})
	}
	return out
}

// Target is the probe's scrape target in namespace ns. The probe asks ARM at most every
// CacheSeconds whatever the interval; one minute keeps the probe-down signal prompt.
func Target(ns string) observability.ScrapeTarget {
	return probe.Target(Name, ns, time.Minute, Metrics())
}

// RunbookDoc is where the rules' sections are: the azure runbook (their signal exists on azure only).
const RunbookDoc = "docs/runbook-alerts-azure.md"

// Anchors of the rules' sections in RunbookDoc.
const (
	RunbookBackupMissing = "postgres-backup-missing"
	RunbookProbeDown     = "postgres-backup-probe-down"
)

// MaxBackupAge is how old the newest full backup may be: Flexible Server takes one snapshot a day
// (MicrosoftDocs/azure-docs articles/postgresql/flexible-server/concepts-backup-restore.md,
// "Backup frequency": "The first snapshot backup is scheduled immediately after a server is created.
// Snapshot backups are currently taken once daily."), plus two hours for the snapshot's own run and
// the probe's cache — the 26 h aws's RDS backup alarm uses (components/observability/amp/backup.go).
const MaxBackupAge = 26 * time.Hour

// Job matches the probe's job label: "<namespace>/<name>" from a PodMonitor (kube-prometheus-stack,
// the renderer on azure).
const Job = `job=~"(.+/)?` + Name + `"`

// Rules are the backup alert and the probe's own health alert.
func Rules() []observability.AlertRule {
	age := fmt.Sprint(int64(MaxBackupAge.Seconds()))
	last := `max(` + LastBackup + `{` + Job + `})`
	return []observability.AlertRule{
		{
			Name: "PostgresBackupMissing", Doc: RunbookDoc, Runbook: RunbookBackupMissing, Severity: observability.Critical,
			// 15 m: the probe refreshes every 5 m, so three refreshes agree.
			For:     15 * time.Minute,
			Summary: fmt.Sprintf("the Flexible Server's newest full backup is older than %s, or it has none and was created more than %s ago", MaxBackupAge, MaxBackupAge),
			// Older than 26 h; or no Full backup listed at all on a server created more than 26 h ago
			// (a fresh server's first snapshot is taken right after creation: no page on day one).
			// Without systemData.createdAt (optional in ARM's common types) the probe's own start
			// bounds the server's age from below: no Full backup in 26 h of probing.
			Expr: fmt.Sprintf(`time() - %s > %s or ((max(%s{%s}) or max(%s{%s})) < time() - %s and sum(%s{%s, backup_type="Full"}) == 0)`,
				last, age, ServerCreated, Job, ProbeStart, Job, age, Backups, Job),
		},
		{
			Name: "PostgresBackupProbeDown", Doc: RunbookDoc, Runbook: RunbookProbeDown, Severity: observability.Warning,
			// 30 m: a new identity's federation and Reader grant take minutes to propagate (the probe
			// reports scrape_success 0 meanwhile), and a restart costs a minute.
			For:     30 * time.Minute,
			Summary: "the Flexible Server backup probe cannot read the server's backups from Azure Resource Manager: a missing backup would not be seen",
			Expr:    `max(` + ScrapeSuccess + `{` + Job + `}) == 0 or absent(` + ScrapeSuccess + `{` + Job + `})`,
		},
	}
}
