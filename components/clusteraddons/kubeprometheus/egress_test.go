package kubeprometheus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// ports lists an egress rule's TCP ports.
func ports(t *testing.T, rule map[string]any) []float64 {
	t.Helper()
	var out []float64
	ps, _ := rule["ports"].([]any)
	for _, p := range ps {
		out = append(out, p.(map[string]any)["port"].(float64))
	}
	return out
}

// TestEgressClosed: the monitoring namespace denies egress by default; every pod may resolve names,
// talk among the namespace's pods and reach the API server's endpoints on 443/6443; Prometheus may
// reach each scrape target's pods on its metrics port only (namespace and pod selector), the kubelets'
// and node-exporter's ports, CoreDNS's metrics port; Alertmanager the receiver's port; the
// chart waits for these policies.
func TestEgressClosed(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.APIServerCIDRs = []string{"10.96.0.1/32"}
		a.WebhookPort = 8443
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		deny := inspect.MustNamed(t, m, npType, "monitoring-deny-egress")
		assert.Equal(t, []string{"Egress"}, inspect.StringsOf(inspect.At(deny.Inputs, "spec", "policyTypes")))
		assert.Equal(t, 0, inspect.Len(deny.Inputs, "spec", "podSelector", "matchLabels"))
		assert.False(t, inspect.Has(deny.Inputs, "spec", "egress"), "default deny: no egress rule")

		base := inspect.MustNamed(t, m, npType, "monitoring-allow-egress-baseline")
		rules, _ := inspect.Plain(inspect.At(base.Inputs, "spec", "egress")).([]any)
		require.Len(t, rules, 3)
		dns := rules[0].(map[string]any)
		assert.Equal(t, "kube-system", inspect.Str(base.Inputs, "spec", "egress", 0, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Len(t, dns["ports"], 2)
		assert.Nil(t, rules[1].(map[string]any)["ports"], "the namespace's own pods on every port (Alertmanager's peers use UDP too)")
		assert.False(t, inspect.Has(base.Inputs, "spec", "egress", 1, "to", 0, "namespaceSelector"), "own namespace only")
		assert.Equal(t, "10.96.0.1/32", inspect.Str(base.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, []float64{443, 6443}, ports(t, rules[2].(map[string]any)))

		scrape := inspect.MustNamed(t, m, npType, "monitoring-allow-prometheus-scrape")
		assert.Equal(t, "prometheus", inspect.Str(scrape.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		srules, _ := inspect.Plain(inspect.At(scrape.Inputs, "spec", "egress")).([]any)
		require.Len(t, srules, len(a.Spec.Targets)+2)
		for i, tg := range a.Spec.Targets {
			assert.Equal(t, tg.Namespace, inspect.Str(scrape.Inputs, "spec", "egress", i, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"), tg.Name)
			for k, v := range tg.Selector {
				assert.Equal(t, v, inspect.Str(scrape.Inputs, "spec", "egress", i, "to", 0, "podSelector", "matchLabels", k), tg.Name)
			}
			assert.Equal(t, []float64{float64(tg.PortNumber)}, ports(t, srules[i].(map[string]any)), tg.Name)
		}
		n := len(a.Spec.Targets)
		assert.Equal(t, []float64{10250, 9100}, ports(t, srules[n].(map[string]any)))
		assert.False(t, inspect.Has(scrape.Inputs, "spec", "egress", n, "to"), "the kubelet and node-exporter ports at any address (no node ranges: Cilium refuses ipBlocks over nodes)")
		assert.Equal(t, []float64{9153}, ports(t, srules[n+1].(map[string]any)))

		am := inspect.MustNamed(t, m, npType, "monitoring-allow-alertmanager-receiver")
		assert.Equal(t, "alertmanager", inspect.Str(am.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, 8443.0, inspect.Num(am.Inputs, "spec", "egress", 0, "ports", 0, "port"))

		chart := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		for _, np := range []string{"monitoring-deny-egress", "monitoring-allow-egress-baseline", "monitoring-allow-prometheus-scrape"} {
			assert.True(t, m.DependsOn(chart, inspect.MustNamed(t, m, npType, np)), "the chart waits for %s", np)
		}
	})
}

// TestReceiverPort: the SMTP relay's port from Smarthost, the webhook's (443 unless given), none
// without a receiver; bad values are refused before anything is registered.
func TestReceiverPort(t *testing.T) {
	p, err := ReceiverPort(observability.Receiver{Kind: observability.Email, Smarthost: "smtp.example.com:587"}, 0)
	require.NoError(t, err)
	assert.Equal(t, 587, p)
	p, _ = ReceiverPort(observability.Receiver{Kind: observability.Webhook}, 0)
	assert.Equal(t, 443, p)
	p, _ = ReceiverPort(observability.Receiver{}, 0)
	assert.Equal(t, 0, p)
	_, err = ReceiverPort(observability.Receiver{Kind: observability.Webhook}, 70000)
	assert.ErrorContains(t, err, "WebhookPort")
	a := args()
	a.APIServerCIDRs = []string{"10.0.0.1/8"}
	_, _, err = run(t, false, a)
	assert.ErrorContains(t, err, "APIServerCIDRs")
	a = args()
	a.Spec.Receiver = observability.Receiver{}
	a.ReceiverCredential = nil
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	for _, np := range m.ByType(npType) {
		assert.NotEqual(t, "monitoring-allow-alertmanager-receiver", np.Name, "no receiver, no egress for it")
	}
}
