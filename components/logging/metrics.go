package logging

import "github.com/opendataplatform/dataplatform/components/observability"

// fluentBitSource is where the metric names come from: Fluent Bit's cmetrics counters, namespace
// "fluentbit", served as Prometheus text on MetricsPath (fluent-bit v5.1.1 src/flb_input.c:
// "input" "records_total", "bytes_total"; src/flb_output.c: "output" "proc_records_total",
// "errors_total", "retries_failed_total", "dropped_records_total"; labelled name = the plugin
// instance, e.g. es.0).
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
			m("fluentbit_output_retries_failed_total"), m("fluentbit_output_dropped_records_total"),
		},
	}
}
