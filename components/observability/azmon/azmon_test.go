package azmon

import (
	"os"
	"regexp"
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	rgID      = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dp-prod"
	serverID  = rgID + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/dp-prod-pg-abc"
	accountID = rgID + "/providers/Microsoft.Storage/storageAccounts/dpprodabc"
	clusterID = rgID + "/providers/Microsoft.ContainerService/managedClusters/dp-prod"
	wsID      = rgID + "/providers/Microsoft.OperationalInsights/workspaces/dp-prod-logs"

	agType     = "azure-native:insights:ActionGroup"
	alertType  = "azure-native:insights:MetricAlert"
	dcrType    = "azure-native:insights:DataCollectionRule"
	dcraType   = "azure-native:insights:DataCollectionRuleAssociation"
	tableType  = "azure-native:operationalinsights:Table"
	deployType = "azure-native:resources:Deployment"
)

func args() *Args {
	return &Args{
		Name: "dp-prod", ResourceGroupName: pulumi.String("rg-dp-prod"), Location: "swedencentral",
		Receiver:        Receiver{Email: "ops@example.com"},
		Database:        &Database{ServerID: pulumi.String(serverID), SKU: "Standard_D4ds_v5"},
		StorageAccounts: []StorageAccount{{Role: "lake", ID: pulumi.String(accountID)}},
		RunbookBase:     "https://github.com/o/r/blob/main",
		Insights: &ContainerInsights{
			ClusterID: pulumi.String(clusterID), WorkspaceID: pulumi.String(wsID), WorkspaceName: pulumi.String("dp-prod-logs"), LogsRetentionDays: 90,
		},
		Tags: map[string]string{"environment": "prod"},
	}
}

func run(preview bool, a *Args) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		_, err = New(ctx, "observability", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, err
}

// TestActionGroupAndAlerts: the receiver becomes the action group's email receiver; every alert is a
// static single-resource criterion on a documented metric of its resource, scoped to that resource,
// sends to the group, resolves itself and links its runbook section.
func TestActionGroupAndAlerts(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(preview, args())
		inspect.RequireRan(t, preview, err)

		ag := inspect.MustNamed(t, m, agType, "observability-action-group")
		assert.Equal(t, "Global", inspect.Str(ag.Inputs, "location"))
		assert.LessOrEqual(t, len(inspect.Str(ag.Inputs, "groupShortName")), 12)
		assert.Equal(t, "ops@example.com", inspect.Str(ag.Inputs, "emailReceivers", 0, "emailAddress"))
		assert.Equal(t, 0, inspect.Len(ag.Inputs, "webhookReceivers"))

		alerts := m.ByType(alertType)
		require.Len(t, alerts, 8, "6 PostgreSQL alerts (with the retained WAL) and 2 storage alerts")
		documented := map[string][]string{
			PostgresNamespace: {"is_db_alive", "cpu_percent", "memory_percent", "storage_percent", "active_connections", "txlogs_storage_used"},
			StorageNamespace:  {"Availability", "Transactions"},
		}
		for _, al := range alerts {
			in := al.Inputs
			ns := inspect.Str(in, "criteria", "allOf", 0, "metricNamespace")
			assert.Contains(t, documented[ns], inspect.Str(in, "criteria", "allOf", 0, "metricName"), al.Name)
			assert.Equal(t, "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", inspect.Str(in, "criteria", "odataType"))
			assert.Equal(t, "StaticThresholdCriterion", inspect.Str(in, "criteria", "allOf", 0, "criterionType"))
			auto, _ := inspect.Bool(in, "autoMitigate")
			assert.True(t, auto, al.Name)
			assert.Equal(t, "rg-dp-prod", inspect.Str(in, "resourceGroupName"))
			assert.True(t, strings.HasPrefix(inspect.Str(in, "ruleName"), "dp-prod-"))
			want := serverID
			if ns == StorageNamespace {
				want = accountID
			}
			assert.Equal(t, []string{want}, inspect.Strs(in, "scopes"), al.Name)
			assert.Contains(t, inspect.Str(in, "description"), "Runbook: https://github.com/o/r/blob/main/docs/runbook-alerts-azure.md#")
			assert.True(t, m.DependsOn(al, ag), "%s sends to the action group", al.Name)
		}

		conn := inspect.MustNamed(t, m, alertType, "observability-pg-connections-high")
		assert.Equal(t, 1374.0, inspect.Num(conn.Inputs, "criteria", "allOf", 0, "threshold"), "80 % of D4ds_v5's 1718")
		assert.Equal(t, 2.0, inspect.Num(conn.Inputs, "severity"))
		down := inspect.MustNamed(t, m, alertType, "observability-pg-down")
		assert.Equal(t, 0.0, inspect.Num(down.Inputs, "severity"), "critical → Azure severity 0")
		assert.Equal(t, "Maximum", inspect.Str(down.Inputs, "criteria", "allOf", 0, "timeAggregation"), "down only when no probe succeeded in the window")
		errs := inspect.MustNamed(t, m, alertType, "observability-storage-lake-server-errors")
		assert.Equal(t, "ResponseType", inspect.Str(errs.Inputs, "criteria", "allOf", 0, "dimensions", 0, "name"))
		assert.Equal(t, ServerErrorResponseTypes, inspect.Strs(errs.Inputs, "criteria", "allOf", 0, "dimensions", 0, "values"))
	})
}

// TestWebhookReceiverIsSecret: the webhook URL reaches the action group as a secret.
func TestWebhookReceiverIsSecret(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.Receiver.WebhookURL = pulumi.String("https://hooks.example.com/T0/abc")
		m, err := run(preview, a)
		inspect.RequireRan(t, preview, err)
		ag := inspect.MustNamed(t, m, agType, "observability-action-group")
		assert.True(t, ag.Inputs["webhookReceivers"].ContainsSecrets(), "the webhook URL carries a token")
		assert.Equal(t, "https://hooks.example.com/T0/abc", inspect.Str(ag.Inputs, "webhookReceivers", 0, "serviceUri"))
		assert.Equal(t, 1, inspect.Len(ag.Inputs, "emailReceivers"), "email and webhook together")
	})
}

// TestContainerInsights: the rule collects ContainerLogV2 through the ContainerInsights extension into
// the workspace, is associated with the cluster under the name the add-on looks for, and
// ContainerLogV2 keeps the profile's retention.
func TestContainerInsights(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(preview, args())
		inspect.RequireRan(t, preview, err)
		dcr := inspect.MustNamed(t, m, dcrType, "observability-container-insights")
		in := dcr.Inputs
		assert.Equal(t, "Linux", inspect.Str(in, "kind"))
		assert.Equal(t, "swedencentral", inspect.Str(in, "location"))
		assert.Equal(t, "ContainerInsights", inspect.Str(in, "dataSources", "extensions", 0, "extensionName"))
		assert.Equal(t, InsightsExtension, inspect.Str(in, "dataSources", "extensions", 0, "name"))
		streams := inspect.Strs(in, "dataSources", "extensions", 0, "streams")
		assert.Contains(t, streams, "Microsoft-ContainerLogV2")
		assert.NotContains(t, streams, "Microsoft-ContainerLog", "the legacy table is not collected")
		v2, _ := inspect.Bool(in, "dataSources", "extensions", 0, "extensionSettings", "dataCollectionSettings", "enableContainerLogV2")
		assert.True(t, v2)
		assert.Equal(t, streams, inspect.Strs(in, "dataFlows", 0, "streams"))
		dest := inspect.Str(in, "destinations", "logAnalytics", 0, "name")
		assert.Equal(t, []string{dest}, inspect.Strs(in, "dataFlows", 0, "destinations"))
		assert.Equal(t, wsID, inspect.Str(in, "destinations", "logAnalytics", 0, "workspaceResourceId"))

		dcra := inspect.MustNamed(t, m, dcraType, "observability-container-insights-association")
		assert.Equal(t, InsightsExtension, inspect.Str(dcra.Inputs, "associationName"))
		assert.Equal(t, clusterID, inspect.Str(dcra.Inputs, "resourceUri"))
		assert.True(t, m.DependsOn(dcra, dcr))

		dep := inspect.MustNamed(t, m, deployType, "observability-container-log-v2-retention")
		assert.Equal(t, "Incremental", inspect.Str(dep.Inputs, "properties", "mode"))
		res := inspect.Obj(inspect.At(dep.Inputs, "properties", "template", "resources", 0))
		assert.Equal(t, "Microsoft.OperationalInsights/workspaces/tables", inspect.Str(res, "type"))
		assert.Equal(t, TableAPIVersion, inspect.Str(res, "apiVersion"))
		assert.Contains(t, inspect.Str(res, "name"), "/"+ContainerLogTable)
		assert.Equal(t, "Analytics", inspect.Str(res, "properties", "plan"))
		assert.Equal(t, "dp-prod-logs", inspect.Str(dep.Inputs, "properties", "parameters", "workspaceName", "value"))
		assert.Equal(t, 90.0, inspect.Num(dep.Inputs, "properties", "parameters", "retentionInDays", "value"))
		assert.True(t, m.DependsOn(dep, dcr))
		assert.Empty(t, m.ByType(tableType), "a predefined table cannot be created: no operationalinsights:Table")
	})
}

// TestValidation: bad arguments fail before anything is registered.
func TestValidation(t *testing.T) {
	cases := map[string]func(a *Args){
		"name":       func(a *Args) { a.Name = "Bad_Name" },
		"email":      func(a *Args) { a.Receiver.Email = "ops" },
		"sku":        func(a *Args) { a.Database.SKU = "GP_Gen5_4" },
		"role":       func(a *Args) { a.StorageAccounts = append(a.StorageAccounts, a.StorageAccounts[0]) },
		"retention":  func(a *Args) { a.Insights.LogsRetentionDays = 731 },
		"retention3": func(a *Args) { a.Insights.LogsRetentionDays = 3 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := args()
			mutate(a)
			m, err := run(false, a)
			require.Error(t, err)
			assert.Empty(t, m.ByType(agType), "nothing is registered")
		})
	}
}

// TestMaxConnections: the default max_connections of the SKUs the environments use and of each row
// kind of concepts-limits.md.
func TestMaxConnections(t *testing.T) {
	for sku, want := range map[string]int{
		"Standard_B1ms": 50, "Standard_B2s": 429, "Standard_B2ms": 859, "Standard_B4ms": 1718, "Standard_B8ms": 3437, "Standard_B16ms": 5000,
		"Standard_D2ds_v5": 859, "Standard_D4ds_v5": 1718, "Standard_D8s_v3": 3437, "Standard_D16ds_v5": 5000,
		"Standard_E2ds_v5": 1718, "Standard_E4ds_v5": 3437, "Standard_E8ds_v5": 5000,
	} {
		got, err := MaxConnections(sku)
		require.NoError(t, err, sku)
		assert.Equal(t, want, got, sku)
	}
	for _, bad := range []string{"", "B2s", "Standard_F4s_v2", "Standard_B3ms"} {
		_, err := MaxConnections(bad)
		assert.Error(t, err, bad)
	}
}

// TestRunbookSections: every alert's runbook anchor has its section in docs/runbook-alerts-azure.md.
func TestRunbookSections(t *testing.T) {
	doc, err := os.ReadFile("../../../" + RunbookDoc)
	require.NoError(t, err)
	anchors := map[string]bool{}
	for _, h := range regexp.MustCompile(`<a id="([a-z0-9-]+)"></a>\n## `).FindAllStringSubmatch(string(doc), -1) {
		anchors[h[1]] = true
	}
	alerts, err := DatabaseAlerts("Standard_D2ds_v5", 128)
	require.NoError(t, err)
	for _, al := range append(alerts, StorageAlerts("lake")...) {
		assert.True(t, anchors[al.Runbook], "%s: no section for #%s in %s", al.Name, al.Runbook, RunbookDoc)
	}
}

// TestRetainedWALThreshold: pg-txlogs-high watches txlogs_storage_used at 10 % of the storage, never
// below the floor (a small server keeps up to max_wal_size between checkpoints).
func TestRetainedWALThreshold(t *testing.T) {
	for _, c := range []struct{ storageGiB, wantGiB int }{{0, 4}, {20, 4}, {128, 12}, {512, 51}} {
		alerts, err := DatabaseAlerts("Standard_D2ds_v5", c.storageGiB)
		require.NoError(t, err)
		var got *Alert
		for i := range alerts {
			if alerts[i].Name == "pg-txlogs-high" {
				got = &alerts[i]
			}
		}
		require.NotNil(t, got, "no pg-txlogs-high alert")
		assert.Equal(t, "txlogs_storage_used", got.Metric)
		assert.Equal(t, PostgresNamespace, got.Namespace)
		assert.Equal(t, "Maximum", got.Aggregation)
		assert.Equal(t, "GreaterThan", got.Operator)
		assert.Equal(t, float64(c.wantGiB)*(1<<30), got.Threshold, "storage %d GiB", c.storageGiB)
	}
}
