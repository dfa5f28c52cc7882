package gmp

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/internal/apicheck"
)

// TestEveryPlatformRuleRenderedOrDropped: each rule of the platform model is on GCP under the same
// name and runbook section, or dropped with a reason — for the full and the smallest arguments.
func TestEveryPlatformRuleRenderedOrDropped(t *testing.T) {
	all := platform.Rules(platform.RulesArgs{AvailabilityPercent: 99.9, RPO: time.Hour, JobsNamespace: "jobs", CertManager: true})
	small := platformArgs()
	small.PointInTimeRecovery, small.DRReplica, small.CertManager = false, false, false
	for _, a := range []PlatformArgs{platformArgs(), small} {
		rules, dropped := Rules(a), Dropped(a)
		byName := map[string]observability.AlertRule{}
		for _, r := range rules {
			byName[r.Name] = r
			_, gone := dropped[r.Name]
			assert.False(t, gone, "%s is both rendered and dropped", r.Name)
		}
		for _, r := range all {
			g, ok := byName[r.Name]
			if !ok {
				assert.NotEmpty(t, dropped[r.Name], "platform rule %s is neither rendered on GCP nor dropped with a reason", r.Name)
				continue
			}
			assert.Equal(t, r.Runbook, g.Runbook, r.Name)
			assert.Equal(t, r.Severity, g.Severity, r.Name)
		}
		spec := observability.Spec{Targets: a.Targets, Rules: rules, Dashboards: Dashboards(a)}
		require.NoError(t, spec.Validate())
		assert.Empty(t, spec.Undeclared(a.Metrics()...), "every metric is a target's, a documented Cloud Monitoring one or the log-based backup metric")
	}
	assert.Contains(t, Dropped(small), "PostgresReplicationLag")
	assert.NotContains(t, Dropped(platformArgs()), "PostgresReplicationLag")
	assert.Contains(t, Dropped(small), "CertificateExpiringSoon")
	assert.NotContains(t, Dropped(platformArgs()), "CertificateExpiringSoon")
}

// TestRunbookSections: every GCP rule's anchor exists in the document its policy links:
// docs/runbook-alerts.md, or docs/runbook-alerts-gcp.md for the GCP-only signals.
func TestRunbookSections(t *testing.T) {
	for _, r := range Rules(platformArgs()) {
		doc, anchor, _ := strings.Cut(RunbookURL("", r), "#")
		text, err := os.ReadFile(filepath.Join("..", "..", "..", doc))
		require.NoError(t, err)
		assert.Contains(t, string(text), fmt.Sprintf("<a id=%q></a>\n## %s (%s)", anchor, r.Name, r.Severity), r.Name)
	}
}

// TestQueries: the PromQL names the Cloud SQL instance, the DR replica and the buckets, and GMP's
// job label (the PodMonitoring's name, not prometheus-operator's "<namespace>/<name>").
func TestQueries(t *testing.T) {
	rules := map[string]string{}
	for _, r := range Rules(platformArgs()) {
		rules[r.Name] = r.Expr
	}
	assert.Contains(t, rules["PlatformTargetDown"], `database_id="proj-1:dataplatform-prod-x1"`)
	assert.Contains(t, rules["PostgresReplicationLag"], `database_id="proj-1:dataplatform-prod-x1-dr"`)
	assert.Contains(t, rules["PostgresWALArchivingBehindRPO"], "[15m]")
	assert.Contains(t, rules["ObjectStoreErrors"], `bucket_name=~"dataplatform-prod-x1-.+"`)
	assert.Contains(t, rules["DremioQueryFailures"], `job="dremio-coordinator"`)
	for name, q := range rules {
		assert.NotContains(t, q, `.+/`, "%s uses prometheus-operator's job label", name)
	}
	for _, d := range Dashboards(platformArgs()) {
		for _, p := range d.Panels {
			for _, q := range p.Queries {
				assert.NotContains(t, q, platform.DremioJob, d.UID)
			}
		}
	}
}

// TestQueriesScopedToCluster: Cloud Monitoring's PromQL reads the whole project, so every series of
// the cluster (Dremio's via GMP, kube-state-metrics', GKE's system metrics) is selected with the
// stack's cluster — "cluster" on Prometheus series, "cluster_name" on kubernetes.io ones — and the
// volume and restart rules watch the platform's namespaces only. Cloud SQL and Cloud Storage series
// are scoped by instance and bucket names instead (TestQueries).
func TestQueriesScopedToCluster(t *testing.T) {
	a := platformArgs()
	var queries []string
	for _, r := range Rules(a) {
		queries = append(queries, r.Expr)
	}
	for _, d := range Dashboards(a) {
		for _, p := range d.Panels {
			queries = append(queries, p.Queries...)
		}
	}
	metrics := map[string]bool{}
	for _, m := range CloudMetrics() {
		metrics[m.Name] = true
	}
	for _, tg := range a.Targets {
		for _, m := range tg.Metrics {
			metrics[m.Name] = true
		}
	}
	checked := 0
	for m := range metrics {
		if strings.HasPrefix(m, "cloudsql_googleapis_com:") || strings.HasPrefix(m, "storage_googleapis_com:") {
			continue
		}
		want := `cluster="dataplatform-prod"`
		if strings.HasPrefix(m, "kubernetes_io:") {
			want = `cluster_name="dataplatform-prod"`
		}
		use := regexp.MustCompile(`(^|[^a-zA-Z0-9_:])` + regexp.QuoteMeta(m) + `([^a-zA-Z0-9_:]|$)`)
		for _, q := range queries {
			for _, at := range use.FindAllStringIndex(q, -1) {
				checked++
				rest := q[at[1]-1:]
				if rest == "" || rest[0] != '{' {
					t.Errorf("%s used without a selector in %s", m, q)
					continue
				}
				if sel := rest[:strings.Index(rest, "}")+1]; !strings.Contains(sel, want) {
					t.Errorf("%s%s is not scoped with %s", m, sel, want)
				}
			}
		}
	}
	assert.Greater(t, checked, 10, "the check found the cluster's series in the queries")
	for _, r := range Rules(a) {
		if r.Name == "VolumeFillingUp" || r.Name == "PodCrashLooping" {
			assert.Contains(t, r.Expr, `namespace_name=~"apps|data|jobs"`, r.Name)
		}
	}
	bad := a
	bad.Cluster = ""
	assert.ErrorContains(t, bad.Validate(), "Cluster")
	bad = a
	bad.Namespaces = nil
	assert.ErrorContains(t, bad.Validate(), "Namespaces")
	assert.NoError(t, a.Validate())
}

// pinnedCRD is the PodMonitoring CRD as internal/apicheck pins it (crds.txt: prometheus-engine
// v0.17.2, sha256-checked), fetched as apicheck does (`go mod download -json`, the module cache
// first). Not found is a failure, never a skip: the walk below must run in CI.
func pinnedCRD(t *testing.T) []byte {
	pins, err := apicheck.ParsePins(apicheck.PinsFile)
	require.NoError(t, err)
	for _, p := range pins {
		if strings.HasSuffix(p.Path, "/monitoring.googleapis.com_podmonitorings.yaml") {
			raw, err := p.Read(apicheck.GoModDownload)
			require.NoError(t, err, "the pinned PodMonitoring CRD")
			return raw
		}
	}
	t.Fatal("internal/apicheck/crds.txt pins no monitoring.googleapis.com_podmonitorings.yaml")
	return nil
}

// TestPodMonitoringMatchesCRD walks every rendered spec against the v1 schema of the pinned CRD:
// each field must exist, required ones be set, enums hold, strings be strings.
func TestPodMonitoringMatchesCRD(t *testing.T) {
	raw := pinnedCRD(t)
	var crd map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &crd))
	var schema map[string]any
	for _, v := range crd["spec"].(map[string]any)["versions"].([]any) {
		vm := v.(map[string]any)
		if vm["name"] == "v1" {
			assert.Equal(t, true, vm["served"])
			schema = vm["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)["properties"].(map[string]any)["spec"].(map[string]any)
		}
	}
	require.NotNil(t, schema, "v1 in the CRD")
	for _, tg := range args().Spec.WithDefaults().Targets {
		var problems []string
		check(schema, PodMonitoringSpec(tg), "spec", &problems)
		assert.Empty(t, problems, tg.Name)
	}
	// The check itself catches a wrong field.
	var problems []string
	check(schema, map[string]any{"selector": map[string]any{}, "endpoints": []any{map[string]any{"port": "m", "interval": "30s", "tlsConfig": map[string]any{}}}}, "spec", &problems)
	assert.NotEmpty(t, problems)
}

func check(schema map[string]any, v any, at string, problems *[]string) {
	add := func(f string, a ...any) { *problems = append(*problems, at+": "+fmt.Sprintf(f, a...)) }
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			add("%v not in %v", v, enum)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		required, _ := schema["required"].([]any)
		for _, r := range required {
			if _, ok := x[r.(string)]; !ok {
				add("required %s missing", r)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch sub, ok := props[k].(map[string]any); {
			case ok:
				check(sub, x[k], at+"."+k, problems)
			case extra != nil:
				check(extra, x[k], at+"."+k, problems)
			default:
				add("unknown field %s", k)
			}
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, e := range x {
			check(items, e, fmt.Sprintf("%s[%d]", at, i), problems)
		}
	case map[string]string:
		m := map[string]any{}
		for k, s := range x {
			m[k] = s
		}
		check(schema, m, at, problems)
	case string:
		if typ, ok := schema["type"].(string); ok && typ != "string" {
			add("a string where the CRD wants %s", typ)
		} else if !ok && !strings.Contains(fmt.Sprint(schema["x-kubernetes-int-or-string"]), "true") {
			add("a string where the CRD declares no type")
		}
	}
}

// TestBridgePanels: the platform's panels over the Dremio bridge's series ("Reflection freshness" from
// sys.reflections, "Query duration" from sys.jobs_recent) are on GCP's Dremio dashboard only with the
// bridge, with GMP's job label and the cluster.
func TestBridgePanels(t *testing.T) {
	for title, want := range map[string][]string{
		"Reflection freshness": {`time() - max by (reflection, dataset) (dremio_reflection_last_refresh_timestamp_seconds{job="dremio-reflection-metrics", cluster="dataplatform-prod", reflection_id!="_none"})`},
		"Query duration": {
			`max(dremio_query_duration_mean_seconds{job="dremio-reflection-metrics", cluster="dataplatform-prod", state="COMPLETED"})`,
			`max(dremio_query_duration_max_seconds{job="dremio-reflection-metrics", cluster="dataplatform-prod", state="COMPLETED"})`,
		},
	} {
		panel := func(a PlatformArgs) *observability.Panel {
			for _, d := range Dashboards(a) {
				for i, p := range d.Panels {
					if d.UID == "dataplatform-dremio" && p.Title == title {
						return &d.Panels[i]
					}
				}
			}
			return nil
		}
		a := platformArgs()
		assert.Nil(t, panel(a), "%s: no bridge, no panel", title)
		a.ReflectionBridge = true
		p := panel(a)
		require.NotNil(t, p, title)
		assert.Equal(t, want, p.Queries, title)
	}
}
