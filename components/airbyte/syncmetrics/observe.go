package syncmetrics

import (
	"strings"
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// QuerySource is this package's file that defines the series (the queries) — each metric's Source
// names it with the upstream schema file the queries read.
const QuerySource = "components/airbyte/syncmetrics/queries.go"

// Metrics are the series the exporter serves, each citing the query file and the upstream schema.
func Metrics() []observability.Metric {
	out := []observability.Metric{}
	for _, q := range Queries() {
		out = append(out, observability.Metric{Name: q.Metric, Source: QuerySource + " over " + SchemaSource + " (tables " + strings.Join(q.Tables, ", ") + ")"})
	}
	return out
}

// Target is the exporter's scrape target in the apps namespace ns: every renderer (kube-prometheus
// PodMonitor, the AMP scraper job, the GMP PodMonitoring) scrapes it and admits its collector on
// Port. The queries run at most once a minute (ExporterYAML min_interval), so the scrape does too.
func Target(ns string) observability.ScrapeTarget {
	return observability.ScrapeTarget{
		Name: Name, Namespace: ns, Selector: Selector(),
		Port: PortName, PortNumber: Port, Path: "/metrics", Scheme: observability.HTTP,
		Interval: time.Minute, Metrics: Metrics(),
	}
}

// Job matches the exporter's job label on every target: "<namespace>/<name>" from a PodMonitor and
// the AMP scraper (amp.JobName), "<name>" from a GMP PodMonitoring.
const Job = `job=~"(.+/)?` + Name + `"`

// RunbookAnchors are the sections of docs/runbook-alerts.md the rules name.
const (
	RunbookSyncFailing  = "airbyte-sync-failing"
	RunbookExporterDown = "airbyte-sync-metrics-down"
)

// Rules are the Airbyte sync alerts. scope is an extra label matcher every selector carries (on GCP
// the cluster's, since Cloud Monitoring's PromQL reads the whole project; "" elsewhere).
func Rules(scope string) []observability.AlertRule {
	return []observability.AlertRule{
		{
			Name: "AirbyteSyncFailing", Runbook: RunbookSyncFailing, Severity: observability.Warning, For: 5 * time.Minute,
			Summary: "the latest sync of Airbyte connection {{ $labels.connection }} failed after all its attempts",
			Expr:    `max by (connection) (` + sel("airbyte_sync_last_job_failed", Real, scope) + `) > 0`,
		},
		{
			Name: "AirbyteSyncMetricsDown", Runbook: RunbookExporterDown, Severity: observability.Warning, For: 10 * time.Minute,
			Summary: "the Airbyte jobs-database exporter is down or cannot read Airbyte's database: sync failures are not seen",
			// Both `up`s: Prometheus' (the pod does not answer) and sql_exporter's own
			// up{target="airbyte_jobs"} (it answers but cannot connect or sign in: TargetName); and a
			// query that fails after a good connection (a lost grant, a renamed column after an Airbyte
			// upgrade) drops its series, placeholder row included: absent.
			Expr: downExpr(scope),
		},
	}
}

// Panels are the dashboard panels of issue 12's Airbyte key metrics.
func Panels(scope string) []observability.Panel {
	return []observability.Panel{
		{Title: "Airbyte sync success rate", Kind: observability.TimeSeries, Unit: "percentunit", Queries: []string{
			`sum(` + sel("airbyte_sync_jobs", Real, `status="succeeded"`, scope) + `) / sum(` + sel("airbyte_sync_jobs", Real, `status=~"succeeded|failed"`, scope) + `)`,
		}},
		{Title: "Records synced", Kind: observability.TimeSeries, Unit: "short", Queries: []string{
			`sum by (connection) (` + sel("airbyte_sync_records_committed", Real, scope) + `)`,
		}},
		{Title: "Sync duration", Kind: observability.TimeSeries, Unit: "s", Queries: []string{
			`max by (connection) (` + sel("airbyte_sync_attempt_duration_seconds", Real, scope) + `)`,
		}},
		{Title: "Failed sync jobs (24 h)", Kind: observability.Stat, Unit: "short", Queries: []string{
			`sum(` + sel("airbyte_sync_jobs", Real, `status="failed"`, scope) + `)`,
		}},
	}
}

// DashboardUID is the Airbyte dashboard's uid.
const DashboardUID = "dataplatform-airbyte"

// Dashboard is the Airbyte dashboard.
func Dashboard(scope string) observability.Dashboard {
	return observability.Dashboard{UID: DashboardUID, Title: "Data platform / Airbyte", Panels: Panels(scope)}
}

func downExpr(scope string) string {
	e := `min(` + sel("up", Job, scope) + `) == 0`
	for _, q := range Queries() {
		e += ` or absent(` + sel(q.Metric, Job, scope) + `)`
	}
	return e
}

// sel is a selector of metric with the non-empty matchers.
func sel(metric string, matchers ...string) string {
	var m []string
	for _, x := range matchers {
		if x != "" {
			m = append(m, x)
		}
	}
	if len(m) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(m, ", ") + "}"
}
