// Package reflectionmetrics bridges Dremio's reflection freshness into Prometheus: Dremio OSS
// exports reflections_active and reflections_failed but no per-reflection age (issue 12: "reflection
// freshness comes from sys.materializations / the reflection API, not from a metric — bridge it").
// The bridge is this project's script bridge.py, run by components/observability/probe next to
// Dremio; it signs in as Dremio's "monitor" user (dremio.MonitorCredentialsSecret) and serves one
// set of gauges per reflection, scraped like every other target. The same pass runs a second SQL
// job over sys.jobs_recent for query duration, which Dremio OSS exports no metric of (issue 12).
package reflectionmetrics

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/probe"
)

// Script is the bridge (standard-library Python, tested against a fake of Dremio's API).
//
//go:embed bridge.py
var Script string

// Name names the bridge's objects, its scrape target and its job label.
const Name = "dremio-reflection-metrics"

// Interval is how often the bridge is scraped; the script caches a pass for CacheSeconds, so each
// scrape reads Dremio at most once a minute. DeadlineSeconds bounds one pass (every call shares it),
// below the collectors' default 10 s scrape timeout.
const (
	Interval        = time.Minute
	CacheSeconds    = 55
	DeadlineSeconds = 8
)

// SingletonReason is the Deployment's policy annotation (stateless-replicas).
const SingletonReason = "stateless gauges re-read from Dremio's REST API on each scrape; a second replica doubles the calls and serves the same values, and a pass missed during a restart is rebuilt by the next"

// Args configure the bridge.
type Args struct {
	// Namespace is the apps namespace Dremio runs in (NamespaceName its name): the bridge runs
	// beside it and reads dremio.MonitorCredentialsSecret there.
	Namespace     pulumi.StringInput
	NamespaceName string
	// After are what the bridge waits for: Dremio (its bootstrap creates the monitor user, its
	// component the Secret).
	After []pulumi.Resource
	// Image overrides the probe's python image (a registry mirror).
	Image string
	// Scheduling places the pod on the workload pool.
	Scheduling cluster.Scheduling
	// Labels are added to every object.
	Labels map[string]string
}

// New runs the bridge.
func New(ctx *pulumi.Context, name string, a *Args, opts ...pulumi.ResourceOption) (*probe.Probe, error) {
	if a == nil {
		return nil, fmt.Errorf("reflectionmetrics: args are required")
	}
	return probe.New(ctx, name, &probe.Args{
		Namespace: a.Namespace, NamespaceName: a.NamespaceName, Name: Name, Script: Script,
		Env: map[string]pulumi.StringInput{
			"DREMIO_URL":       pulumi.String(dremio.WebURL(a.NamespaceName)),
			"CACHE_SECONDS":    pulumi.String(fmt.Sprint(CacheSeconds)),
			"DEADLINE_SECONDS": pulumi.String(fmt.Sprint(DeadlineSeconds)),
		},
		SecretEnv: []probe.SecretEnv{
			{Name: "DREMIO_USER", Secret: pulumi.String(dremio.MonitorCredentialsSecret), Key: "user"},
			{Name: "DREMIO_PASSWORD", Secret: pulumi.String(dremio.MonitorCredentialsSecret), Key: "password"},
		},
		// The coordinator's web port only (the REST API); the namespace baseline's same-namespace
		// allow admits it too, this states what the bridge needs.
		Egress: []probe.Egress{{
			Namespaces: []string{a.NamespaceName}, PodSelector: dremio.CoordinatorSelector(), Ports: []int{dremio.WebPort},
		}},
		Image: a.Image, SingletonReason: SingletonReason, After: a.After,
		Scheduling: a.Scheduling, Labels: a.Labels,
	}, opts...)
}

// Metric names the bridge serves (bridge.py PREFIX).
const (
	LastRefresh   = "dremio_reflection_last_refresh_timestamp_seconds"
	Expiry        = "dremio_reflection_expiry_timestamp_seconds"
	Status        = "dremio_reflection_status"
	Failures      = "dremio_reflection_failures"
	Reflections   = "dremio_reflection_bridge_reflections"
	ScrapeSuccess = "dremio_reflection_bridge_scrape_success"
	ScrapeSeconds = "dremio_reflection_bridge_scrape_duration_seconds"
	// Query duration, from the pass's second SQL job over sys.jobs_recent (bridge.py WINDOW, 300 s):
	// sliding-window gauges per final state, with a state="_none" placeholder.
	QueriesCompleted   = "dremio_query_completed"
	QueryMeanSeconds   = "dremio_query_duration_mean_seconds"
	QueryMaxSeconds    = "dremio_query_duration_max_seconds"
	QueryScrapeSuccess = "dremio_query_bridge_scrape_success"
)

// WindowSeconds is bridge.py's WINDOW: the query series cover the jobs that reached a final state in
// this many seconds before a pass.
const WindowSeconds = 300

// JobsSource is what the query series are read from: sys.jobs_recent, which a non-admin user reads in
// full (LocalJobsService applies no user filter).
const JobsSource = "components/dremio/reflectionmetrics/bridge.py over dremio-oss@25.2.0 (c7fee0bcd) sys.jobs_recent: services/sysflight/src/main/java/com/dremio/service/sysflight/SystemTableManager.java TABLES.JOBS_RECENT, dac/backend/src/main/java/com/dremio/dac/service/sysflight/SysFlightTablesProvider.java RecentJobsTable, services/jobs/src/main/protobuf/jobs-service.proto RecentJobSummary, filled by services/jobs/src/main/java/com/dremio/service/jobs/JobsServiceUtil.java toRecentJobSummary from LocalJobsService.java getRecentJobs (every user's jobs)"

// Source is what every series is read from: one query of sys.reflections through the REST API.
const Source = "components/dremio/reflectionmetrics/bridge.py over dremio-oss@25.2.0 (c7fee0bcd) sys.reflections: services/accelerator-api/src/main/protobuf/ReflectionDescriptionService.proto ListReflectionsResponse, filled by services/accelerator/src/main/java/com/dremio/service/reflection/ReflectionStatusServiceImpl.java getReflections"

// Metrics are the series the bridge serves, with the column each reads.
func Metrics() []observability.Metric {
	return []observability.Metric{
		{Name: LastRefresh, Source: Source + ": last_refresh_from_table (the last done materialization's lastRefreshFromPds)"},
		{Name: Expiry, Source: Source + ": available_until"},
		{Name: Status, Source: Source + ": status (ReflectionStatus.COMBINED_STATUS)"},
		{Name: Failures, Source: Source + ": num_failures"},
		{Name: Reflections, Source: Source + ": its rows"},
		{Name: ScrapeSuccess, Source: "components/dremio/reflectionmetrics/bridge.py (the bridge's own pass)"},
		{Name: ScrapeSeconds, Source: "components/dremio/reflectionmetrics/bridge.py (the bridge's own pass)"},
		{Name: QueriesCompleted, Source: JobsSource + ": COUNT(*) per status over final_state_epoch_millis in the window"},
		{Name: QueryMeanSeconds, Source: JobsSource + ": SUM(final_state_epoch_millis - submitted_epoch_millis) / COUNT(*) per status"},
		{Name: QueryMaxSeconds, Source: JobsSource + ": MAX(final_state_epoch_millis - submitted_epoch_millis) per status"},
		{Name: QueryScrapeSuccess, Source: "components/dremio/reflectionmetrics/bridge.py (the pass's sys.jobs_recent query)"},
	}
}

// Target is the bridge's scrape target in the apps namespace ns.
func Target(ns string) observability.ScrapeTarget {
	return probe.Target(Name, ns, Interval, Metrics())
}

// Job matches the bridge's job label on every target: "<namespace>/<name>" from a PodMonitor and
// the AMP scraper, "<name>" from a GMP PodMonitoring.
const Job = `job=~"(.+/)?` + Name + `"`

// Real excludes the placeholder series bridge.py always serves (Cloud Monitoring refuses an alert
// policy over a metric it has never received, and a platform may have no reflection yet).
const Real = `reflection_id!="_none"`

// Runbook anchors in docs/runbook-alerts.md.
const (
	RunbookStale      = "dremio-reflection-stale"
	RunbookBridgeDown = "dremio-reflection-bridge-down"
)

// DefaultStaleHours is observability.reflectionStaleHours' default.
const DefaultStaleHours = 6

// Rules are the freshness alerts: a reflection whose last refresh is older than staleHours, and a
// bridge that cannot read Dremio (or is not scraped) for 15 minutes. scope is an extra matcher
// every selector carries (GCP: the cluster's; "" elsewhere).
func Rules(scope string, staleHours int) []observability.AlertRule {
	return []observability.AlertRule{
		{
			Name: "DremioReflectionStale", Runbook: RunbookStale, Severity: observability.Warning, For: 15 * time.Minute,
			Summary: fmt.Sprintf("Dremio reflection {{ $labels.reflection }} on {{ $labels.dataset }} has not refreshed for more than %d hours: queries it accelerates read old data", staleHours),
			Expr:    fmt.Sprintf(`time() - max by (reflection_id, reflection, dataset) (%s) > %d`, sel(LastRefresh, Job, Real, scope), staleHours*3600),
		},
		{
			Name: "DremioReflectionBridgeDown", Runbook: RunbookBridgeDown, Severity: observability.Warning, For: 15 * time.Minute,
			Summary: "the reflection-freshness bridge cannot read Dremio's reflections, or is not scraped: stale reflections are not seen",
			Expr:    fmt.Sprintf(`min(%s) == 0 or absent(%s)`, sel(ScrapeSuccess, Job, scope), sel(ScrapeSuccess, Job, scope)),
		},
	}
}

// FreshnessQuery is the "Reflection freshness" panel's query: each reflection's age in seconds.
// The platform's Dremio dashboard (components/observability/platform) carries it with scope "".
func FreshnessQuery(scope string) string {
	return `time() - max by (reflection, dataset) (` + sel(LastRefresh, Job, Real, scope) + `)`
}

func sel(metric string, matchers ...string) string {
	var m []string
	for _, x := range matchers {
		if x != "" {
			m = append(m, x)
		}
	}
	return metric + "{" + strings.Join(m, ", ") + "}"
}
