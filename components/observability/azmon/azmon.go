// Package azmon is the Azure Monitor half of the observability model on azure: the model's receiver
// as an action group, metric alerts with runbook links on the managed services the platform uses
// there (the PostgreSQL Flexible Server and the storage accounts, which no in-cluster exporter
// scrapes), and Container Insights — the AKS monitoring add-on's data collection rule sending the
// containers' logs (ContainerLogV2) and the cluster's inventory and events to the stack's Log
// Analytics workspace, and ContainerLogV2's retention.
//
// The in-cluster half (metrics, the platform's Prometheus rules, Grafana, Alertmanager) is
// kube-prometheus-stack (components/clusteraddons/kubeprometheus) on AKS: Azure Managed Prometheus,
// its rule groups and Azure Managed Grafana need the azure-native monitor, alertsmanagement and
// dashboard modules, which the module proxy refuses (shared research wave2_observability.md §1).
//
// Types used (pulumi-azure-native-sdk/insights/v2@v2.90.0, operationalinsights/v2@v2.90.0):
// "azure-native:insights:ActionGroup" (API 2023-01-01), "…:MetricAlert" (2018-03-01),
// "…:DataCollectionRule" and "…:DataCollectionRuleAssociation" (2022-06-01) and
// "azure-native:operationalinsights:Table" (2022-10-01).
package azmon

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-azure-native-sdk/insights/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type is the component's type token.
const Type = "dataplatform:azure:Observability"

// Receiver is where the action group delivers: an email receiver, a webhook receiver, both or none.
type Receiver struct {
	// Email is the address of the email receiver (Azure Monitor mails from its own sender); "" none.
	Email string
	// WebhookURL is the webhook receiver's https URI, posted Azure Monitor's common alert schema
	// (not Alertmanager's webhook JSON); a secret (such URLs carry tokens). nil: none.
	WebhookURL pulumi.StringInput
}

// Database is the Flexible Server the alerts watch.
type Database struct {
	// ServerID is the server's ARM ID (the alerts' scope); it must resolve once the server exists.
	ServerID pulumi.StringInput
	// SKU is the server's compute name (Standard_D4ds_v5): the connection alert's threshold.
	SKU string
	// StorageGiB is the server's provisioned storage: the retained-WAL alert's threshold (10 %, at
	// least WALAlertFloorGiB). 0 uses the floor.
	StorageGiB int
}

// StorageAccount is a storage account the alerts watch.
type StorageAccount struct {
	// Role names it in the alerts' names ("lake"); a DNS label.
	Role string
	// ID is the account's ARM ID.
	ID pulumi.StringInput
}

// ContainerInsights sends the cluster's container logs to the workspace.
type ContainerInsights struct {
	// ClusterID is the AKS cluster's ARM ID (the association's scope); the cluster's monitoring add-on
	// (addonProfiles.omsagent with useAADAuth, components/cluster/aks) must point at WorkspaceID.
	ClusterID pulumi.StringInput
	// WorkspaceID and WorkspaceName are the Log Analytics workspace's ARM ID and name.
	WorkspaceID   pulumi.StringInput
	WorkspaceName pulumi.StringInput
	// LogsRetentionDays is ContainerLogV2's retention (4–730).
	LogsRetentionDays int
}

// Args configures the component.
type Args struct {
	// Name prefixes the action group, the alerts and the data collection rule (lower-case letters,
	// digits and '-', at most 40 characters).
	Name string
	// ResourceGroupName holds them; Location is the stack's region (the rule's, the workspace's).
	ResourceGroupName pulumi.StringInput
	Location          string
	// Receiver is where alerts go; an empty one keeps an action group without receivers (the alerts
	// show in the portal's Alerts view).
	Receiver Receiver
	// Database and StorageAccounts are watched (nil/empty: no such alerts).
	Database        *Database
	StorageAccounts []StorageAccount
	// RunbookBase turns each alert's runbook anchor into an absolute URL.
	RunbookBase string
	// Insights is Container Insights; nil: none.
	Insights *ContainerInsights
	// After are what the alerts wait for (the watched resources' dependants).
	After []pulumi.Resource
	Tags  map[string]string
}

// Monitor is the component.
type Monitor struct {
	pulumi.ResourceState

	// ActionGroupID is the action group's ARM ID.
	ActionGroupID pulumi.StringOutput
	// Alerts are the metric alerts' names.
	Alerts []string
	// DataCollectionRuleID is Container Insights' rule ("" without Insights).
	DataCollectionRuleID pulumi.StringOutput
}

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$`)
	roleRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$`)
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (a *Args) validate() error {
	switch {
	case !nameRE.MatchString(a.Name):
		return fmt.Errorf("azmon: Name = %q: lower-case letters, digits and '-', at most 40 characters", a.Name)
	case a.ResourceGroupName == nil || a.Location == "":
		return fmt.Errorf("azmon: ResourceGroupName and Location are required")
	}
	if r := a.Receiver; r.Email != "" && !emailRE.MatchString(r.Email) {
		return fmt.Errorf("azmon: Receiver.Email = %q: the recipient's e-mail address", r.Email)
	}
	if d := a.Database; d != nil {
		if d.ServerID == nil {
			return fmt.Errorf("azmon: Database.ServerID is required")
		}
		if _, err := MaxConnections(d.SKU); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, s := range a.StorageAccounts {
		if !roleRE.MatchString(s.Role) || seen[s.Role] || s.ID == nil {
			return fmt.Errorf("azmon: StorageAccounts[%d] = %q: a unique DNS-label role and the account's ID", i, s.Role)
		}
		seen[s.Role] = true
	}
	if c := a.Insights; c != nil {
		if c.ClusterID == nil || c.WorkspaceID == nil || c.WorkspaceName == nil {
			return fmt.Errorf("azmon: Insights needs ClusterID, WorkspaceID and WorkspaceName")
		}
		// operationalinsights@v2.90.0 table.go RetentionInDays: "between 4 and 730".
		if c.LogsRetentionDays < 4 || c.LogsRetentionDays > 730 {
			return fmt.Errorf("azmon: Insights.LogsRetentionDays = %d: from 4 to 730 (a Log Analytics table's interactive retention)", c.LogsRetentionDays)
		}
	}
	return nil
}

// New creates the action group, the alerts and Container Insights' rule.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Monitor, error) {
	if args == nil {
		return nil, fmt.Errorf("azmon: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Monitor{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"name": pulumi.String(args.Name), "email": pulumi.Bool(args.Receiver.Email != ""), "webhook": pulumi.Bool(args.Receiver.WebhookURL != nil),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)

	ag, err := insights.NewActionGroup(ctx, name+"-action-group", actionGroupArgs(args, tags), parent)
	if err != nil {
		return nil, err
	}
	comp.ActionGroupID = ag.ID().ToStringOutput()

	type scoped struct {
		alert Alert
		scope pulumi.StringInput
	}
	var all []scoped
	if d := args.Database; d != nil {
		alerts, err := DatabaseAlerts(d.SKU, d.StorageGiB)
		if err != nil {
			return nil, err
		}
		for _, al := range alerts {
			all = append(all, scoped{al, d.ServerID})
		}
	}
	for _, s := range args.StorageAccounts {
		for _, al := range StorageAlerts(s.Role) {
			all = append(all, scoped{al, s.ID})
		}
	}
	for _, s := range all {
		n := args.Name + "-" + s.alert.Name
		if _, err := insights.NewMetricAlert(ctx, name+"-"+s.alert.Name, metricAlertArgs(n, s.alert, args.ResourceGroupName, s.scope, comp.ActionGroupID, args.RunbookBase, tags), parent,
			pulumi.DependsOn(args.After)); err != nil {
			return nil, err
		}
		comp.Alerts = append(comp.Alerts, n)
	}

	comp.DataCollectionRuleID = pulumi.String("").ToStringOutput()
	if args.Insights != nil {
		if comp.DataCollectionRuleID, err = containerInsights(ctx, name, args, tags, parent); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"actionGroupId": comp.ActionGroupID, "alerts": pulumi.ToStringArray(comp.Alerts),
		"dataCollectionRuleId": comp.DataCollectionRuleID,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// actionGroupArgs: an action group is a global resource (location "Global"), with a short name of at
// most 12 characters shown in SMS and mails (insights@v2.90.0 actionGroup.go GroupShortName "The short
// name of the action group. This will be used in SMS messages."; azure-docs action-groups.md: "Short
// name: up to 12 characters"). Receivers use the common alert schema.
func actionGroupArgs(a *Args, tags pulumi.StringMap) *insights.ActionGroupArgs {
	short := a.Name
	if len(short) > 12 {
		short = short[:12]
	}
	args := &insights.ActionGroupArgs{
		ActionGroupName:   pulumi.String(a.Name + "-alerts"),
		ResourceGroupName: a.ResourceGroupName,
		Location:          pulumi.String("Global"),
		GroupShortName:    pulumi.String(short),
		Enabled:           pulumi.Bool(true),
		Tags:              tags,
	}
	if a.Receiver.Email != "" {
		args.EmailReceivers = insights.EmailReceiverArray{&insights.EmailReceiverArgs{
			Name: pulumi.String("platform-email"), EmailAddress: pulumi.String(a.Receiver.Email), UseCommonAlertSchema: pulumi.Bool(true),
		}}
	}
	if a.Receiver.WebhookURL != nil {
		args.WebhookReceivers = insights.WebhookReceiverArray{&insights.WebhookReceiverArgs{
			Name:                 pulumi.String("platform-webhook"),
			ServiceUri:           pulumi.ToSecret(a.Receiver.WebhookURL).(pulumi.StringOutput),
			UseCommonAlertSchema: pulumi.Bool(true),
		}}
	}
	return args
}

// metricAlertArgs renders one Alert (insights@v2.90.0 metricAlert.go: Scopes, Criteria,
// EvaluationFrequency, WindowSize, Severity, AutoMitigate "whether the alert should be auto resolved",
// Actions; location "global" as metric alerts are).
func metricAlertArgs(name string, al Alert, rg, scope pulumi.StringInput, actionGroup pulumi.StringInput, runbookBase string, tags pulumi.StringMap) *insights.MetricAlertArgs {
	crit := &insights.MetricCriteriaArgs{
		CriterionType: pulumi.String("StaticThresholdCriterion"), Name: pulumi.String(al.Metric),
		MetricName: pulumi.String(al.Metric), MetricNamespace: pulumi.String(al.Namespace),
		Operator: pulumi.String(al.Operator), Threshold: pulumi.Float64(al.Threshold), TimeAggregation: pulumi.String(al.Aggregation),
	}
	dims := make([]string, 0, len(al.Dimensions))
	for d := range al.Dimensions {
		dims = append(dims, d)
	}
	sort.Strings(dims)
	var dimensions insights.MetricDimensionArray
	for _, d := range dims {
		dimensions = append(dimensions, &insights.MetricDimensionArgs{
			Name: pulumi.String(d), Operator: pulumi.String("Include"), Values: pulumi.ToStringArray(al.Dimensions[d]),
		})
	}
	crit.Dimensions = dimensions
	return &insights.MetricAlertArgs{
		RuleName:            pulumi.String(name),
		ResourceGroupName:   rg,
		Location:            pulumi.String("global"),
		Description:         pulumi.String(al.Summary + ". Runbook: " + RunbookURL(runbookBase, al.Runbook)),
		Severity:            pulumi.Int(AzureSeverity(al.Severity)),
		Enabled:             pulumi.Bool(true),
		AutoMitigate:        pulumi.Bool(true),
		Scopes:              pulumi.StringArray{scope},
		EvaluationFrequency: pulumi.String(al.Frequency),
		WindowSize:          pulumi.String(al.Window),
		Criteria: &insights.MetricAlertSingleResourceMultipleMetricCriteriaArgs{
			OdataType: pulumi.String("Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"),
			AllOf:     insights.MetricCriteriaArray{crit},
		},
		Actions: insights.MetricAlertActionArray{&insights.MetricAlertActionArgs{
			ActionGroupId:     actionGroup,
			WebHookProperties: pulumi.StringMap{"runbook": pulumi.String(RunbookURL(runbookBase, al.Runbook))},
		}},
		Tags: tags,
	}
}
