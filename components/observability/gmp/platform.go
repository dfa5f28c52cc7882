package gmp

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
)

// PlatformArgs are what the platform's rules on GCP follow.
type PlatformArgs struct {
	// AvailabilityPercent and RPO are the environment profile's (as platform.RulesArgs).
	AvailabilityPercent float64
	RPO                 time.Duration
	// Targets are the scrape targets on GCP (Dremio's): their PodMonitoring names are the job label.
	Targets []observability.ScrapeTarget
	// Project and Instance name the Cloud SQL instance (resource label database_id "<project>:<instance>").
	Project, Instance string
	// PointInTimeRecovery: WAL is archived (the WAL alerts exist only then).
	PointInTimeRecovery bool
	// DRReplica: the cross-region read replica "<Instance>-dr" exists (components/metadatadb/cloudsql
	// replica.go), the replication lag alert watches it.
	DRReplica bool
	// BucketPrefix names the platform's buckets "<BucketPrefix>-<role>" (components/objectstore/gcs).
	BucketPrefix string
	// JobsNamespace is where Airbyte's sync pods run.
	JobsNamespace string
	// Cluster is the stack's GKE cluster name. Cloud Monitoring's PromQL reads the whole project, so
	// every query over the cluster's series names it: GMP and managed kube-state-metrics series carry
	// it as "cluster" (prometheus-engine v0.17.2 pkg/operator/apis/monitoring/v1/pod_config.go:
	// TargetLabel labelCluster = "cluster", beside project_id and location), GKE system metrics
	// (kubernetes.io, resources k8s_pod/k8s_container) as "cluster_name".
	Cluster string
	// Namespaces are the platform's namespaces: the volume and restart rules watch only these, not
	// kube-system, gmp-system or another team's workloads.
	Namespaces []string
	// CertManager: cert-manager issues the edge's stream (Flight/JDBC) certificate and is scraped
	// (platform.CertManagerTarget, job "cert-manager"; stacks/gcp_edge.go), so its expiry alert exists.
	CertManager bool
	// BackupMaxAge is how long Cloud SQL may report no successful automated backup (default 26 h: the
	// daily window plus margin, as platform.RulesArgs.BackupMaxAge).
	BackupMaxAge time.Duration
	// ReflectionBridge: the reflection-freshness bridge (components/dremio/reflectionmetrics, job
	// "dremio-reflection-metrics") is scraped beside Targets, so the Dremio dashboard keeps the
	// platform's "Reflection freshness" panel; without it the panel is left out.
	ReflectionBridge bool
	// Tier is the Cloud SQL instance's machine type: its max_connections (CloudSQLMaxConnections) is
	// what PostgresConnectionSaturation measures against; empty drops that rule.
	Tier string
}

// Validate checks what every rule and dashboard query is scoped with.
func (a PlatformArgs) Validate() error {
	switch {
	case !nameRe.MatchString(a.Cluster):
		return fmt.Errorf("gmp: PlatformArgs.Cluster = %q: the GKE cluster's name scopes every query", a.Cluster)
	case len(a.Namespaces) == 0:
		return fmt.Errorf("gmp: PlatformArgs.Namespaces is empty: the volume and restart rules watch the platform's namespaces")
	}
	if a.Tier != "" {
		if _, err := CloudSQLMaxConnections(a.Tier); err != nil {
			return err
		}
	}
	return nil
}

// inCluster is the matcher of GMP and kube-state-metrics series to the stack's cluster.
func (a PlatformArgs) inCluster() string { return fmt.Sprintf(`cluster=%q`, a.Cluster) }

// ClusterMatcher is that matcher, for the models the stacks add beside the platform's rules (Airbyte's
// jobs-database exporter, stacks/airbyte_metrics.go).
func (a PlatformArgs) ClusterMatcher() string { return a.inCluster() }

// dremio scopes Dremio's generic metric names to its coordinator in this cluster.
func (a PlatformArgs) dremio() string { return DremioJob + ", " + a.inCluster() }

// executors are Dremio's executor StatefulSet's kube-state-metrics series in this cluster.
func (a PlatformArgs) executors() string {
	return a.inCluster() + `, statefulset="dremio-executor"`
}

// system scopes a GKE system metric on resource type res to the cluster and the platform's namespaces.
func (a PlatformArgs) system(res string) string {
	quoted := make([]string, len(a.Namespaces))
	for i, n := range a.Namespaces {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return fmt.Sprintf(`monitored_resource=%q, cluster_name=%q, namespace_name=~"%s"`, res, a.Cluster, strings.Join(quoted, "|"))
}

// Cloud Monitoring metrics as PromQL names: the first '/' becomes ':', every other '/' and '.' '_'
// (Cloud Monitoring "Mapping Cloud Monitoring metrics to PromQL"); the monitored resource is the
// label monitored_resource. Sources: the Google Cloud metrics lists (docs.cloud.google.com/
// monitoring/api/metrics_gcp_c, generated 2026-04-10: cloudsql.googleapis.com database/up GAUGE,
// postgresql/num_backends GAUGE {database}, postgresql/transaction_count DELTA {database,
// transaction_type}, postgresql/blocks_read_count DELTA {database, source: disk|buffer_cache},
// replication/log_archive_success_count and log_archive_failure_count DELTA, replication/replica_lag
// GAUGE s, disk/utilization GAUGE; metrics_gcp_p_z storage.googleapis.com api/request_count DELTA
// {method, response_code}, network/sent_bytes_count, network/received_bytes_count, storage/total_bytes;
// metrics_kubernetes kubernetes.io pod/volume/utilization GAUGE {volume_name} on k8s_pod,
// container/restart_count CUMULATIVE on k8s_container — GKE system metrics, SYSTEM_COMPONENTS).
const (
	cloudSQLSource = "Cloud Monitoring metrics_gcp_c (cloudsql.googleapis.com)"
	gcsSource      = "Cloud Monitoring metrics_gcp_p_z (storage.googleapis.com)"
	gkeSource      = "Cloud Monitoring metrics_kubernetes (kubernetes.io, GKE system metrics)"
	// GKE's managed kube-state-metrics (monitoringConfig.enableComponents POD and STATEFULSET,
	// components/cluster/gke), the open-source names under prometheus.googleapis.com/…/gauge.
	ksmSource = "GKE kube state metrics (Pod and StatefulSet packages; kube-state-metrics internal/store)"
)

// CloudMetrics are the series the GCP rules and dashboards use besides the scrape targets'.
func CloudMetrics() []observability.Metric {
	m := func(src string, names ...string) []observability.Metric {
		out := []observability.Metric{}
		for _, n := range names {
			out = append(out, observability.Metric{Name: n, Source: src})
		}
		return out
	}
	var out []observability.Metric
	out = append(out, m("prometheus (synthetic per scrape; GMP writes prometheus.googleapis.com/up/gauge, prometheus-engine v0.17.2 e2e/collector_test.go)", "up")...)
	out = append(out, m(cloudSQLSource,
		"cloudsql_googleapis_com:database_up", "cloudsql_googleapis_com:database_postgresql_num_backends",
		"cloudsql_googleapis_com:database_postgresql_transaction_count", "cloudsql_googleapis_com:database_postgresql_blocks_read_count",
		"cloudsql_googleapis_com:database_replication_log_archive_success_count", "cloudsql_googleapis_com:database_replication_log_archive_failure_count",
		"cloudsql_googleapis_com:database_replication_replica_lag", "cloudsql_googleapis_com:database_disk_utilization",
		"cloudsql_googleapis_com:database_postgresql_write_ahead_log_written_bytes_count")...)
	out = append(out, m(gcsSource, "storage_googleapis_com:api_request_count", "storage_googleapis_com:network_sent_bytes_count",
		"storage_googleapis_com:network_received_bytes_count", "storage_googleapis_com:storage_total_bytes")...)
	out = append(out, m(gkeSource, "kubernetes_io:pod_volume_utilization", "kubernetes_io:container_restart_count")...)
	out = append(out, m(ksmSource, "kube_pod_status_phase", "kube_statefulset_status_replicas_ready", "kube_statefulset_replicas")...)
	// Scraped with the edge's controllers (platform.CertManagerTarget), outside the model's targets.
	out = append(out, platform.CertManagerMetrics()...)
	return out
}

func (a PlatformArgs) sql(suffix string) string {
	return fmt.Sprintf(`monitored_resource="cloudsql_database", database_id="%s:%s%s"`, a.Project, a.Instance, suffix)
}

func (a PlatformArgs) gcs(extra string) string {
	return fmt.Sprintf(`monitored_resource="gcs_bucket", bucket_name=~"%s-.+"%s`, regexp.QuoteMeta(a.BucketPrefix), extra)
}

func (a PlatformArgs) jobs() string {
	names := []string{}
	for _, t := range a.Targets {
		names = append(names, t.Name)
	}
	return `job=~"` + strings.Join(names, "|") + `", ` + a.inCluster()
}

// Rules are the platform's alert rules on GCP: each platform rule (components/observability/platform)
// whose metrics exist here, over GMP's series (job = the PodMonitoring's name) or the Cloud
// Monitoring metrics of Cloud SQL, Cloud Storage and GKE. Dropped says why the others are absent.
// Every rule keeps the platform rule's name and runbook section.
func Rules(a PlatformArgs) []observability.AlertRule {
	budget := 1 - a.AvailabilityPercent/100
	if budget <= 0 {
		budget = 0.001
	}
	rule := func(name, runbook string, sev observability.Severity, forD time.Duration, summary, expr string) observability.AlertRule {
		return observability.AlertRule{Name: name, Runbook: runbook, Severity: sev, For: forD, Summary: summary, Expr: expr}
	}
	crit, warn := observability.Critical, observability.Warning
	sql := a.sql("")
	var rules []observability.AlertRule
	if len(a.Targets) > 0 {
		rules = append(rules, rule("PlatformTargetDown", "platform-target-down", crit, 5*time.Minute,
			"a Dremio pod has not answered the managed collector, or the Cloud SQL instance has been down, for 5 minutes",
			`up{`+a.jobs()+`} == 0 or max by (database_id) (cloudsql_googleapis_com:database_up{`+sql+`}) == 0`),
			rule("PlatformAvailabilityBurn", "platform-availability-burn", crit, 2*time.Minute,
				fmt.Sprintf("a Dremio job is burning its %.1f %% availability budget 14× too fast", a.AvailabilityPercent),
				fmt.Sprintf(`(1 - avg by (job) (avg_over_time(up{%s}[1h]))) > %.6g and (1 - avg by (job) (avg_over_time(up{%s}[5m]))) > %.6g`,
					a.jobs(), 14.4*budget, a.jobs(), 14.4*budget)))
	}
	rules = append(rules, a.backupRules()...)
	rules = append(rules, a.connectionRule()...)
	if a.PointInTimeRecovery {
		rpo := observability.Duration(a.RPO)
		rules = append(rules,
			rule("PostgresWALArchivingBehindRPO", "postgres-wal-archiving-behind-rpo", crit, 5*time.Minute,
				fmt.Sprintf("Cloud SQL wrote WAL but archived none for the RPO (%s)", a.RPO),
				// An idle instance writes no WAL and archives none: only WAL written and nothing
				// archived over the RPO breaks it.
				fmt.Sprintf(`sum(rate(cloudsql_googleapis_com:database_postgresql_write_ahead_log_written_bytes_count{%s}[%s])) > 0 and sum(increase(cloudsql_googleapis_com:database_replication_log_archive_success_count{%s}[%s])) == 0`, sql, rpo, sql, rpo)),
			rule("PostgresWALArchivingFailing", "postgres-wal-archiving-failing", warn, 10*time.Minute,
				"Cloud SQL's WAL archiving attempts are failing",
				`sum(rate(cloudsql_googleapis_com:database_replication_log_archive_failure_count{`+sql+`}[10m])) > 0`))
	}
	if a.DRReplica {
		rules = append(rules, rule("PostgresReplicationLag", "postgres-replication-lag", warn, 5*time.Minute,
			"the Cloud SQL DR replica replays more than 60 s behind the primary",
			`max(cloudsql_googleapis_com:database_replication_replica_lag{`+a.sql("-dr")+`}) > 60`))
	}
	if a.BucketPrefix != "" {
		// Cloud Storage reports canonical codes in response_code; the server-side ones stand for 5xx.
		errs := a.gcs(`, response_code=~"INTERNAL|UNAVAILABLE|DEADLINE_EXCEEDED|UNKNOWN"`)
		rules = append(rules, rule("ObjectStoreErrors", "object-store-errors", warn, 10*time.Minute,
			"more than 5 % of Cloud Storage requests to the platform's buckets fail with a server error",
			fmt.Sprintf(`sum(rate(storage_googleapis_com:api_request_count{%s}[10m])) / sum(rate(storage_googleapis_com:api_request_count{%s}[10m])) > 0.05`, errs, a.gcs(""))))
	}
	if a.JobsNamespace != "" {
		rules = append(rules, rule("AirbyteSyncPodsFailing", "airbyte-sync-pods-failing", warn, 15*time.Minute,
			"Airbyte sync pods are failing in "+a.JobsNamespace,
			fmt.Sprintf(`sum(kube_pod_status_phase{%s, namespace=%q, phase="Failed"}) > 0`, a.inCluster(), a.JobsNamespace)))
	}
	if len(a.Targets) > 0 {
		rules = append(rules,
			rule("DremioQueryFailures", "dremio-query-failures", warn, 15*time.Minute, "more than 10 % of Dremio queries fail",
				`sum(rate(jobs_failed_total{`+a.dremio()+`}[15m])) / sum(rate(jobs_total{`+a.dremio()+`}[15m])) > 0.1 and sum(rate(jobs_total{`+a.dremio()+`}[15m])) > 0`),
			rule("DremioExecutorLost", "dremio-executor-lost", crit, 10*time.Minute, "fewer Dremio executors are ready than requested",
				`max by (namespace) (kube_statefulset_status_replicas_ready{`+a.executors()+`}) < max by (namespace) (kube_statefulset_replicas{`+a.executors()+`})`),
			rule("DremioReflectionsFailed", "dremio-reflections-failed", warn, 30*time.Minute,
				"Dremio has failed reflections: queries fall back to the source data", `max(reflections_failed{`+a.dremio()+`}) > 0`))
	}
	if a.CertManager {
		// The series' own namespace label is the certificate's; the scrape's namespace wins (honor_labels
		// off, as on the kubernetes target), so the certificate's is exported_namespace.
		rules = append(rules, rule("CertificateExpiringSoon", "certificate-expiring-soon", warn, time.Hour,
			"a cert-manager certificate expires in less than 14 days: cert-manager has not renewed it",
			`min by (exported_namespace, name) (certmanager_certificate_expiration_timestamp_seconds{job="cert-manager", `+a.inCluster()+`}) - time() < 14 * 86400`))
	}
	rules = append(rules,
		rule("VolumeFillingUp", "volume-filling-up", warn, 15*time.Minute, "a pod's volume has less than 15 % free",
			`max by (namespace_name, pod_name, volume_name) (kubernetes_io:pod_volume_utilization{`+a.system("k8s_pod")+`}) > 0.85`),
		rule("PodCrashLooping", "pod-crash-looping", warn, 15*time.Minute, "a container restarted more than 3 times in 15 minutes",
			`sum by (namespace_name, pod_name, container_name) (increase(kubernetes_io:container_restart_count{`+a.system("k8s_container")+`}[15m])) > 3`))
	return rules
}

// DremioJob scopes Dremio's generic metric names to its coordinator: GMP sets job to the
// PodMonitoring's name (prometheus-engine v0.17.2 pkg/operator/apis/monitoring/v1/pod_config.go:
// relabel Replacement p.Name, TargetLabel "job"), unlike prometheus-operator's "<namespace>/<name>".
const DremioJob = `job="dremio-coordinator"`

// Dropped are the platform rules that have no GCP rendering, with the reason, for the arguments given.
func Dropped(a PlatformArgs) map[string]string {
	out := map[string]string{
		"PostgresNeverBackedUp": "PostgresBackupMissing covers it: on GCP it reads Cloud SQL's audit log of automated backups, " +
			"which holds no entry until the first backup",
		"ObjectStoreNodeOffline": "Cloud Storage has no nodes or drives the platform runs",
	}
	if a.Instance == "" {
		out["PostgresBackupMissing"] = "no Cloud SQL instance given"
		out["PostgresBackupFailed"] = out["PostgresBackupMissing"]
	}
	if _, err := CloudSQLMaxConnections(a.Tier); err != nil || a.Instance == "" {
		out["PostgresConnectionSaturation"] = "the instance's max_connections is not known (no Cloud SQL tier given)"
	}
	if !a.CertManager {
		out["CertificateExpiringSoon"] = "no edge: no cert-manager certificate (the HTTP edge's are Google-managed, Certificate Manager renews them)"
	}
	if !a.PointInTimeRecovery {
		out["PostgresWALArchivingBehindRPO"] = "point-in-time recovery is off: Cloud SQL archives no WAL"
		out["PostgresWALArchivingFailing"] = out["PostgresWALArchivingBehindRPO"]
	}
	if !a.DRReplica {
		out["PostgresReplicationLag"] = "no read replica (metadataDb.drReplica off); Cloud SQL's HA standby is not a replica with a lag metric"
	}
	if a.BucketPrefix == "" {
		out["ObjectStoreErrors"] = "no bucket prefix given"
	}
	return out
}

// Dashboards are the design document's key metrics on GCP: Cloud SQL and Cloud Storage from Cloud
// Monitoring, Dremio from its PodMonitoring.
func Dashboards(a PlatformArgs) []observability.Dashboard {
	p := func(title, unit string, kind observability.PanelKind, q ...string) observability.Panel {
		return observability.Panel{Title: title, Unit: unit, Kind: kind, Queries: q}
	}
	ts, stat := observability.TimeSeries, observability.Stat
	sql := a.sql("")
	pg := []observability.Panel{
		p("Connections by database", "short", ts, `sum by (database) (cloudsql_googleapis_com:database_postgresql_num_backends{`+sql+`})`),
		p("Transactions per second", "ops", ts, `sum by (database) (rate(cloudsql_googleapis_com:database_postgresql_transaction_count{`+sql+`}[5m]))`),
		p("Cache hit ratio", "percentunit", ts,
			`sum(rate(cloudsql_googleapis_com:database_postgresql_blocks_read_count{`+sql+`, source="buffer_cache"}[5m])) / sum(rate(cloudsql_googleapis_com:database_postgresql_blocks_read_count{`+sql+`}[5m]))`),
		p("Disk used", "percentunit", stat, `max(cloudsql_googleapis_com:database_disk_utilization{`+sql+`})`),
		p("WAL archived / failed per second", "ops", ts,
			`sum(rate(cloudsql_googleapis_com:database_replication_log_archive_success_count{`+sql+`}[5m]))`,
			`sum(rate(cloudsql_googleapis_com:database_replication_log_archive_failure_count{`+sql+`}[5m]))`),
	}
	if a.DRReplica {
		pg = append(pg, p("DR replica lag", "s", ts, `max(cloudsql_googleapis_com:database_replication_replica_lag{`+a.sql("-dr")+`})`))
	}
	out := []observability.Dashboard{{UID: "dataplatform-postgres", Title: "Data platform / PostgreSQL (Cloud SQL)", Panels: pg}}
	if a.BucketPrefix != "" {
		rate := func(metric, by, extra string) string {
			return "sum" + by + " (rate(" + metric + "{" + a.gcs(extra) + "}[5m]))"
		}
		out = append(out, observability.Dashboard{UID: "dataplatform-object-store", Title: "Data platform / Object store (Cloud Storage)", Panels: []observability.Panel{
			p("Requests per second by method", "reqps", ts, rate("storage_googleapis_com:api_request_count", " by (method)", "")),
			p("Requests per second by response", "reqps", ts, rate("storage_googleapis_com:api_request_count", " by (response_code)", "")),
			p("Bandwidth", "Bps", ts, rate("storage_googleapis_com:network_received_bytes_count", "", ""), rate("storage_googleapis_com:network_sent_bytes_count", "", "")),
			p("Stored bytes by bucket", "short", ts, `sum by (bucket_name) (storage_googleapis_com:storage_total_bytes{`+a.gcs("")+`})`),
		}})
	}
	if len(a.Targets) > 0 {
		for _, d := range platform.Dashboards() {
			if d.UID != "dataplatform-dremio" {
				continue
			}
			// The platform's Dremio panels with GMP's job label, in this cluster.
			panels := []observability.Panel{}
			for _, pn := range d.Panels {
				q := append([]string{}, pn.Queries...)
				bridge := false
				for j := range q {
					bridge = bridge || strings.Contains(q[j], platform.DremioReflectionJob)
					q[j] = strings.ReplaceAll(q[j], platform.DremioJob, a.dremio())
					q[j] = strings.ReplaceAll(q[j], `statefulset="dremio-executor"`, a.executors())
					q[j] = strings.ReplaceAll(q[j], platform.DremioReflectionJob, `job="dremio-reflection-metrics", `+a.inCluster())
				}
				if bridge && !a.ReflectionBridge {
					continue
				}
				pn.Queries = q
				panels = append(panels, pn)
			}
			d.Panels = panels
			out = append(out, d)
		}
	}
	return out
}
