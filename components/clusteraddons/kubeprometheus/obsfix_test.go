package kubeprometheus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/internal/helmhooks"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestNoHookOnlyDependencies: helm.v4.Chart renders no hooks, so the operator must not mount the
// hook-written admission Secret and no webhook may wait for a hook-patched caBundle; the
// NetworkPolicy for the removed webhook is gone too.
func TestNoHookOnlyDependencies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		values, ok := inspect.Plain(inspect.At(ch.Inputs, "values")).(map[string]any)
		require.True(t, ok)
		assert.Empty(t, helmhooks.Violations(ChartName, values))
		assert.Nil(t, m.Named(npType, "monitoring-allow-webhook"))
	})
}

// TestGrafanaPortThroughEdge: the route's port is the port the Grafana pod listens on, because the
// edge's egress NetworkPolicy opens the route's port and NetworkPolicies match the pod's port.
func TestGrafanaPortThroughEdge(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, args())
		require.NoError(t, err)
		ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		require.Len(t, c.Routes, 1)
		assert.Equal(t, 3000, c.Routes[0].Port, "grafana 12.11.1 container port")
		assert.Equal(t, float64(c.Routes[0].Port), inspect.Num(ch.Inputs, "values", "grafana", "service", "port"))
		assert.Equal(t, 3000.0, inspect.Num(ch.Inputs, "values", "grafana", "service", "targetPort"))
		edge := inspect.MustNamed(t, m, npType, "monitoring-allow-edge")
		assert.Equal(t, float64(c.Routes[0].Port), inspect.Num(edge.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
	})
}

// TestNoUnscrapableControlPlane: the control-plane scrapes no managed or kind cluster exposes are
// off with their rules; the duplicate default alerts are disabled by name; the reachable groups stay.
func TestNoUnscrapableControlPlane(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		for _, k := range []string{"kubeControllerManager", "kubeEtcd", "kubeScheduler", "kubeProxy"} {
			b, ok := inspect.Bool(ch.Inputs, "values", k, "enabled")
			assert.True(t, ok && !b, "%s.enabled must be false", k)
		}
		for _, g := range []string{"etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeProxy"} {
			b, ok := inspect.Bool(ch.Inputs, "values", "defaultRules", "rules", g)
			assert.True(t, ok && !b, "defaultRules.rules.%s must be false", g)
		}
		for _, a := range []string{"KubePodCrashLooping", "KubePersistentVolumeFillingUp"} {
			b, _ := inspect.Bool(ch.Inputs, "values", "defaultRules", "disabled", a)
			assert.True(t, b, "defaultRules.disabled.%s (the platform's rule replaces it)", a)
		}
		for _, g := range []string{"kubernetesApps", "kubernetesStorage", "kubelet", "node", "prometheus", "alertmanager"} {
			assert.False(t, inspect.Has(ch.Inputs, "values", "defaultRules", "rules", g), "%s stays at the chart's default (on)", g)
		}
	})
}

// TestSingletonAnnotations: the chart Deployments that run one replica carry the policy's
// exemption with a reason.
func TestSingletonAnnotations(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		for _, p := range [][]any{{"prometheusOperator"}, {"grafana"}, {"kube-state-metrics"}} {
			assert.NotEmpty(t, inspect.Str(ch.Inputs, append(append([]any{"values"}, p...), "annotations", SingletonAnnotation)...), "%v", p)
		}
	})
}

// TestReceiverSecret: the receiver's credential becomes the Secret Alertmanager mounts, in the
// monitoring namespace, before the chart (so Alertmanager starts on the first `up`); a receiver
// without its credential stops before anything is registered; no receiver, no Secret.
func TestReceiverSecret(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		sec := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "monitoring-alert-receiver-secret")
		assert.Equal(t, "alert-hook", inspect.Str(sec.Inputs, "metadata", "name"))
		if !preview {
			assert.Equal(t, "https://hooks.example.com/T0/abc", inspect.Str(sec.Inputs, "stringData", "url"))
		}
		chart := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		assert.True(t, m.DependsOn(chart, sec), "Alertmanager mounts it: it must exist before the chart")
		assert.Equal(t, []string{"alert-hook"}, inspect.Strs(chart.Inputs, "values", "alertmanager", "alertmanagerSpec", "secrets"))
	})
	a := args()
	a.ReceiverCredential = nil
	m, _, err := run(t, false, a)
	require.Error(t, err)
	assert.Empty(t, m.ByType(Type))

	a = args()
	a.Spec.Receiver = observability.Receiver{}
	a.ReceiverCredential = nil
	m, _, err = run(t, false, a)
	require.NoError(t, err)
	assert.Nil(t, m.Named("kubernetes:core/v1:Secret", "monitoring-alert-receiver-secret"))
}

// TestRunbookLinksAbsolute: with a docs base URL every rule links its runbook absolutely, so the
// link works in Alertmanager's mail and UI.
func TestRunbookLinksAbsolute(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.RunbookBase = "https://github.com/opendataplatform/dataplatform/blob/main/"
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		rule := inspect.MustNamed(t, m, ruleType, "monitoring-rules")
		assert.Equal(t, "https://github.com/opendataplatform/dataplatform/blob/main/docs/runbook-alerts.md#postgres-down",
			inspect.Str(rule.Inputs, "spec", "groups", 0, "rules", 0, "annotations", "runbook_url"))
	})
}
