package stacks

import (
	"fmt"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/kubeprometheus"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/components/observability/azmon"
	"github.com/opendataplatform/dataplatform/config"
)

// The managed services' key metrics on Grafana on azure. The in-cluster Grafana
// (kube-prometheus-stack) has no PostgreSQL or object-store series there: the metadata database is a
// Flexible Server and the lake an ADLS account, which no exporter scrapes (azureObservabilitySpec).
// Azure Monitor has their platform metrics, so Grafana gets its built-in Azure Monitor datasource:
//   - a user-assigned identity federated with Grafana's ServiceAccount (monitoring/grafana), created
//     with the foundation so its client ID is in Grafana's values when the chart installs;
//   - Monitoring Reader on the Flexible Server and the lake's account only, granted once they exist
//     (the observability hook, which runs after the data services);
//   - the dashboard (azmon.DashboardJSON) as a ConfigMap the sidecar loads, and the server parameter
//     that turns the enhanced PostgreSQL metrics on (azureData: DatabaseActivityMetrics).
//
// Until the grants exist and have propagated (minutes, Azure RBAC), the panels show Azure's 403;
// they fill without a restart (Grafana asks for a token per query).

// azureGrafana creates Grafana's identity, hands the datasource and the dashboard to the monitoring
// stack (f.azureMonitor) and wraps the observability hook to grant the identity once the data
// services exist. Nothing without observability.
func azureGrafana(ctx *pulumi.Context, cfg *config.Platform, provider *azurenative.Provider, subscriptionID string, names Names, net *azurevnet.Network, c *aks.Cluster, f *Foundation) error {
	if !cfg.Observability.On() || f.observability == nil {
		return nil
	}
	identity, err := azmon.NewGrafanaIdentity(ctx, "grafana-identity", &azmon.GrafanaIdentityArgs{
		Name: cut(dnsLabel(names.Base), 100) + "-grafana", ResourceGroupName: net.ResourceGroupName, Location: cfg.Region,
		OIDCIssuerURL: c.OIDCIssuerURL, Namespace: kubeprometheus.Namespace, ServiceAccount: kubeprometheus.GrafanaServiceAccount,
		Tags: tags(cfg),
	}, pulumi.Provider(provider))
	if err != nil {
		return fmt.Errorf("grafana identity: %w", err)
	}
	server, account := postgresServerName(names), storageAccountName(names)
	dashboard := net.ResourceGroupName.ApplyT(func(rg string) (string, error) {
		return azmon.DashboardJSON(azmon.DashboardArgs{
			SubscriptionID: subscriptionID, ResourceGroup: rg, Region: cfg.Region, ServerName: server,
			StorageAccounts: []azmon.DashboardAccount{{Role: "lake", Name: account}},
		})
	}).(pulumi.StringOutput)
	f.azureMonitor = &kubeprometheus.AzureMonitor{
		ClientID: identity.ClientID, SubscriptionID: pulumi.String(subscriptionID),
		Dashboards: []kubeprometheus.RawDashboard{{UID: azmon.DashboardUID, JSON: dashboard}},
	}
	monitor := f.observability
	f.observability = func(ctx *pulumi.Context, data *DataServices, after []pulumi.Resource) (pulumi.Map, error) {
		out, err := monitor(ctx, data, after)
		if err != nil {
			return nil, err
		}
		// The same IDs the metric alerts watch (azureMonitorArgs).
		if _, err := identity.GrantMonitoringReader(ctx, "grafana-monitoring-reader", []azmon.ReaderScope{
			{Role: "metadata-db", ID: data.ManagedDBID},
			{Role: "lake", ID: pulumi.Sprintf("%s/providers/Microsoft.Storage/storageAccounts/%s", net.ResourceGroupID, data.Store.Account)},
		}); err != nil {
			return nil, fmt.Errorf("grafana monitoring reader: %w", err)
		}
		out["grafanaAzureMonitor"] = pulumi.Map{
			"identityClientId": identity.ClientID,
			"datasourceUid":    pulumi.String(kubeprometheus.AzureMonitorDatasourceUID),
			"dashboardUid":     pulumi.String(azmon.DashboardUID),
		}
		return out, nil
	}
	return nil
}
