package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/dremio/reflectionmetrics"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/probe"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

var reflectionRules = []string{"DremioReflectionStale", "DremioReflectionBridgeDown"}

// bridgeDeclared says whether a rule expression names only the bridge's declared series.
func bridgeDeclared(t *testing.T, rule, expr string) {
	t.Helper()
	declared := map[string]bool{}
	for _, m := range reflectionmetrics.Metrics() {
		declared[m.Name] = true
	}
	names := observability.MetricNames(expr)
	if len(names) == 0 {
		t.Errorf("%s: no series in %q", rule, expr)
	}
	for _, n := range names {
		if !declared[n] {
			t.Errorf("%s names %s, which the bridge does not declare: %s", rule, n, expr)
		}
	}
}

// reflectionChecks holds one plan to issue 12's reflection freshness: Dremio's monitor user always
// exists; where observability is on, the bridge runs beside Dremio as that user, the target's
// collector scrapes it, and the two rules (over the bridge's declared series only) and the freshness
// panel exist; where it is off, the bridge does not.
func reflectionChecks(t *testing.T, target string, preview bool, r *planner.Result) {
	t.Helper()
	probes := resourcesOf(r, probe.Type)
	// azure's Flexible Server backup probe runs on the same runtime (tests/azbackup_test.go).
	for i := 0; i < len(probes); i++ {
		if probes[i].Name == "pg-backup-probe-runtime" {
			probes = append(probes[:i], probes[i+1:]...)
			i--
		}
	}
	jobEnv := ""
	if job := r.Mocks.Named("kubernetes:batch/v1:Job", "dremio-bootstrap"); job != nil {
		for _, e := range inspect.Arr(inspect.At(job.Inputs, "spec", "template", "spec", "containers", 0, "env")) {
			jobEnv += inspect.Str(inspect.Obj(e), "name") + " "
		}
	}
	// The monitor user exists whatever observability says (its protected password must not come
	// and go with the setting).
	if !strings.Contains(jobEnv, "MONITOR_PASSWORD") {
		t.Errorf("%s: the Dremio bootstrap does not create the monitor user", target)
	}
	if !r.Platform.Observability.On() {
		if len(probes) != 0 {
			t.Errorf("%s: the reflection bridge runs with observability off", target)
		}
		return
	}
	if len(probes) != 1 {
		t.Fatalf("%s: %d probes; want the reflection bridge", target, len(probes))
	}
	apps := r.Platform.Network.Namespaces.Apps
	dep, env := appsExporter(t, r, reflectionmetrics.Name, probe.Image)
	if got := env["DREMIO_PASSWORD"].secret; got != dremio.MonitorCredentialsSecret {
		t.Errorf("bridge password from %q; want %s", got, dremio.MonitorCredentialsSecret)
	}
	if got, want := env["DREMIO_URL"].value, dremio.WebURL(apps); got != want {
		t.Errorf("DREMIO_URL %q; want %q", got, want)
	}
	if boot := r.Mocks.Named("kubernetes:batch/v1:Job", "dremio-bootstrap"); boot == nil || !r.Mocks.DependsOn(dep, boot) {
		t.Error("the bridge does not wait for Dremio's bootstrap (which creates its user)")
	}

	switch target {
	case "kubernetes", "azure":
		named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-"+reflectionmetrics.Name+"-podmonitor")
		rules := named(t, r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
		for _, g := range inspect.Arr(inspect.At(rules.Inputs, "spec", "groups")) {
			for _, rule := range inspect.Arr(inspect.At(inspect.Obj(g), "rules")) {
				o := inspect.Obj(rule)
				for _, n := range reflectionRules {
					if inspect.Str(o, "alert") == n {
						bridgeDeclared(t, n, inspect.Str(o, "expr"))
					}
				}
			}
		}
		for _, n := range reflectionRules {
			if !ruleNamed(rules, n) {
				t.Errorf("no %s rule", n)
			}
		}
		d := named(t, r, "kubernetes:core/v1:ConfigMap", "monitoring-dashboard-dataplatform-dremio")
		if !strings.Contains(inspect.Str(d.Inputs, "data", "dataplatform-dremio.json"), "Reflection freshness") {
			t.Error("the Dremio dashboard has no Reflection freshness panel")
		}
		if !strings.Contains(inspect.Str(d.Inputs, "data", "dataplatform-dremio.json"), "dremio_query_duration_mean_seconds") {
			t.Error("the Dremio dashboard has no Query duration panel")
		}
	case "aws":
		scraper := named(t, r, "aws:amp/scraper:Scraper", "observability-collector")
		if !strings.Contains(inspect.Str(scraper.Inputs, "scrapeConfiguration"), "job_name: "+apps+"/"+reflectionmetrics.Name+"\n") {
			t.Error("the AMP collector has no job for the reflection bridge")
		}
		data := inspect.Str(named(t, r, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "observability-rules").Inputs, "data")
		for _, n := range reflectionRules {
			if !strings.Contains(data, "alert: "+n+"\n") {
				t.Errorf("no %s in the AMP rules", n)
			}
		}
	case "gcp":
		named(t, r, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "monitoring-"+reflectionmetrics.Name+"-podmonitoring")
		cluster := inspect.Str(resourcesOf(r, "gcp:container/cluster:Cluster")[0].Inputs, "name")
		found := map[string]bool{}
		for _, p := range resourcesOf(r, "gcp:monitoring/alertPolicy:AlertPolicy") {
			c := inspect.Obj(inspect.At(p.Inputs, "conditions", 0, "conditionPrometheusQueryLanguage"))
			for _, n := range reflectionRules {
				if inspect.Str(c, "alertRule") == n {
					found[n] = true
					q := inspect.Str(c, "query")
					bridgeDeclared(t, n, q)
					if !strings.Contains(q, `cluster="`+cluster+`"`) {
						t.Errorf("%s not scoped to the cluster: %s", n, q)
					}
					// Cloud Monitoring refuses a policy over a metric never received: the bridge runs first.
					if !r.Mocks.DependsOn(p, dep) {
						t.Errorf("the %s policy does not wait for the bridge", n)
					}
				}
			}
		}
		for _, n := range reflectionRules {
			if !found[n] {
				t.Errorf("no %s alert policy", n)
			}
		}
		d := named(t, r, "gcp:monitoring/dashboard:Dashboard", "monitoring-dataplatform-dremio")
		if !strings.Contains(inspect.Str(d.Inputs, "dashboardJson"), "Reflection freshness") {
			t.Error("no Reflection freshness panel on the GCP Dremio dashboard")
		}
		if !strings.Contains(inspect.Str(d.Inputs, "dashboardJson"), "dremio_query_duration_mean_seconds") {
			t.Error("no Query duration panel on the GCP Dremio dashboard")
		}
	}
}

// TestReflectionFreshnessOnEveryTarget: every stack on every target, observability as configured.
func TestReflectionFreshnessOnEveryTarget(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		reflectionChecks(t, target, preview, r)
	})
}

// TestReflectionFreshnessOnGCP: with the opt-in, GCP scrapes the bridge through a PodMonitoring and
// alerts through Cloud Monitoring PromQL policies scoped to the cluster.
func TestReflectionFreshnessOnGCP(t *testing.T) {
	eachGCPPlan(t, func(string) []string { return []string{observabilityOn} }, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		reflectionChecks(t, "gcp", preview, r)
	})
}
