package platform

import (
	"fmt"
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// RulesArgs are what the alert thresholds follow.
type RulesArgs struct {
	// AvailabilityPercent is the environment's target (99.9 in prod): the error budget the burn-rate
	// alert measures against.
	AvailabilityPercent float64
	// RPO is the environment's recovery point objective: WAL archiving older than it breaks it.
	RPO time.Duration
	// BackupMaxAge is how old the newest base backup may be (default 26h: a daily schedule plus
	// two hours for the backup itself).
	BackupMaxAge time.Duration
	// JobsNamespace is where Airbyte's sync pods run.
	JobsNamespace string
	// CertManager adds the certificate expiry alert (cert-manager is scraped only with the edge).
	CertManager bool
}

// platformJobs matches the up series of the platform's own targets (PodMonitor job label
// "<namespace>/<name>").
const platformJobs = `job=~".+/(metadata-db|object-store|dremio-coordinator|dremio-executor)"`

// DremioJob scopes Dremio's generic metric names (jobs_total, reflections_failed) to its
// coordinator's PodMonitor job.
const DremioJob = `job=~".+/dremio-coordinator"`

// DremioReflectionJob scopes the reflection-freshness bridge's series (components/dremio/
// reflectionmetrics.Job): "<namespace>/<name>" from a PodMonitor or the AMP scraper, "<name>" from GMP.
const DremioReflectionJob = `job=~"(.+/)?dremio-reflection-metrics"`

// Rules are the platform's alert rules; each names its section in docs/runbook-alerts.md.
func Rules(a RulesArgs) []observability.AlertRule {
	if a.BackupMaxAge == 0 {
		a.BackupMaxAge = 26 * time.Hour
	}
	budget := 1 - a.AvailabilityPercent/100
	if budget <= 0 {
		budget = 0.001
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%d", int64(d.Seconds())) }
	rule := func(name, runbook string, sev observability.Severity, forD time.Duration, summary, expr string) observability.AlertRule {
		return observability.AlertRule{Name: name, Runbook: runbook, Severity: sev, For: forD, Summary: summary, Expr: expr}
	}
	crit, warn := observability.Critical, observability.Warning
	backups := `max by (namespace) (barman_cloud_cloudnative_pg_io_last_available_backup_timestamp)`
	rules := []observability.AlertRule{
		rule("PlatformTargetDown", "platform-target-down", crit, 5*time.Minute,
			"{{ $labels.job }} ({{ $labels.pod }}) has not answered Prometheus for 5 minutes",
			`up{`+platformJobs+`} == 0`),
		// Multi-window burn rate (Google SRE workbook, "Alerting on SLOs"): 14.4 × the budget over 1h
		// and 5m spends 2 % of a 30-day budget in an hour.
		rule("PlatformAvailabilityBurn", "platform-availability-burn", crit, 2*time.Minute,
			fmt.Sprintf("{{ $labels.job }} is burning its %.1f %% availability budget 14× too fast", a.AvailabilityPercent),
			fmt.Sprintf(`(1 - avg by (job) (avg_over_time(up{%s}[1h]))) > %.6g and (1 - avg by (job) (avg_over_time(up{%s}[5m]))) > %.6g`,
				platformJobs, 14.4*budget, platformJobs, 14.4*budget)),
		rule("PostgresBackupMissing", "postgres-backup-missing", crit, 15*time.Minute,
			fmt.Sprintf("the newest base backup of the metadata database is older than %s", a.BackupMaxAge),
			fmt.Sprintf(`time() - %s > %s and %s > 0`, backups, secs(a.BackupMaxAge), backups)),
		// plugin-barman-cloud@v0.15.0 internal/cnpgi/instance/metrics.go reports the timestamp as 0
		// until the first backup succeeds: a schedule or object store broken from the start.
		// for: at most 24 h (the model's bound), the daily schedule's period.
		rule("PostgresNeverBackedUp", "postgres-never-backed-up", crit, min(a.BackupMaxAge, 24*time.Hour),
			fmt.Sprintf("the metadata database has had no successful base backup for %s", min(a.BackupMaxAge, 24*time.Hour)),
			backups+` == 0`),
		rule("PostgresBackupFailed", "postgres-backup-failed", warn, 0,
			"the last base backup of the metadata database failed",
			`max by (namespace) (barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp) > `+backups),
		rule("PostgresWALArchivingBehindRPO", "postgres-wal-archiving-behind-rpo", crit, 5*time.Minute,
			fmt.Sprintf("no WAL segment archived for longer than the RPO (%s) on {{ $labels.pod }}", a.RPO),
			// Only with segments waiting (cloudnative-pg@v1.29.1 pkg/management/postgres/webserver/
			// metricserver/pg_collector.go cnpg_collector_pg_wal_archive_status{value="ready"}): an idle
			// primary does not switch segments, so the time since the last archival alone grows forever.
			fmt.Sprintf(`max by (namespace, pod) (cnpg_collector_pg_wal_archive_status{value="ready"}) > 0 and on (namespace, pod) min by (namespace, pod) (cnpg_pg_stat_archiver_seconds_since_last_archival) > %s`, secs(a.RPO))),
		rule("PostgresWALArchivingFailing", "postgres-wal-archiving-failing", warn, 10*time.Minute,
			"WAL archiving attempts are failing on {{ $labels.pod }}",
			`rate(cnpg_pg_stat_archiver_failed_count[10m]) > 0`),
		rule("PostgresReplicationLag", "postgres-replication-lag", warn, 5*time.Minute,
			"replica {{ $labels.pod }} replays WAL more than 60 s behind the primary",
			`max by (namespace, pod) (cnpg_pg_replication_lag) > 60`),
		rule("PostgresConnectionSaturation", "postgres-connection-saturation", warn, 10*time.Minute,
			"{{ $labels.pod }} uses more than 80 % of max_connections",
			`sum by (namespace, pod) (cnpg_backends_total) / on (namespace, pod) max by (namespace, pod) (cnpg_pg_settings_setting{name="max_connections"}) > 0.8`),
		rule("ObjectStoreNodeOffline", "object-store-node-offline", crit, 5*time.Minute,
			"MinIO reports offline nodes or drives",
			`max(minio_cluster_nodes_offline_total) > 0 or max(minio_cluster_drive_offline_total) > 0`),
		rule("ObjectStoreErrors", "object-store-errors", warn, 10*time.Minute,
			"more than 5 % of S3 requests to MinIO fail with a server error",
			minioRate("minio_s3_requests_5xx_errors_total", "")+" / "+minioRate("minio_s3_requests_total", "")+" > 0.05"),
		rule("AirbyteSyncPodsFailing", "airbyte-sync-pods-failing", warn, 15*time.Minute,
			"Airbyte sync pods are failing in "+a.JobsNamespace,
			fmt.Sprintf(`sum(kube_pod_status_phase{namespace=%q, phase="Failed"}) > 0`, a.JobsNamespace)),
		rule("DremioQueryFailures", "dremio-query-failures", warn, 15*time.Minute,
			"more than 10 % of Dremio queries fail",
			`sum(rate(jobs_failed_total{`+DremioJob+`}[15m])) / sum(rate(jobs_total{`+DremioJob+`}[15m])) > 0.1 and sum(rate(jobs_total{`+DremioJob+`}[15m])) > 0`),
		rule("DremioExecutorLost", "dremio-executor-lost", crit, 10*time.Minute,
			"fewer Dremio executors are ready than requested",
			`max by (namespace) (kube_statefulset_status_replicas_ready{statefulset="dremio-executor"}) < max by (namespace) (kube_statefulset_replicas{statefulset="dremio-executor"})`),
		rule("DremioReflectionsFailed", "dremio-reflections-failed", warn, 30*time.Minute,
			"Dremio has failed reflections: queries fall back to the source data",
			`max(reflections_failed{`+DremioJob+`}) > 0`),
		rule("VolumeFillingUp", "volume-filling-up", warn, 15*time.Minute,
			"volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has less than 15 % free",
			`kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.15`),
		rule("PodCrashLooping", "pod-crash-looping", warn, 15*time.Minute,
			"{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash-looping",
			`max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1`),
	}
	if a.CertManager {
		rules = append(rules, rule("CertificateExpiringSoon", "certificate-expiring-soon", warn, time.Hour,
			// cert-manager@v1.21.1 pkg/metrics: the series' own namespace label; the PodMonitor sets
			// namespace from the pod (honor_labels off), so Prometheus keeps the certificate's as
			// exported_namespace.
			"certificate {{ $labels.exported_namespace }}/{{ $labels.name }} expires in less than 14 days: cert-manager has not renewed it",
			`min by (exported_namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time() < 14 * 86400`))
	}
	return rules
}
