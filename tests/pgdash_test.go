package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestPostgresKeyMetricsOnAWSDashboard (issue 12): the CloudWatch dashboard shows the metadata
// database's transaction rate and cache hit ratio — DB_PERF_INSIGHTS expressions on the RDS
// instance's resource ID where Performance Insights is on, a text widget saying why they are missing
// where it is off.
func TestPostgresKeyMetricsOnAWSDashboard(t *testing.T) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				r := plan(t, stack, "aws", preview)
				dashboards := resourcesOf(r, "aws:cloudwatch/dashboard:Dashboard")
				if !r.Platform.Observability.On() {
					if len(dashboards) != 0 {
						t.Error("observability off: a CloudWatch dashboard")
					}
					return
				}
				dash := named(t, r, "aws:cloudwatch/dashboard:Dashboard", "observability-dashboard")
				if preview {
					return // the body waits for the instance's resource ID and the buckets' names
				}
				body := inspect.Str(dash.Inputs, "dashboardBody")
				instance := named(t, r, "aws:rds/instance:Instance", "metadata-db-instance")
				id := inspect.Str(instance.Outputs, "resourceId")
				if !strings.HasPrefix(id, "db-") {
					t.Fatalf("the instance's resourceId %q", id)
				}
				if !r.Platform.MetadataDB.PerformanceInsights {
					if strings.Contains(body, "DB_PERF_INSIGHTS") || !strings.Contains(body, "metadataDB.performanceInsights: true") {
						t.Errorf("Performance Insights off: want the text widget and no expression; body %s", body)
					}
					return
				}
				if pi, _ := inspect.Bool(instance.Inputs, "performanceInsightsEnabled"); !pi {
					t.Fatal("the dashboard queries Performance Insights, which the instance does not have on")
				}
				for _, counter := range []string{"db.Transactions.xact_commit", "db.Cache.blks_hit", "db.IO.blks_read"} {
					if want := "DB_PERF_INSIGHTS('RDS', '" + id + "', '" + counter + ".avg')"; !strings.Contains(body, want) {
						t.Errorf("the dashboard has no %s", want)
					}
				}
				if !strings.Contains(body, `"expression":"100 * hit / (hit + read)"`) {
					t.Error("no cache hit ratio expression")
				}
			})
		}
	}
}

// TestManagedServicesOnAzureGrafana (issue 12): on azure with observability on, Grafana reads Azure
// Monitor as a managed identity federated with its ServiceAccount, granted Monitoring Reader on the
// Flexible Server and the lake's account only; the Flexible Server has its enhanced metrics on; the
// dashboard's panels name the cited metrics on this stack's server and account. With observability
// off, none of it; no other target has any of it.
func TestManagedServicesOnAzureGrafana(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		identities := resourcesOf(r, "dataplatform:azure:GrafanaIdentity")
		if target != "azure" || !r.Platform.Observability.On() {
			if len(identities) != 0 || hasConfigMap(r, "monitoring-dashboard-dataplatform-azure-data-services") {
				t.Errorf("%s (observability %v): Grafana's Azure Monitor wiring", target, r.Platform.Observability.On())
			}
			for _, c := range resourcesOf(r, "azure-native:dbforpostgresql/v20230601preview:Configuration") {
				if inspect.Str(c.Inputs, "configurationName") == "metrics.collector_database_activity" {
					t.Error("observability off: the enhanced metrics parameter is set")
				}
			}
			return
		}
		assertAzureGrafana(t, r, preview)
	})
}

func assertAzureGrafana(t *testing.T, r *planner.Result, preview bool) {
	t.Helper()
	uai := named(t, r, "azure-native:managedidentity:UserAssignedIdentity", "grafana-identity")
	fic := named(t, r, "azure-native:managedidentity:FederatedIdentityCredential", "grafana-identity-federation")
	if got := inspect.Str(fic.Inputs, "subject"); got != "system:serviceaccount:monitoring:grafana" {
		t.Errorf("federated subject %q; want Grafana's ServiceAccount", got)
	}
	cluster := resourcesOf(r, "azure-native:containerservice/v20240901:ManagedCluster")[0]
	if !preview {
		if issuer := inspect.Str(cluster.Outputs, "oidcIssuerProfile", "issuerURL"); issuer == "" || inspect.Str(fic.Inputs, "issuer") != issuer {
			t.Errorf("federated issuer %q; want the cluster's %q", inspect.Str(fic.Inputs, "issuer"), issuer)
		}
	}

	// Monitoring Reader on the server and the lake's account, nothing else.
	server := named(t, r, "azure-native:dbforpostgresql/v20230601preview:Server", "metadata-db-server")
	var scopes []string
	for _, ra := range resourcesOf(r, "azure-native:authorization:RoleAssignment") {
		if !strings.HasPrefix(ra.Name, "grafana-monitoring-reader-") {
			continue
		}
		if !r.Mocks.DependsOn(ra, uai) {
			t.Errorf("%s does not name Grafana's identity", ra.Name)
		}
		if preview {
			continue
		}
		if role := inspect.Str(ra.Inputs, "roleDefinitionId"); !strings.HasSuffix(role, "/providers/Microsoft.Authorization/roleDefinitions/43d0d8ad-25c7-4714-9337-8ba259a9fe05") {
			t.Errorf("%s grants %s; want Monitoring Reader", ra.Name, role)
		}
		scopes = append(scopes, inspect.Str(ra.Inputs, "scope"))
	}
	if !preview {
		serverID := server.ID
		if len(scopes) != 2 || !strings.EqualFold(scopes[0], serverID) || !strings.Contains(scopes[1], "/providers/Microsoft.Storage/storageAccounts/") {
			t.Errorf("Monitoring Reader scopes %v; want the server %s and the lake's account", scopes, serverID)
		}
	}

	// The enhanced metrics the dashboard reads.
	param := named(t, r, "azure-native:dbforpostgresql/v20230601preview:Configuration", "metadata-db-metrics.collector_database_activity")
	if inspect.Str(param.Inputs, "value") != "on" {
		t.Error("metrics.collector_database_activity is not on")
	}

	// Grafana's values.
	chart := named(t, r, "kubernetes:helm.sh/v4:Chart", "monitoring-chart")
	g := func(path ...any) []any { return append([]any{"values", "grafana"}, path...) }
	if !preview && inspect.Str(chart.Inputs, g("serviceAccount", "annotations", "azure.workload.identity/client-id")...) != inspect.Str(uai.Outputs, "clientId") {
		t.Error("Grafana's ServiceAccount does not name the identity's client ID")
	}
	if inspect.Str(chart.Inputs, g("podLabels", "azure.workload.identity/use")...) != "true" {
		t.Error("Grafana's pods lack the workload identity label")
	}
	if on, _ := inspect.Bool(chart.Inputs, g("grafana.ini", "azure", "workload_identity_enabled")...); !on {
		t.Error("[azure] workload_identity_enabled is not on")
	}
	if update, ok := inspect.Bool(chart.Inputs, g("grafana.ini", "plugins", "preinstall_auto_update")...); !ok || update {
		t.Error("Grafana reaches grafana.com on 443 and still auto-updates its plugins")
	}
	if disabled, ok := inspect.Bool(chart.Inputs, g("grafana.ini", "plugins", "preinstall_disabled")...); !ok || !disabled {
		t.Error("Grafana reaches grafana.com on 443 and still downloads its preinstall apps")
	}
	if inspect.Str(chart.Inputs, g("additionalDataSources", 0, "jsonData", "azureAuthType")...) != "workloadidentity" {
		t.Error("the Azure Monitor datasource does not sign in with workload identity")
	}
	uid := inspect.Str(chart.Inputs, g("additionalDataSources", 0, "uid")...)

	// The dashboard: the cited metrics on this stack's server and account, through that datasource.
	cm := named(t, r, "kubernetes:core/v1:ConfigMap", "monitoring-dashboard-dataplatform-azure-data-services")
	if preview {
		return
	}
	var doc struct {
		Panels []struct {
			Targets []struct {
				Datasource   struct{ UID string }
				AzureMonitor *struct {
					MetricName string
					Resources  []struct{ ResourceName, ResourceGroup, MetricNamespace string }
				}
				Expression string
			}
		}
	}
	if err := json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "dataplatform-azure-data-services.json")), &doc); err != nil {
		t.Fatal(err)
	}
	serverName := inspect.Str(server.Inputs, "serverName")
	account := inspect.Str(named(t, r, "azure-native:storage:StorageAccount", "object-store-account").Inputs, "accountName")
	want := map[string]string{
		"active_connections": serverName, "xact_commit": serverName, "blks_hit": serverName, "blks_read": serverName,
		"Transactions": account, "Ingress": account, "Egress": account, "Availability": account,
	}
	seen := map[string]bool{}
	ratio := false
	for _, p := range doc.Panels {
		for _, tg := range p.Targets {
			if tg.AzureMonitor == nil {
				ratio = ratio || strings.Contains(tg.Expression, "$HIT")
				continue
			}
			if tg.Datasource.UID != uid {
				t.Errorf("%s queries datasource %q; Grafana has %q", tg.AzureMonitor.MetricName, tg.Datasource.UID, uid)
			}
			res := tg.AzureMonitor.Resources[0]
			if w, ok := want[tg.AzureMonitor.MetricName]; ok && res.ResourceName != w {
				t.Errorf("%s on %q; want %q", tg.AzureMonitor.MetricName, res.ResourceName, w)
			}
			if res.ResourceGroup != inspect.Str(server.Inputs, "resourceGroupName") {
				t.Errorf("%s in resource group %q", tg.AzureMonitor.MetricName, res.ResourceGroup)
			}
			seen[tg.AzureMonitor.MetricName] = true
		}
	}
	for m := range want {
		if !seen[m] {
			t.Errorf("no panel queries %s", m)
		}
	}
	if !ratio {
		t.Error("no cache hit ratio expression")
	}
}

// TestAzureGrafanaOffWithObservability: observability.enabled false on azure leaves no identity, no
// grant, no dashboard and the server parameter at its default.
func TestAzureGrafanaOffWithObservability(t *testing.T) {
	for _, preview := range []bool{false, true} {
		r := plan(t, "dev", "azure", preview, `dataplatform:observability={"enabled": false}`)
		for _, fic := range resourcesOf(r, "azure-native:managedidentity:FederatedIdentityCredential") {
			if strings.HasSuffix(inspect.Str(fic.Inputs, "subject"), ":monitoring:grafana") {
				t.Error("observability off: Grafana's federated credential")
			}
		}
		if len(resourcesOf(r, "dataplatform:azure:GrafanaIdentity")) != 0 || hasConfigMap(r, "monitoring-dashboard-dataplatform-azure-data-services") {
			t.Error("observability off: Grafana's identity or dashboard")
		}
		for _, ra := range resourcesOf(r, "azure-native:authorization:RoleAssignment") {
			if strings.HasPrefix(ra.Name, "grafana-monitoring-reader-") {
				t.Errorf("observability off: %s", ra.Name)
			}
		}
		for _, c := range resourcesOf(r, "azure-native:dbforpostgresql/v20230601preview:Configuration") {
			if inspect.Str(c.Inputs, "configurationName") == "metrics.collector_database_activity" {
				t.Error("observability off: the enhanced metrics parameter is set")
			}
		}
	}
}
