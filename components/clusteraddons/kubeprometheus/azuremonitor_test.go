package kubeprometheus

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const testClientID = "11111111-2222-4333-8444-555555555555"

func azureArgs() *Args {
	a := args()
	a.AzureMonitor = &AzureMonitor{
		ClientID: pulumi.String(testClientID), SubscriptionID: pulumi.String("00000000-0000-4000-8000-000000000001"),
		Dashboards: []RawDashboard{{UID: "dataplatform-azure-data-services", JSON: pulumi.String(`{"uid":"dataplatform-azure-data-services"}`)}},
	}
	return a
}

// TestAzureMonitorGrafana: Grafana's ServiceAccount names the identity, its pods carry the workload
// identity label, [azure] turns workload identity on, the Azure Monitor datasource signs in with it;
// the dashboard is a sidecar ConfigMap; Grafana may reach 443 anywhere, before the chart installs.
func TestAzureMonitorGrafana(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, azureArgs())
		require.NoError(t, err)
		ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
		g := func(path ...any) []any { return append([]any{"values", "grafana"}, path...) }
		assert.Equal(t, testClientID, inspect.Str(ch.Inputs, g("serviceAccount", "annotations", "azure.workload.identity/client-id")...))
		create, ok := inspect.Bool(ch.Inputs, g("serviceAccount", "create")...)
		assert.True(t, ok && create, "the chart creates the ServiceAccount the federation trusts")
		assert.Equal(t, "true", inspect.Str(ch.Inputs, g("podLabels", "azure.workload.identity/use")...))
		wi, ok := inspect.Bool(ch.Inputs, g("grafana.ini", "azure", "workload_identity_enabled")...)
		assert.True(t, ok && wi)
		update, ok := inspect.Bool(ch.Inputs, g("grafana.ini", "plugins", "preinstall_auto_update")...)
		assert.True(t, ok && !update, "443 is open to grafana.com: no unpinned plugin updates")
		disabled, ok := inspect.Bool(ch.Inputs, g("grafana.ini", "plugins", "preinstall_disabled")...)
		assert.True(t, ok && disabled, "443 is open to grafana.com: no unpinned preinstall apps")
		on, ok := inspect.Bool(ch.Inputs, g("grafana.ini", "auth.anonymous", "enabled")...)
		assert.True(t, ok && !on, "the other grafana.ini sections stay")
		require.Equal(t, 1, inspect.Len(ch.Inputs, g("additionalDataSources")...))
		ds := g("additionalDataSources", 0)
		assert.Equal(t, "grafana-azure-monitor-datasource", inspect.Str(ch.Inputs, append(ds, "type")...))
		assert.Equal(t, AzureMonitorDatasourceUID, inspect.Str(ch.Inputs, append(ds, "uid")...))
		assert.Equal(t, "workloadidentity", inspect.Str(ch.Inputs, append(ds, "jsonData", "azureAuthType")...))
		assert.Equal(t, "00000000-0000-4000-8000-000000000001", inspect.Str(ch.Inputs, append(ds, "jsonData", "subscriptionId")...))

		cm := inspect.MustNamed(t, m, cmType, "monitoring-dashboard-dataplatform-azure-data-services")
		assert.Equal(t, "1", inspect.Str(cm.Inputs, "metadata", "labels", DashboardLabel))
		assert.Equal(t, `{"uid":"dataplatform-azure-data-services"}`, inspect.Str(cm.Inputs, "data", "dataplatform-azure-data-services.json"))
		assert.True(t, m.DependsOn(cm, ch), "the dashboard waits for the chart (its sidecar)")

		np := inspect.MustNamed(t, m, npType, "monitoring-allow-grafana-azure")
		assert.Equal(t, "grafana", inspect.Str(np.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, "0.0.0.0/0", inspect.Str(np.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 443.0, inspect.Num(np.Inputs, "spec", "egress", 0, "ports", 0, "port"))
		assert.True(t, m.DependsOn(ch, np), "Grafana starts with its egress open")
	})
}

// TestNoAzureMonitor: without it, none of it.
func TestNoAzureMonitor(t *testing.T) {
	m, _, err := run(t, false, args())
	require.NoError(t, err)
	ch := inspect.MustNamed(t, m, chartType, "monitoring-chart")
	assert.Equal(t, 0, inspect.Len(ch.Inputs, "values", "grafana", "additionalDataSources"))
	assert.Empty(t, inspect.Str(ch.Inputs, "values", "grafana", "podLabels", "azure.workload.identity/use"))
	assert.Nil(t, m.Named(npType, "monitoring-allow-grafana-azure"))
}

// TestAzureMonitorValidation: a missing client ID or a bad dashboard uid is refused before anything
// is registered.
func TestAzureMonitorValidation(t *testing.T) {
	for name, mutate := range map[string]func(*AzureMonitor){
		"client ID": func(m *AzureMonitor) { m.ClientID = nil },
		"uid":       func(m *AzureMonitor) { m.Dashboards[0].UID = "Not_A_Label" },
		"duplicate": func(m *AzureMonitor) { m.Dashboards = append(m.Dashboards, m.Dashboards[0]) },
	} {
		t.Run(name, func(t *testing.T) {
			a := azureArgs()
			mutate(a.AzureMonitor)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "AzureMonitor")
			assert.Empty(t, m.ByType(chartType))
		})
	}
}
