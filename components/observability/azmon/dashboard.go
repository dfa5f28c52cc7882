package azmon

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// The managed services' key metrics on Grafana (the in-cluster Grafana of kube-prometheus-stack on
// AKS) through Grafana's built-in Azure Monitor datasource: the PostgreSQL Flexible Server's
// connections, transaction rate and buffer-cache hit ratio, and each storage account's requests,
// errors, bandwidth and availability. No in-cluster exporter sees these services; Azure Monitor's
// platform metrics do.
//
// Query model (grafana/grafana pkg/tsdb/azuremonitor/kinds/dataquery/types_dataquery_gen.go,
// AzureMonitorQuery / AzureMetricQuery / AzureMonitorResource / AzureMetricDimension): queryType
// "Azure Monitor", subscription, azureMonitor{resources[{subscription, resourceGroup,
// metricNamespace, resourceName, region}], metricNamespace, metricName, aggregation, timeGrain,
// dimensionFilters[{dimension, operator (eq, ne, sw), filters}]}. The datasource type is
// "grafana-azure-monitor-datasource" (its plugin.json id). Server-side expressions are targets on
// the datasource {"type": "__expr__", "uid": "__expr__"} with type "math" and an expression naming
// other targets as $refId (Grafana docs "Write expression queries"); a hidden target still feeds
// the expressions that read it.
//
// Metrics:
//   - Flexible Server, namespace Microsoft.DBforPostgreSQL/flexibleServers (Azure docs "Monitor
//     metrics on Azure Database for PostgreSQL flexible server", concepts-monitoring.md, and
//     azure-monitor/reference/supported-metrics/microsoft-dbforpostgresql-flexibleservers-metrics):
//     active_connections (Count, Average/Maximum/Minimum, on by default); the enhanced metrics
//     xact_commit "Transactions Committed", xact_rollback, blks_hit "Disk Blocks Hit" and
//     blks_read "Disk Blocks Read" (Count, Total, dimension DatabaseName), emitted only with the
//     server parameter metrics.collector_database_activity = on (flexibleserver.MetricsParameter).
//   - Storage account, namespace Microsoft.Storage/storageAccounts (supported-metrics/
//     microsoft-storage-storageaccounts-metrics): Transactions (Count, Total; dimension
//     ResponseType, "Success" for successful requests), Ingress and Egress (Bytes, Total),
//     Availability (Percent, Average).

// DatasourceUID is the Azure Monitor datasource's uid, as provisioned in Grafana
// (kubeprometheus.AzureMonitor) and referenced by the dashboard's panels.
const DatasourceUID = "azure-monitor"

// DatasourceType is Grafana's Azure Monitor datasource plugin id.
const DatasourceType = "grafana-azure-monitor-datasource"

// DashboardUID is the managed-services dashboard's uid.
const DashboardUID = "dataplatform-azure-data-services"

// DashboardArgs locate the watched resources.
type DashboardArgs struct {
	// SubscriptionID and ResourceGroup hold the server and the accounts; Region is theirs.
	SubscriptionID, ResourceGroup, Region string
	// ServerName is the Flexible Server's name ("" no PostgreSQL panels).
	ServerName string
	// StorageAccounts are the accounts' roles ("lake") and names.
	StorageAccounts []DashboardAccount
}

// DashboardAccount is a storage account on the dashboard.
type DashboardAccount struct {
	Role, Name string
}

var (
	// A subscription ID (a GUID on Azure; the test accounts are digits): one ARM path segment.
	subscriptionRE = regexp.MustCompile(`^[0-9A-Za-z][-0-9A-Za-z]*$`)
	accountRE      = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	serverRE       = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{1,61}[a-z0-9])$`)
)

func (a DashboardArgs) validate() error {
	switch {
	case !subscriptionRE.MatchString(a.SubscriptionID):
		return fmt.Errorf("azmon: dashboard SubscriptionID = %q: a subscription ID (its GUID)", a.SubscriptionID)
	case a.ResourceGroup == "" || a.Region == "":
		return fmt.Errorf("azmon: dashboard ResourceGroup and Region are required")
	case a.ServerName != "" && !serverRE.MatchString(a.ServerName):
		return fmt.Errorf("azmon: dashboard ServerName = %q: a Flexible Server name (3–63 lower-case letters, digits and '-')", a.ServerName)
	}
	for i, s := range a.StorageAccounts {
		if !roleRE.MatchString(s.Role) || !accountRE.MatchString(s.Name) {
			return fmt.Errorf("azmon: dashboard StorageAccounts[%d] = %q/%q: a DNS-label role and a storage account name (3–24 lower-case letters and digits)", i, s.Role, s.Name)
		}
	}
	return nil
}

// metricQuery is one Azure Monitor metric target.
type metricQuery struct {
	refID, namespace, resource, metric, aggregation, timeGrain string
	hide                                                       bool
	// filter is a dimension filter: dimension, operator and values.
	filter *[3]any
}

func (q metricQuery) target(a DashboardArgs) map[string]any {
	am := map[string]any{
		"resources": []map[string]string{{
			"subscription": a.SubscriptionID, "resourceGroup": a.ResourceGroup,
			"metricNamespace": q.namespace, "resourceName": q.resource, "region": a.Region,
		}},
		"metricNamespace": q.namespace, "metricName": q.metric, "aggregation": q.aggregation,
		"timeGrain": q.timeGrain, "dimensionFilters": []any{},
	}
	if f := q.filter; f != nil {
		am["dimensionFilters"] = []any{map[string]any{"dimension": f[0], "operator": f[1], "filters": f[2]}}
	}
	t := map[string]any{
		"refId": q.refID, "queryType": "Azure Monitor", "subscription": a.SubscriptionID,
		"datasource": map[string]string{"type": DatasourceType, "uid": DatasourceUID}, "azureMonitor": am,
	}
	if q.hide {
		t["hide"] = true
	}
	return t
}

// mathTarget is a server-side math expression over other targets.
func mathTarget(refID, expression string) map[string]any {
	return map[string]any{
		"refId": refID, "type": "math", "expression": expression,
		"datasource": map[string]string{"type": "__expr__", "uid": "__expr__"},
	}
}

// DashboardJSON is the managed-services dashboard as Grafana dashboard JSON (the model the
// platform's other dashboards use, observability.Dashboard.GrafanaJSON).
func DashboardJSON(a DashboardArgs) (string, error) {
	if err := a.validate(); err != nil {
		return "", err
	}
	type panel struct {
		title, unit string
		targets     []map[string]any
	}
	var panels []panel
	if s := a.ServerName; s != "" {
		pg := func(ref, metric, aggregation string, hide bool) map[string]any {
			return metricQuery{refID: ref, namespace: PostgresNamespace, resource: s, metric: metric, aggregation: aggregation, timeGrain: "PT1M", hide: hide}.target(a)
		}
		panels = append(panels,
			panel{"PostgreSQL active connections", "short", []map[string]any{pg("A", "active_connections", "Maximum", false)}},
			panel{"PostgreSQL transactions (per minute)", "short", []map[string]any{
				pg("A", "xact_commit", "Total", false), pg("B", "xact_rollback", "Total", false),
			}},
			panel{"PostgreSQL buffer cache hit ratio", "percent", []map[string]any{
				pg("HIT", "blks_hit", "Total", true), pg("READ", "blks_read", "Total", true),
				mathTarget("RATIO", "$HIT / ($HIT + $READ) * 100"),
			}},
		)
	}
	for _, acct := range a.StorageAccounts {
		st := func(ref, metric, aggregation string, filter *[3]any) map[string]any {
			return metricQuery{refID: ref, namespace: StorageNamespace, resource: acct.Name, metric: metric, aggregation: aggregation, timeGrain: "PT5M", filter: filter}.target(a)
		}
		errors := [3]any{"ResponseType", "ne", []string{"Success"}}
		panels = append(panels,
			panel{"Storage " + acct.Role + ": requests (per 5 minutes)", "short", []map[string]any{st("A", "Transactions", "Total", nil)}},
			panel{"Storage " + acct.Role + ": failed requests by response type (per 5 minutes)", "short", []map[string]any{st("A", "Transactions", "Total", &errors)}},
			panel{"Storage " + acct.Role + ": ingress / egress (bytes per 5 minutes)", "bytes", []map[string]any{
				st("A", "Ingress", "Total", nil), st("B", "Egress", "Total", nil),
			}},
			panel{"Storage " + acct.Role + ": availability", "percent", []map[string]any{st("A", "Availability", "Average", nil)}},
		)
	}
	if len(panels) == 0 {
		return "", fmt.Errorf("azmon: the dashboard needs a ServerName or a storage account")
	}
	out := []map[string]any{}
	ds := map[string]string{"type": DatasourceType, "uid": DatasourceUID}
	for i, p := range panels {
		out = append(out, map[string]any{
			"id": i + 1, "type": "timeseries", "title": p.title, "datasource": ds,
			"gridPos":     map[string]int{"x": (i % 2) * 12, "y": (i / 2) * 8, "w": 12, "h": 8},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.unit}, "overrides": []any{}},
			"targets":     p.targets,
		})
	}
	b, err := json.Marshal(map[string]any{
		"uid": DashboardUID, "title": "Data services (Azure Monitor)", "schemaVersion": 39, "editable": false,
		"time": map[string]string{"from": "now-6h", "to": "now"}, "refresh": "5m",
		"tags": []string{"dataplatform", "azure"}, "panels": out,
	})
	return string(b), err
}
