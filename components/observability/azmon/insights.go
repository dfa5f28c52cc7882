package azmon

import (
	"github.com/pulumi/pulumi-azure-native-sdk/insights/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Container Insights with managed-identity authentication, as the Azure CLI onboards it
// (Azure/azure-cli@010cc060 src/azure-cli/azure/cli/command_modules/acs/addonconfiguration.py
// ensure_container_insights_for_monitoring, aad_route): a data collection rule of kind "Linux" in the
// workspace's region with one extension data source named "ContainerInsightsExtension"
// (extensionName "ContainerInsights", extensionSettings.dataCollectionSettings with
// enableContainerLogV2), one data flow of the same streams to a logAnalytics destination, and the
// association named "ContainerInsightsExtension" on the cluster. The cluster's monitoring add-on
// (addonProfiles.omsagent, config logAnalyticsWorkspaceResourceID and useAADAuth "true": same
// repository, acs/_consts.py CONST_MONITORING_*) then reads its rule through the association; with
// useAADAuth the CLI assigns no role (add_monitoring_role_assignment).
const (
	// InsightsExtension is the data source's and the association's name.
	InsightsExtension = "ContainerInsightsExtension"
	// ContainerLogTable is the table container stdout/stderr lands in with enableContainerLogV2.
	ContainerLogTable = "ContainerLogV2"
	destination       = "la-workspace"
)

// InsightsStreams are the streams collected: the containers' logs (ContainerLogV2) and the cluster's
// inventory and events, the tables Container Insights' views and the runbooks query. The performance
// streams (Microsoft-Perf, Microsoft-InsightsMetrics, the container inventories) are left out: the
// metrics are Prometheus's (kube-prometheus-stack in the cluster), and Perf is most of a workspace's
// ingestion. The names are the CLI's ContainerInsightsStreams (same file), with ContainerLogV2 in
// place of the legacy ContainerLog.
var InsightsStreams = []string{
	"Microsoft-ContainerLogV2",
	"Microsoft-KubeEvents",
	"Microsoft-KubePodInventory",
	"Microsoft-KubeNodeInventory",
	"Microsoft-KubePVInventory",
	"Microsoft-KubeServices",
	"Microsoft-KubeMonAgentEvents",
}

// containerInsights creates the rule, its association with the cluster and ContainerLogV2's
// retention; it returns the rule's ID.
func containerInsights(ctx *pulumi.Context, name string, a *Args, tags pulumi.StringMap, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	c := a.Insights
	streams := pulumi.ToStringArray(InsightsStreams)
	// insights@v2.90.0 pulumiTypes.go ExtensionDataSourceArgs (extensionName, extensionSettings,
	// name, streams), LogAnalyticsDestinationArgs (name, workspaceResourceId), DataFlowArgs
	// (destinations, streams).
	dcr, err := insights.NewDataCollectionRule(ctx, name+"-container-insights", &insights.DataCollectionRuleArgs{
		DataCollectionRuleName: pulumi.String(a.Name + "-container-insights"),
		ResourceGroupName:      a.ResourceGroupName,
		Location:               pulumi.String(a.Location),
		Kind:                   pulumi.String("Linux"),
		Description:            pulumi.String("Container Insights: container logs (ContainerLogV2), Kubernetes inventory and events"),
		DataSources: &insights.DataCollectionRuleDataSourcesArgs{
			Extensions: insights.ExtensionDataSourceArray{&insights.ExtensionDataSourceArgs{
				Name: pulumi.String(InsightsExtension), ExtensionName: pulumi.String("ContainerInsights"), Streams: streams,
				ExtensionSettings: pulumi.Map{"dataCollectionSettings": pulumi.Map{
					// The CLI's validate_data_collection_settings: interval "<n>m" (1m–30m),
					// namespaceFilteringMode Off|Include|Exclude, enableContainerLogV2 a bool.
					"interval": pulumi.String("1m"), "namespaceFilteringMode": pulumi.String("Off"), "enableContainerLogV2": pulumi.Bool(true),
				}},
			}},
		},
		Destinations: &insights.DataCollectionRuleDestinationsArgs{
			LogAnalytics: insights.LogAnalyticsDestinationArray{&insights.LogAnalyticsDestinationArgs{
				Name: pulumi.String(destination), WorkspaceResourceId: c.WorkspaceID,
			}},
		},
		DataFlows: insights.DataFlowArray{&insights.DataFlowArgs{Streams: streams, Destinations: pulumi.ToStringArray([]string{destination})}},
		Tags:      tags,
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// insights@v2.90.0 dataCollectionRuleAssociation.go: AssociationName, DataCollectionRuleId,
	// ResourceUri "The identifier of the resource" (the cluster).
	if _, err := insights.NewDataCollectionRuleAssociation(ctx, name+"-container-insights-association", &insights.DataCollectionRuleAssociationArgs{
		AssociationName:      pulumi.String(InsightsExtension),
		ResourceUri:          c.ClusterID,
		DataCollectionRuleId: dcr.ID().ToStringOutput(),
		Description:          pulumi.String("Association of data collection rule. Deleting this association will break the data collection for this AKS Cluster."),
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	retention := tableRetention(a)
	retention.Tags = tags
	if _, err := resources.NewDeployment(ctx, name+"-container-log-v2-retention", retention, parent,
		pulumi.DependsOn([]pulumi.Resource{dcr})); err != nil {
		return pulumi.StringOutput{}, err
	}
	return dcr.ID().ToStringOutput(), nil
}

// TableAPIVersion is the Log Analytics tables API the retention is written with
// (Microsoft.OperationalInsights/workspaces/tables; the version pulumi-azure-native
// operationalinsights@v2.90.0 table.go uses: "Uses Azure REST API version 2022-10-01").
const TableAPIVersion = "2022-10-01"

// tableRetention sets ContainerLogV2's retention with an ARM deployment (resources@v2.90.0
// deployment.go, API 2022-09-01; mode Incremental leaves everything else of the group alone).
// ContainerLogV2 is one of the workspace's predefined Azure tables: it exists in every workspace and
// cannot be created, only updated (a PUT on a non-"_CL" table that does not exist is refused). An
// operationalinsights:Table would be a create, which pulumi-azure-native refuses for a resource that
// already exists ("cannot create already existing resource"); a template's resource is a PUT, an
// upsert. Properties (table.go): retentionInDays "between 4 and 730", totalRetentionInDays "between 4
// and 4383" (equal: no archive tier), plan "Analytics" (queried by the runbooks, alertable). Deleting
// the deployment deletes its record only: the table keeps its retention until the workspace goes.
func tableRetention(a *Args) *resources.DeploymentArgs {
	template := map[string]any{
		"$schema":        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
		"contentVersion": "1.0.0.0",
		"parameters": map[string]any{
			"workspaceName":   map[string]any{"type": "string"},
			"retentionInDays": map[string]any{"type": "int"},
		},
		"resources": []any{map[string]any{
			"type":       "Microsoft.OperationalInsights/workspaces/tables",
			"apiVersion": TableAPIVersion,
			"name":       "[format('{0}/" + ContainerLogTable + "', parameters('workspaceName'))]",
			"properties": map[string]any{
				"retentionInDays":      "[parameters('retentionInDays')]",
				"totalRetentionInDays": "[parameters('retentionInDays')]",
				"plan":                 "Analytics",
			},
		}},
	}
	return &resources.DeploymentArgs{
		DeploymentName:    pulumi.String(a.Name + "-container-log-v2"),
		ResourceGroupName: a.ResourceGroupName,
		Properties: &resources.DeploymentPropertiesArgs{
			Mode:     resources.DeploymentModeIncremental,
			Template: pulumi.ToMap(template),
			Parameters: resources.DeploymentParameterMap{
				"workspaceName":   &resources.DeploymentParameterArgs{Value: a.Insights.WorkspaceName},
				"retentionInDays": &resources.DeploymentParameterArgs{Value: pulumi.Int(a.Insights.LogsRetentionDays)},
			},
		},
	}
}
