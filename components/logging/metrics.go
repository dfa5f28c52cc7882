package logging

import (
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// fluentBitSource is where the metric names come from: Fluent Bit's cmetrics counters, namespace
// "fluentbit", served as Prometheus text on MetricsPath (fluent-bit v5.1.1 src/flb_input.c:
// "input" "records_total", "bytes_total"; src/flb_output.c: "output" "proc_records_total",
// "errors_total", "retries_total", "retries_failed_total", "dropped_records_total"; labelled name =
// the plugin instance, e.g. es.0).
const fluentBitSource = "fluent-bit@v5.1.1 src/flb_input.c, src/flb_output.c (cmt_counter_create)"

// MetricsTarget is the shipper's scrape target in namespace ns: every Fluent Bit pod's HTTP server
// (plain HTTP inside the cluster; the monitoring stack admits its scraper on MetricsPort).
func MetricsTarget(ns string) observability.ScrapeTarget {
	m := func(n string) observability.Metric { return observability.Metric{Name: n, Source: fluentBitSource} }
	return observability.ScrapeTarget{
		Name: "log-shipper", Namespace: ns, Selector: Selector(),
		Port: "http", PortNumber: MetricsPort, Path: MetricsPath, Scheme: observability.HTTP,
		Metrics: []observability.Metric{
			m("fluentbit_input_records_total"), m("fluentbit_input_bytes_total"),
			m("fluentbit_output_proc_records_total"), m("fluentbit_output_errors_total"),
			m("fluentbit_output_retries_total"), m("fluentbit_output_retries_failed_total"),
			m("fluentbit_output_dropped_records_total"),
		},
	}
}

// shipperJob scopes Fluent Bit's metrics to the shipper's PodMonitor job ("<namespace>/<name>").
const shipperJob = `job=~".+/log-shipper"`

// AlertRules are the shipper's alerts (runbooks in docs/runbook-alerts.md):
//   - LogShipperStalled: a pod retries and delivers nothing for 15 minutes — Elasticsearch down,
//     the writer's credentials refused, or its CA not trusted (a renewal the sidecar has not
//     reloaded); chunks are given up after RetryLimit retries, so this fires long before they are;
//   - LogShipperDroppingChunks: chunks were given up (retries ran out) or records dropped: those
//     lines are not in Elasticsearch.
func AlertRules() []observability.AlertRule {
	by := func(expr string) string { return `sum by (namespace, pod) (` + expr + `)` }
	return []observability.AlertRule{
		{
			Name: "LogShipperStalled", Runbook: "log-shipper-stalled", Severity: observability.Warning, For: 15 * time.Minute,
			Summary: "the log shipper {{ $labels.pod }} retries and delivers nothing to Elasticsearch",
			Expr: by(`rate(fluentbit_output_retries_total{`+shipperJob+`}[10m])`) + ` > 0 and ` +
				by(`rate(fluentbit_output_proc_records_total{`+shipperJob+`}[10m])`) + ` == 0`,
		},
		{
			Name: "LogShipperDroppingChunks", Runbook: "log-shipper-dropping-chunks", Severity: observability.Warning,
			Summary: "the log shipper {{ $labels.pod }} gave up log records: they are not in Elasticsearch",
			Expr: by(`increase(fluentbit_output_retries_failed_total{`+shipperJob+`}[30m])`) + ` > 0 or ` +
				by(`increase(fluentbit_output_dropped_records_total{`+shipperJob+`}[30m])`) + ` > 0`,
		},
	}
}
