// Package platform is the data platform's own observability content, written here as code: the
// dashboards of the design document's key metrics and the alert rules with their runbooks. Every
// metric name is either declared by a scrape target (with its upstream source, see the targets in
// components/metadatadb/cnpg, components/objectstore/minio and components/dremio) or listed in
// ClusterMetrics with the source that emits it.
package platform

import "github.com/opendataplatform/dataplatform/components/observability"

// ClusterMetrics are the series the cluster's own exporters emit, which kube-prometheus-stack
// scrapes without a target of ours.
func ClusterMetrics() []observability.Metric {
	m := func(src string, names ...string) []observability.Metric {
		out := []observability.Metric{}
		for _, n := range names {
			out = append(out, observability.Metric{Name: n, Source: src})
		}
		return out
	}
	var out []observability.Metric
	// Prometheus writes up for every scrape (1 reached, 0 not); a PodMonitor's job label is
	// "<namespace>/<name>" (prometheus-operator v0.93.1 pkg/prometheus/promcfg.go
	// generatePodMonitorConfig: target_label job, replacement namespace/name).
	out = append(out, m("prometheus (synthetic per scrape)", "up")...)
	// kube-state-metrics 2.20.0 (chart 8.4.0 appVersion), internal/store/pod.go and statefulset.go.
	out = append(out, m("kube-state-metrics@v2.20.0 internal/store/pod.go",
		"kube_pod_container_status_waiting_reason", "kube_pod_container_status_restarts_total", "kube_pod_status_phase")...)
	out = append(out, m("kube-state-metrics@v2.20.0 internal/store/statefulset.go",
		"kube_statefulset_status_replicas_ready", "kube_statefulset_replicas")...)
	// The kubelet's volume statistics (kubernetes pkg/kubelet/metrics/collectors/volume_stats.go),
	// scraped by the chart's kubelet ServiceMonitor (values.yaml kubelet.enabled: true).
	out = append(out, m("kubernetes pkg/kubelet/metrics/collectors/volume_stats.go",
		"kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes")...)
	return out
}

// CertManagerMetrics is what the cert-manager controller exports (cert-manager@v1.21.1
// pkg/metrics/metrics.go: namespace "certmanager", certificate_expiration_timestamp_seconds with
// labels name, namespace, issuer_*), scraped through CertManagerTarget.
func CertManagerMetrics() []observability.Metric {
	return []observability.Metric{{Name: "certmanager_certificate_expiration_timestamp_seconds", Source: "cert-manager@v1.21.1 pkg/metrics/metrics.go"}}
}

// CertManagerTarget scrapes the cert-manager controller in namespace ns (cert-manager@v1.21.1
// deploy/charts/cert-manager/templates/deployment.yaml: container port 9402 named http-metrics;
// labels app.kubernetes.io/name=cert-manager, app.kubernetes.io/component=controller).
func CertManagerTarget(ns string) observability.ScrapeTarget {
	return observability.ScrapeTarget{
		Name: "cert-manager", Namespace: ns,
		Selector: map[string]string{"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller"},
		Port:     "http-metrics", PortNumber: 9402, Path: "/metrics", Scheme: observability.HTTP,
		Metrics: CertManagerMetrics(),
	}
}

// minioRate sums a MinIO counter's rate over the cluster. Every node answers /minio/v2/metrics/cluster
// for all nodes (series labelled server), so each pod's scrape repeats them: max without the scrape's
// own labels removes the copies before the sum.
func minioRate(metric, by string) string {
	return "sum" + by + " (max without (instance, pod, endpoint) (rate(" + metric + "[5m])))"
}

// Dashboards are the key metrics of the design document, per service.
func Dashboards() []observability.Dashboard {
	p := func(title, unit string, kind observability.PanelKind, q ...string) observability.Panel {
		return observability.Panel{Title: title, Unit: unit, Kind: kind, Queries: q}
	}
	ts, stat := observability.TimeSeries, observability.Stat
	return []observability.Dashboard{
		{UID: "dataplatform-postgres", Title: "Data platform / PostgreSQL", Panels: []observability.Panel{
			p("Connections by database", "short", ts, `sum by (datname) (cnpg_backends_total)`),
			p("Connections used", "percentunit", stat,
				`max(sum by (pod) (cnpg_backends_total) / on (pod) max by (pod) (cnpg_pg_settings_setting{name="max_connections"}))`),
			p("Transactions per second", "ops", ts,
				`sum by (datname) (rate(cnpg_pg_stat_database_xact_commit[5m]) + rate(cnpg_pg_stat_database_xact_rollback[5m]))`),
			p("Cache hit ratio", "percentunit", ts,
				`sum(rate(cnpg_pg_stat_database_blks_hit[5m])) / (sum(rate(cnpg_pg_stat_database_blks_hit[5m])) + sum(rate(cnpg_pg_stat_database_blks_read[5m])))`),
			p("Replication lag", "s", ts, `max by (pod) (cnpg_pg_replication_lag)`),
			p("Since last base backup / WAL archived", "s", stat,
				`time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp)`,
				`min(cnpg_pg_stat_archiver_seconds_since_last_archival)`),
		}},
		{UID: "dataplatform-object-store", Title: "Data platform / Object store", Panels: []observability.Panel{
			p("Requests per second by API", "reqps", ts, minioRate("minio_s3_requests_total", " by (api)")),
			p("Error ratio", "percentunit", ts, minioRate("minio_s3_requests_errors_total", "")+" / "+minioRate("minio_s3_requests_total", "")),
			p("Bandwidth", "Bps", ts, minioRate("minio_s3_traffic_received_bytes", ""), minioRate("minio_s3_traffic_sent_bytes", "")),
			p("Offline nodes and drives", "short", stat, `max(minio_cluster_nodes_offline_total)`, `max(minio_cluster_drive_offline_total)`),
			p("Usable capacity free", "percentunit", stat,
				`max(minio_cluster_capacity_usable_free_bytes) / max(minio_cluster_capacity_usable_total_bytes)`),
		}},
		{UID: "dataplatform-dremio", Title: "Data platform / Dremio", Panels: []observability.Panel{
			p("Queries per second", "ops", ts, `sum(rate(jobs_total{`+DremioJob+`}[5m]))`),
			p("Failed query ratio", "percentunit", ts, `sum(rate(jobs_failed_total{`+DremioJob+`}[15m])) / sum(rate(jobs_total{`+DremioJob+`}[15m]))`),
			p("Reflections active / failed", "short", ts, `max(reflections_active{`+DremioJob+`})`, `max(reflections_failed{`+DremioJob+`})`),
			p("Executors ready", "short", stat, `max(kube_statefulset_status_replicas_ready{statefulset="dremio-executor"})`),
			// Each reflection's age, from the reflection-freshness bridge (components/dremio/
			// reflectionmetrics; its placeholder series excluded).
			p("Reflection freshness", "s", ts,
				`time() - max by (reflection, dataset) (dremio_reflection_last_refresh_timestamp_seconds{`+DremioReflectionJob+`, reflection_id!="_none"})`),
			// Mean and longest submission-to-end time of the queries that completed in the bridge's
			// last 5-minute window (sys.jobs_recent through the same bridge; Dremio OSS exports no
			// duration metric).
			p("Query duration", "s", ts,
				`max(dremio_query_duration_mean_seconds{`+DremioReflectionJob+`, state="COMPLETED"})`,
				`max(dremio_query_duration_max_seconds{`+DremioReflectionJob+`, state="COMPLETED"})`),
		}},
	}
}
