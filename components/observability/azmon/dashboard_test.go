package azmon

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSub = "00000000-0000-4000-8000-000000000001"

func dashboardArgs() DashboardArgs {
	return DashboardArgs{
		SubscriptionID: testSub, ResourceGroup: "rg-dp-prod", Region: "swedencentral", ServerName: "dp-prod-pg-abc",
		StorageAccounts: []DashboardAccount{{Role: "lake", Name: "dpprodabc"}},
	}
}

type testPanel struct {
	Title      string `json:"title"`
	Datasource struct {
		Type, UID string
	} `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []map[string]any `json:"targets"`
}

func decodePanels(t *testing.T, doc string) map[string]testPanel {
	t.Helper()
	var d struct {
		UID    string      `json:"uid"`
		Panels []testPanel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &d))
	assert.Equal(t, DashboardUID, d.UID)
	out := map[string]testPanel{}
	for _, p := range d.Panels {
		out[p.Title] = p
	}
	return out
}

// azureMonitor is a target's azureMonitor block, checked against the query model: queryType,
// datasource, one resource naming the subscription, group, namespace, name and region.
func azureMonitor(t *testing.T, target map[string]any, namespace, resource string) map[string]any {
	t.Helper()
	assert.Equal(t, "Azure Monitor", target["queryType"])
	assert.Equal(t, testSub, target["subscription"])
	assert.Equal(t, map[string]any{"type": DatasourceType, "uid": DatasourceUID}, target["datasource"])
	am := target["azureMonitor"].(map[string]any)
	assert.Equal(t, namespace, am["metricNamespace"])
	assert.Equal(t, []any{map[string]any{
		"subscription": testSub, "resourceGroup": "rg-dp-prod", "metricNamespace": namespace, "resourceName": resource, "region": "swedencentral",
	}}, am["resources"])
	return am
}

// TestDashboardPostgres: connections, commits and rollbacks, and the cache hit ratio as a math
// expression over the hidden blks_hit and blks_read queries, all on the stack's server.
func TestDashboardPostgres(t *testing.T) {
	doc, err := DashboardJSON(dashboardArgs())
	require.NoError(t, err)
	panels := decodePanels(t, doc)

	conn := panels["PostgreSQL active connections"]
	am := azureMonitor(t, conn.Targets[0], "Microsoft.DBforPostgreSQL/flexibleServers", "dp-prod-pg-abc")
	assert.Equal(t, "active_connections", am["metricName"])
	assert.Equal(t, "Maximum", am["aggregation"])

	tx := panels["PostgreSQL transactions (per minute)"]
	require.Len(t, tx.Targets, 2)
	for i, metric := range []string{"xact_commit", "xact_rollback"} {
		am := azureMonitor(t, tx.Targets[i], "Microsoft.DBforPostgreSQL/flexibleServers", "dp-prod-pg-abc")
		assert.Equal(t, metric, am["metricName"])
		assert.Equal(t, "Total", am["aggregation"])
		assert.Equal(t, "PT1M", am["timeGrain"], "a per-minute total: the panel says per minute")
	}

	hit := panels["PostgreSQL buffer cache hit ratio"]
	assert.Equal(t, "percent", hit.FieldConfig.Defaults.Unit)
	require.Len(t, hit.Targets, 3)
	byRef := map[string]map[string]any{}
	for _, tg := range hit.Targets {
		byRef[tg["refId"].(string)] = tg
	}
	assert.Equal(t, "blks_hit", azureMonitor(t, byRef["HIT"], "Microsoft.DBforPostgreSQL/flexibleServers", "dp-prod-pg-abc")["metricName"])
	assert.Equal(t, "blks_read", azureMonitor(t, byRef["READ"], "Microsoft.DBforPostgreSQL/flexibleServers", "dp-prod-pg-abc")["metricName"])
	assert.Equal(t, true, byRef["HIT"]["hide"])
	assert.Equal(t, true, byRef["READ"]["hide"])
	ratio := byRef["RATIO"]
	assert.Equal(t, "math", ratio["type"])
	assert.Equal(t, "$HIT / ($HIT + $READ) * 100", ratio["expression"])
	assert.Equal(t, map[string]any{"type": "__expr__", "uid": "__expr__"}, ratio["datasource"])
	_, hidden := ratio["hide"]
	assert.False(t, hidden)
}

// TestDashboardStorage: requests, failed requests (ResponseType ne Success), ingress and egress, and
// availability, on the lake's account.
func TestDashboardStorage(t *testing.T) {
	doc, err := DashboardJSON(dashboardArgs())
	require.NoError(t, err)
	panels := decodePanels(t, doc)
	metric := func(title string, i int) map[string]any {
		p, ok := panels[title]
		require.True(t, ok, "panel %q", title)
		return azureMonitor(t, p.Targets[i], "Microsoft.Storage/storageAccounts", "dpprodabc")
	}
	req := metric("Storage lake: requests (per 5 minutes)", 0)
	assert.Equal(t, "Transactions", req["metricName"])
	assert.Equal(t, "Total", req["aggregation"])
	assert.Equal(t, []any{}, req["dimensionFilters"])

	errs := metric("Storage lake: failed requests by response type (per 5 minutes)", 0)
	assert.Equal(t, "Transactions", errs["metricName"])
	assert.Equal(t, []any{map[string]any{"dimension": "ResponseType", "operator": "ne", "filters": []any{"Success"}}}, errs["dimensionFilters"])

	title := "Storage lake: ingress / egress (bytes per 5 minutes)"
	assert.Equal(t, "Ingress", metric(title, 0)["metricName"])
	assert.Equal(t, "Egress", metric(title, 1)["metricName"])
	assert.Equal(t, "bytes", panels[title].FieldConfig.Defaults.Unit)
	av := metric("Storage lake: availability", 0)
	assert.Equal(t, "Availability", av["metricName"])
	assert.Equal(t, "Average", av["aggregation"])
	assert.Len(t, panels, 7)
}

// TestDashboardValidation: what would make a query name the wrong resource is refused.
func TestDashboardValidation(t *testing.T) {
	for name, mutate := range map[string]func(*DashboardArgs){
		"subscription": func(a *DashboardArgs) { a.SubscriptionID = "sub/../x" },
		"group":        func(a *DashboardArgs) { a.ResourceGroup = "" },
		"server":       func(a *DashboardArgs) { a.ServerName = "Bad_Name" },
		"account":      func(a *DashboardArgs) { a.StorageAccounts[0].Name = "has-dash" },
		"nothing":      func(a *DashboardArgs) { a.ServerName, a.StorageAccounts = "", nil },
	} {
		t.Run(name, func(t *testing.T) {
			a := dashboardArgs()
			mutate(&a)
			_, err := DashboardJSON(a)
			assert.Error(t, err)
		})
	}
}
