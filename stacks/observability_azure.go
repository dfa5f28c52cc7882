package stacks

import (
	"fmt"
	"strings"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/azmon"
	"github.com/opendataplatform/dataplatform/components/observability/azmon/backupprobe"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/config"
)

// The observability model on azure has two halves:
//   - in the cluster, kube-prometheus-stack (components/clusteraddons/kubeprometheus, installed by
//     deployObservability as on the kubernetes target): Prometheus scrapes Dremio (and the log
//     shipper, and cert-manager with the edge), the kubelets and kube-state-metrics; the platform's
//     rules go to Alertmanager and the model's receiver; Grafana is served through the edge
//     (stacks/azure_edge.go) with its admin credential from the Key Vault store.
//   - Azure Monitor (components/observability/azmon): metric alerts on the Flexible Server and the
//     lake's storage account (which no exporter scrapes) sent to an action group built from the same
//     receiver, and Container Insights shipping the containers' logs to the stack's workspace.
//
// Why not Azure Managed Prometheus and Managed Grafana: their resource types (Microsoft.Monitor/
// accounts, Microsoft.AlertsManagement/prometheusRuleGroups, Microsoft.Dashboard/grafana) are in the
// azure-native monitor, alertsmanagement and dashboard modules, which the module proxy refuses
// (shared research wave2_observability.md §1); the generic resources:Resource escape hatch has open
// bugs in the pinned provider (pulumi-azure-native#4109 ignores ApiVersion, #4337 fails reading back
// after create), and its managed collector reads only azmonitoring.coreos.com monitors. The
// in-cluster stack is the kubernetes target's, already tested and dry-run against its CRDs.

// What differs on AKS for the in-cluster stack, and why nothing of it needs a setting of its own:
//   - Pod Security: the monitoring namespace is labelled privileged (kubeprometheus, for
//     node-exporter's hostNetwork, hostPID and hostPath); AKS enforces no Pod Security admission
//     level of its own beyond namespace labels (Azure Policy's add-on is not installed), so the label
//     is what applies. node-exporter tolerates every taint (the sub-chart's default), so it runs on
//     the system pool (CriticalAddonsOnly) too; the other pods follow the workload pool's Scheduling.
//   - kubelet and cAdvisor: the chart's kubelet ServiceMonitor scrapes each node's kubelet on 10250
//     over https with Prometheus's service-account token, authorised by the chart's ClusterRole
//     (nodes/metrics); AKS kubelets run webhook token authentication and authorisation, as every
//     conformant cluster must for `kubectl top`'s metrics-server. Not verified on a live AKS here.
//   - NetworkPolicies (Cilium on AKS): the monitoring namespace restricts ingress only; egress stays
//     open, so Prometheus and the operator reach the API server (AKS's, outside the pod network)
//     and every kubelet. Grafana admits the edge's namespace and, with Application Gateway for
//     Containers, AGC's subnet (it proxies to the pods directly: f.edgeCIDRs, EdgeCIDRs).
//   - Storage: Prometheus and Alertmanager volumes use AKS's standard class (StandardSSD, ZRS with
//     zones; Retain in prod) from components/cluster/aks.

// azureObservabilitySpec is the in-cluster model on azure: the kubernetes target's rules and
// dashboards whose every series a target here or the cluster's own exporters emit. The PostgreSQL and
// object-store rules and dashboards (CloudNativePG and MinIO series) drop out: the metadata database
// and the lake are Azure's services, watched by azmon's metric alerts instead.
func azureObservabilitySpec(cfg *config.Platform) observability.Spec {
	n := cfg.Network.Namespaces
	targets := append(dremio.MetricsTargets(n.Apps), loggingTargets(cfg)...)
	// The azure edge runs cert-manager (envoygateway.NewControllers in azureEdgeSetup).
	if cfg.Edge.On() {
		targets = append(targets, platform.CertManagerTarget(envoygateway.CertManagerNamespace))
	}
	// Airbyte's jobs-database exporter, its alerts and its dashboard (stacks/airbyte_metrics.go).
	airbyteTarget, airbyteRules, airbyteDashboard := airbyteObservability(cfg, "")
	targets = append(targets, airbyteTarget)
	// The reflection-freshness bridge (stacks/dremio_reflections.go): its target keeps the Dremio
	// dashboard's freshness panel declared.
	reflectionTarget, reflectionRules := reflectionObservability(cfg, "")
	targets = append(targets, reflectionTarget)
	spec := observabilitySpec(cfg)
	declared := observability.Spec{Targets: targets, Rules: append(platform.Rules(platform.RulesArgs{
		AvailabilityPercent: cfg.Profile.AvailabilityPercent, RPO: cfg.Profile.RPO, JobsNamespace: n.Jobs, CertManager: cfg.Edge.On(),
	}), loggingRules(cfg)...), Dashboards: append(platform.Dashboards(), platform.VolumesDashboard())}.Declared(platform.ClusterMetrics()...)
	spec.Targets = targets
	spec.Rules = append(append(declared.Rules, airbyteRules...), reflectionRules...)
	spec.Dashboards = append(declared.Dashboards, airbyteDashboard)
	// The Flexible Server backup probe (stacks/azure_backupprobe.go): its target and rules.
	spec.Targets, spec.Rules = append(spec.Targets, backupprobe.Target(n.Apps)), append(spec.Rules, backupprobe.Rules()...)
	return spec
}

// azureMonitorArgs are azmon's arguments: the receiver as the action group's, the Flexible Server's
// ID and the lake's account (its ID built from the account's name output, which carries the
// dependency on it), and Container Insights on the cluster's workspace.
func azureMonitorArgs(cfg *config.Platform, names Names, net *azurevnet.Network, c *aks.Cluster, data *DataServices) *azmon.Args {
	o := cfg.Observability
	a := &azmon.Args{
		Name: dnsLabel(cut(names.Base, 40)), ResourceGroupName: net.ResourceGroupName, Location: cfg.Region,
		RunbookBase: o.DocsBaseURL, Tags: tags(cfg),
		Database: &azmon.Database{
			ServerID:   data.ManagedDBID,
			SKU:        cfg.MetadataDB.InstanceClass,
			StorageGiB: cfg.MetadataDB.StorageGiB,
		},
		StorageAccounts: []azmon.StorageAccount{{
			Role: "lake", ID: pulumi.Sprintf("%s/providers/Microsoft.Storage/storageAccounts/%s", net.ResourceGroupID, data.Store.Account),
		}},
		Insights: &azmon.ContainerInsights{
			ClusterID: c.ClusterID, WorkspaceID: c.LogAnalyticsWorkspaceID, WorkspaceName: c.LogAnalyticsWorkspaceName,
			LogsRetentionDays: o.LogsRetentionDays,
		},
		After: data.DBReady,
	}
	// The action group: email to the receiver's `to`; the webhook only at receiver.azureWebhook, as it
	// posts Azure Monitor's common alert schema, not the Alertmanager JSON credential's URL receives.
	if o.Receiver.Kind == config.ReceiverEmail {
		a.Receiver.Email = o.Receiver.To
	}
	if o.Receiver.AzureWebhook != "" {
		// A Pulumi secret; it stays one.
		a.Receiver.WebhookURL = pulumi.ToSecret(pulumi.String(o.Receiver.AzureWebhook)).(pulumi.StringOutput)
	}
	return a
}

// azureObservability is the azure foundation's hook: once the data services exist it creates the
// Azure Monitor half and returns what the `observability` output adds to the in-cluster stack's.
// Nil when observability is off.
func azureObservability(cfg *config.Platform, provider *azurenative.Provider, names Names, net *azurevnet.Network, c *aks.Cluster) func(*pulumi.Context, *DataServices, []pulumi.Resource) (pulumi.Map, error) {
	if !cfg.Observability.On() {
		return nil
	}
	return func(ctx *pulumi.Context, data *DataServices, after []pulumi.Resource) (pulumi.Map, error) {
		mon, err := azmon.New(ctx, "azure-monitor", azureMonitorArgs(cfg, names, net, c, data), pulumi.Provider(provider))
		if err != nil {
			return nil, fmt.Errorf("azure monitor: %w", err)
		}
		if err := azureBackupProbe(ctx, cfg, provider, names, net, c, data, after); err != nil {
			return nil, err
		}
		return pulumi.Map{
			"actionGroupId":         mon.ActionGroupID,
			"alerts":                pulumi.ToStringArray(mon.Alerts),
			"workspaceId":           c.LogAnalyticsWorkspaceID,
			"containerLogTable":     pulumi.String(azmon.ContainerLogTable),
			"logsRetentionDays":     pulumi.Int(cfg.Observability.LogsRetentionDays),
			"dataCollectionRuleId":  mon.DataCollectionRuleID,
			"alertsRunbook":         pulumi.String(strings.TrimSuffix(cfg.Observability.DocsBaseURL, "/") + "/" + azmon.RunbookDoc),
			"azureMonitorAlertsUrl": pulumi.String("https://portal.azure.com/#view/Microsoft_Azure_Monitoring/AzureMonitoringBrowseBlade/~/alertsV2"),
		}, nil
	}
}
