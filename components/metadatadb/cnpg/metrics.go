package cnpg

import "github.com/opendataplatform/dataplatform/components/observability"

// Where the metric names of an instance's exporter come from:
//   - The exporter: every instance serves Prometheus text on container port 9187 named "metrics"
//     (cloudnative-pg@v1.29.1 pkg/management/url/url.go PostgresMetricsPort = 9187; pkg/specs/pods.go
//     names the port "metrics"), over TLS: this component sets spec.monitoring.tls.enabled
//     (api/v1/cluster_types.go ClusterMonitoringTLSConfiguration; pkg/specs/pods.go adds
//     --metrics-port-tls), and the instance serves the metrics with its server certificate, TLS 1.3 at
//     least (pkg/management/postgres/webserver/metricserver/metrics.go GetServerCertificate). The
//     operator's own PodMonitor selects cnpg.io/cluster=<name>, cnpg.io/podRole=instance
//     (pkg/specs/podmonitor.go); the scrape target does the same.
//   - The default queries (config/manager/default-monitoring.yaml, the ConfigMap the operator
//     installs), named cnpg_<query>_<column>: backends.total → cnpg_backends_total;
//     pg_stat_database.xact_commit/xact_rollback/blks_hit/blks_read (COUNTER) →
//     cnpg_pg_stat_database_*; pg_settings.setting with label name → cnpg_pg_settings_setting
//     (max_connections among them); pg_replication.lag → cnpg_pg_replication_lag;
//     pg_stat_archiver.seconds_since_last_archival / failed_count →
//     cnpg_pg_stat_archiver_seconds_since_last_archival, cnpg_pg_stat_archiver_failed_count.
//   - The collector (pkg/management/postgres/webserver/metricserver/pg_collector.go, namespace
//     "cnpg", subsystem "collector"): cnpg_collector_up. Its last_available_backup_timestamp reads
//     Cluster.Status.LastSuccessfulBackup, which api/v1/cluster_types.go says "is not set for backup
//     plugins" — and this component backs up through the Barman Cloud plugin. So backups are watched
//     through the plugin's metrics, which the same exporter publishes
//     (plugin-barman-cloud@v0.15.0 internal/cnpgi/instance/metrics.go: PluginName
//     "barman-cloud.cloudnative-pg.io" with '.' and '-' turned into '_', then the name):
//     barman_cloud_cloudnative_pg_io_last_available_backup_timestamp and
//     barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp (0 until the store has a backup).
const (
	MetricsPort   = 9187
	defaultsSrc   = "cloudnative-pg@v1.29.1 config/manager/default-monitoring.yaml"
	collectorSrc  = "cloudnative-pg@v1.29.1 pkg/management/postgres/webserver/metricserver/pg_collector.go"
	barmanSrc     = "plugin-barman-cloud@v0.15.0 internal/cnpgi/instance/metrics.go"
	backupMetricP = "barman_cloud_cloudnative_pg_io_"
)

// MetricsCASecret is the Secret in the cluster's namespace holding only the server CA's certificate
// under MetricsCAKey (the CA Secret the operator reads also holds the CA's key, which the scraper
// must not be able to read): the scraper verifies the instances' metrics endpoint with it.
func MetricsCASecret(cluster string) string { return cluster + "-metrics-ca" }

// MetricsCAKey is the key of MetricsCASecret.
const MetricsCAKey = "ca.crt"

// MetricsServerName is the name the scraper checks the instances' certificate against: the
// read-write Service's in-cluster name, one of the DNS SANs the operator puts on every server
// certificate it issues (api/v1/cluster_funcs.go GetClusterAltDNSNames: <cluster>-rw,
// <cluster>-rw.<ns>, <cluster>-rw.<ns>.svc, …). The operator's own PodMonitor names the same Service
// but skips verification; this target verifies against the CA.
func MetricsServerName(cluster, ns string) string { return cluster + "-rw." + ns + ".svc" }

// MetricsTarget is the scrape target of the instances of the CloudNativePG cluster named cluster
// in namespace ns: https, verified with the cluster's server CA (MetricsCASecret).
func MetricsTarget(cluster, ns string) observability.ScrapeTarget {
	m := func(src string, names ...string) []observability.Metric {
		out := []observability.Metric{}
		for _, n := range names {
			out = append(out, observability.Metric{Name: n, Source: src})
		}
		return out
	}
	metrics := m(defaultsSrc, "cnpg_backends_total", "cnpg_pg_stat_database_xact_commit", "cnpg_pg_stat_database_xact_rollback",
		"cnpg_pg_stat_database_blks_hit", "cnpg_pg_stat_database_blks_read", "cnpg_pg_settings_setting", "cnpg_pg_replication_lag",
		"cnpg_pg_stat_archiver_seconds_since_last_archival", "cnpg_pg_stat_archiver_failed_count")
	// pg_collector.go PgWALArchiveStatus: cnpg_collector_pg_wal_archive_status{value="ready"|"done"}.
	metrics = append(metrics, m(collectorSrc, "cnpg_collector_up", "cnpg_collector_pg_wal_archive_status")...)
	metrics = append(metrics, m(barmanSrc, backupMetricP+"last_available_backup_timestamp", backupMetricP+"last_failed_backup_timestamp")...)
	return observability.ScrapeTarget{
		Name: "metadata-db", Namespace: ns,
		Selector: map[string]string{"cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance"},
		Port:     "metrics", PortNumber: MetricsPort, Path: "/metrics", Scheme: observability.HTTPS,
		TLS: &observability.TLS{
			CA:         observability.SecretRef{Name: MetricsCASecret(cluster), Key: MetricsCAKey},
			ServerName: MetricsServerName(cluster, ns),
		},
		Metrics: metrics,
	}
}
