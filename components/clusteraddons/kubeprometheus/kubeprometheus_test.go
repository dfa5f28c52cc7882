package kubeprometheus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	chartType = "kubernetes:helm.sh/v4:Chart"
	crType    = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
	ruleType  = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
	npType    = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	cmType    = "kubernetes:core/v1:ConfigMap"
)

func args() *Args {
	return &Args{
		Spec: observability.Spec{
			Targets: []observability.ScrapeTarget{
				{Name: "metadata-db", Namespace: "data", Selector: map[string]string{"cnpg.io/cluster": "metadata-db"}, Port: "metrics", PortNumber: 9187,
					Metrics: []observability.Metric{{Name: "cnpg_backends_total", Source: "cnpg"}}},
				{Name: "object-store", Namespace: "data", Selector: map[string]string{"app": "minio"}, Port: "api", PortNumber: 9000, Path: "/minio/v2/metrics/cluster",
					Scheme: observability.HTTPS, TLS: &observability.TLS{CA: observability.SecretRef{Name: "minio-metrics", Key: "ca.crt"}, ServerName: "minio.data.svc.cluster.local"},
					BearerToken: observability.SecretRef{Name: "minio-metrics", Key: "token"}, Interval: time.Minute},
			},
			Rules:      []observability.AlertRule{{Name: "PostgresDown", Expr: `up{job="x"} == 0`, For: 5 * time.Minute, Severity: observability.Critical, Summary: "down", Runbook: "postgres-down"}},
			Dashboards: []observability.Dashboard{{UID: "postgres", Title: "PostgreSQL", Panels: []observability.Panel{{Title: "Connections", Queries: []string{"sum(cnpg_backends_total)"}}}}},
			Retention:  observability.Retention{Metrics: 30 * 24 * time.Hour},
			Receiver:   observability.Receiver{Kind: observability.Webhook, URL: observability.SecretRef{Name: "alert-hook", Key: "url"}},
		},
		ReceiverCredential: pulumi.String("https://hooks.example.com/T0/abc"),
		Domain:             "data.example.com", EdgeNamespace: "envoy-gateway-system",
		HighAvailability: true, StorageClass: "standard", PrometheusStorageGiB: 50,
		Scheduling: cluster.Scheduling{NodeSelector: map[string]string{"pool": "workloads"}},
	}
}

func run(t *testing.T, preview bool, a *Args) (*mockcloud.Mocks, *KubePrometheusStack, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	var out *KubePrometheusStack
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		out, err = New(ctx, "monitoring", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, out, err
}

// TestChart: pinned, retention from the model, every monitor and rule selected, HA with PDBs,
// requests and limits on every container the values name, Grafana's admin from the Secret.
func TestChart(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, args())
		require.NoError(t, err)
		ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		assert.Equal(t, ChartVersion, inspect.Str(ch.Inputs, "version"))
		assert.Equal(t, ChartRepo, inspect.Str(ch.Inputs, "repositoryOpts", "repo"))
		v := func(path ...any) []any { return append([]any{"values"}, path...) }
		ps := v("prometheus", "prometheusSpec")
		assert.Equal(t, "30d", inspect.Str(ch.Inputs, append(ps, "retention")...))
		assert.Equal(t, "42GB", inspect.Str(ch.Inputs, append(ps, "retentionSize")...))
		assert.Equal(t, 2.0, inspect.Num(ch.Inputs, append(ps, "replicas")...))
		for _, k := range []string{"podMonitorSelectorNilUsesHelmValues", "serviceMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues"} {
			b, ok := inspect.Bool(ch.Inputs, append(ps, k)...)
			assert.True(t, ok && !b, "%s must be false, or monitors without the release label are ignored", k)
		}
		assert.Equal(t, "50Gi", inspect.Str(ch.Inputs, append(ps, "storageSpec", "volumeClaimTemplate", "spec", "resources", "requests", "storage")...))
		for _, p := range [][]any{
			append(ps, "resources"), v("alertmanager", "alertmanagerSpec", "resources"), v("prometheusOperator", "resources"),
			v("prometheusOperator", "prometheusConfigReloader", "resources"),
			v("kube-state-metrics", "resources"), v("prometheus-node-exporter", "resources"), v("grafana", "resources"), v("grafana", "sidecar", "resources"),
		} {
			assert.NotEmpty(t, inspect.Str(ch.Inputs, append(p, "limits", "memory")...), "limits at %v", p)
			assert.NotEmpty(t, inspect.Str(ch.Inputs, append(p, "requests", "cpu")...), "requests at %v", p)
		}
		for _, p := range [][]any{v("prometheus", "podDisruptionBudget", "enabled"), v("alertmanager", "podDisruptionBudget", "enabled")} {
			b, _ := inspect.Bool(ch.Inputs, p...)
			assert.True(t, b, "PDB at %v", p)
		}
		assert.Equal(t, "grafana-admin", inspect.Str(ch.Inputs, v("grafana", "admin", "existingSecret")...))
		assert.Equal(t, "https://grafana.data.example.com/", inspect.Str(ch.Inputs, v("grafana", "grafana.ini", "server", "root_url")...))
		assert.Equal(t, "workloads", inspect.Str(ch.Inputs, append(ps, "nodeSelector", "pool")...))
		// The webhook receiver reads its URL from the mounted Secret.
		assert.Equal(t, []string{"alert-hook"}, inspect.Strs(ch.Inputs, v("alertmanager", "alertmanagerSpec", "secrets")...))
		assert.Equal(t, "/etc/alertmanager/secrets/alert-hook/url", inspect.Str(ch.Inputs, v("alertmanager", "config", "receivers", 1, "webhook_configs", 0, "url_file")...))
		assert.Equal(t, "platform", inspect.Str(ch.Inputs, v("alertmanager", "config", "route", "receiver")...))

		require.Len(t, c.Routes, 1)
		r := c.Routes[0]
		assert.Equal(t, "grafana", r.Host)
		assert.Equal(t, GrafanaService, r.Service)
		assert.Equal(t, Namespace, r.Namespace)
	})
}

// TestMonitorsRulesDashboards: one PodMonitor per target in its namespace with TLS and the bearer
// token where the target asks, Prometheus admitted on that port only, the rules, the dashboards.
func TestMonitorsRulesDashboards(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		chart := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		pm := inspect.MustNamed(t, m, crType, "monitoring-object-store-podmonitor")
		assert.Equal(t, "data", inspect.Str(pm.Inputs, "metadata", "namespace"))
		ep := inspect.RequireObj(t, pm.Inputs, "spec", "podMetricsEndpoints", 0)
		assert.Equal(t, "api", inspect.Str(ep, "port"))
		assert.Equal(t, "https", inspect.Str(ep, "scheme"))
		assert.Equal(t, "1m", inspect.Str(ep, "interval"))
		assert.Equal(t, "/minio/v2/metrics/cluster", inspect.Str(ep, "path"))
		assert.Equal(t, "Bearer", inspect.Str(ep, "authorization", "type"))
		assert.Equal(t, "token", inspect.Str(ep, "authorization", "credentials", "key"))
		assert.Equal(t, "minio-metrics", inspect.Str(ep, "tlsConfig", "ca", "secret", "name"))
		assert.Equal(t, "minio.data.svc.cluster.local", inspect.Str(ep, "tlsConfig", "serverName"))
		assert.False(t, inspect.Has(ep, "bearerTokenSecret"), "deprecated field")
		assert.True(t, m.DependsOn(pm, chart), "the CRD comes with the chart")
		db := inspect.MustNamed(t, m, crType, "monitoring-metadata-db-podmonitor")
		assert.Equal(t, "http", inspect.Str(db.Inputs, "spec", "podMetricsEndpoints", 0, "scheme"))
		assert.False(t, inspect.Has(db.Inputs, "spec", "podMetricsEndpoints", 0, "tlsConfig"))
		assert.Equal(t, "metadata-db", inspect.Str(db.Inputs, "spec", "selector", "matchLabels", "cnpg.io/cluster"))

		np := inspect.MustNamed(t, m, npType, "monitoring-metadata-db-allow-prometheus")
		assert.Equal(t, "data", inspect.Str(np.Inputs, "metadata", "namespace"))
		assert.Equal(t, 9187.0, inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		assert.Equal(t, 1, inspect.Len(np.Inputs, "spec", "ingress", 0, "ports"), "the metrics port only")
		assert.Equal(t, "prometheus", inspect.Str(np.Inputs, "spec", "ingress", 0, "from", 0, "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, Namespace, inspect.Str(np.Inputs, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))

		edge := inspect.MustNamed(t, m, npType, "monitoring-allow-edge")
		assert.Equal(t, 3000.0, inspect.Num(edge.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		assert.Equal(t, "envoy-gateway-system", inspect.Str(edge.Inputs, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		deny := inspect.MustNamed(t, m, npType, "monitoring-deny-ingress")
		assert.Equal(t, 0, inspect.Len(deny.Inputs, "spec", "ingress"))

		rule := inspect.MustNamed(t, m, ruleType, "monitoring-rules")
		assert.Equal(t, "PostgresDown", inspect.Str(rule.Inputs, "spec", "groups", 0, "rules", 0, "alert"))
		assert.Equal(t, "5m", inspect.Str(rule.Inputs, "spec", "groups", 0, "rules", 0, "for"))
		assert.Equal(t, "docs/runbook-alerts.md#postgres-down", inspect.Str(rule.Inputs, "spec", "groups", 0, "rules", 0, "annotations", "runbook_url"))

		cm := inspect.MustNamed(t, m, cmType, "monitoring-dashboard-postgres")
		assert.Equal(t, "1", inspect.Str(cm.Inputs, "metadata", "labels", DashboardLabel))
		var d map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "postgres.json")), &d))
		assert.Equal(t, "postgres", d["uid"])
	})
}

// TestValidation: a bad model or size stops before anything is registered.
func TestValidation(t *testing.T) {
	for name, edit := range map[string]func(*Args){
		"bad target":    func(a *Args) { a.Spec.Targets[0].Port = "" },
		"small volume":  func(a *Args) { a.PrometheusStorageGiB = 5 },
		"domain alone":  func(a *Args) { a.EdgeNamespace = "" },
		"in monitoring": func(a *Args) { a.Spec.Targets[0].Namespace = Namespace },
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			edit(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Empty(t, m.ByType(Type))
		})
	}
}

// TestProtect: with Protect exactly the namespace (it holds the volumes) and the admin password are
// protected; without it nothing is.
func TestProtect(t *testing.T) {
	for _, protect := range []bool{true, false} {
		a := args()
		a.Protect = protect
		m, _, err := run(t, false, a)
		require.NoError(t, err)
		got := inspect.ProtectedTypes(m)
		if protect {
			assert.ElementsMatch(t, []string{"kubernetes:core/v1:Namespace", "random:index/randomPassword:RandomPassword"}, got)
		} else {
			assert.Empty(t, got)
		}
	}
}
