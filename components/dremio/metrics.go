package dremio

import "github.com/opendataplatform/dataplatform/components/observability"

// dremioSource is where the metric names come from. Micrometer's Prometheus registry (dremio-oss@25.2.0
// services/telemetry-api/.../metrics/Metrics.java) turns a meter name's dots into '_' and gives
// counters the suffix _total:
//   - "jobs": a counter of attempted jobs (sabot/kernel/.../work/foreman/AttemptManager.java
//     newCounterProvider("jobs", …), tags workload_type, user_type) → jobs_total;
//   - "jobs.failed": failed jobs by error type and origin (AttemptManager.java,
//     PlannerMetrics.createName(PREFIX_JOBS "jobs", JOB_FAILED "failed")) → jobs_failed_total;
//   - "reflections.failed", "reflections.active": gauges of the reflection manager
//     (services/accelerator/.../reflection/ReflectionManager.java with ReflectionMetrics PREFIX
//     "reflections", RM_FAILED "failed", RM_ACTIVE "active") → reflections_failed, reflections_active.
const dremioSource = "dremio-oss@25.2.0 (see components/dremio/metrics.go)"

// MetricsTargets are the scrape targets of a Dremio cluster in namespace ns: coordinator and
// executors, each on the web-admin server's /metrics (plain HTTP: the server has no TLS; the
// NetworkPolicies admit only the scraper's namespace on MetricsPort).
func MetricsTargets(ns string) []observability.ScrapeTarget {
	m := func(n string) observability.Metric { return observability.Metric{Name: n, Source: dremioSource} }
	metrics := []observability.Metric{m("jobs_total"), m("jobs_failed_total"), m("reflections_failed"), m("reflections_active")}
	var out []observability.ScrapeTarget
	for _, role := range []Role{CoordinatorRole, ExecutorRole} {
		out = append(out, observability.ScrapeTarget{
			Name: "dremio-" + string(role), Namespace: ns, Selector: dremioSelector(role),
			Port: "metrics", PortNumber: MetricsPort, Path: "/metrics", Scheme: observability.HTTP,
			Metrics: metrics,
		})
	}
	return out
}
