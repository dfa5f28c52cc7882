package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestObservabilityOnAzure (issue 12): every azure plan renders the model on azure — kube-prometheus-
// stack in the cluster (pinned chart, profile retention, the standard storage class, requests and
// limits) scraping Dremio's coordinator and executors and cert-manager, each admitted by a
// NetworkPolicy on its metrics port only; the platform's rules without the CloudNativePG and MinIO
// ones, Grafana's route beside it under the domain (admitted from AGC's subnet when AGC serves it);
// Azure Monitor metric alerts on the Flexible Server and the lake's account sent to an action group;
// Container Insights (the monitoring add-on with managed identity, the data collection rule with
// ContainerLogV2, its association with the cluster, ContainerLogV2's retention). No other target has
// the Azure half.
func TestObservabilityOnAzure(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		azure := resourcesOf(r, "dataplatform:azure:Observability")
		if target != "azure" {
			if len(azure)+len(resourcesOf(r, "azure-native:insights:MetricAlert")) != 0 {
				t.Errorf("%s renders the Azure observability", target)
			}
			return
		}
		if len(azure) != 1 || len(resourcesOf(r, "dataplatform:clusteraddons:KubePrometheusStack")) != 1 {
			t.Fatalf("%d Azure observability components, %d monitoring stacks; want 1 and 1", len(azure), len(resourcesOf(r, "dataplatform:clusteraddons:KubePrometheusStack")))
		}

		// The in-cluster half.
		chart := named(t, r, "kubernetes:helm.sh/v4:Chart", "monitoring-chart")
		if v := inspect.Str(chart.Inputs, "version"); v != "88.5.3" {
			t.Errorf("kube-prometheus-stack %s; want the pinned 88.5.3", v)
		}
		prom := inspect.Obj(inspect.At(chart.Inputs, "values", "prometheus", "prometheusSpec"))
		if got, want := inspect.Str(prom, "retention"), map[string]string{"dev": "7d", "staging": "15d", "prod": "30d"}[stack]; got != want {
			t.Errorf("retention %q; want %q", got, want)
		}
		if sc := inspect.Str(prom, "storageSpec", "volumeClaimTemplate", "spec", "storageClassName"); sc != r.Platform.Cluster.StorageClasses.Standard {
			t.Errorf("Prometheus volume on %q; want AKS's standard class %q", sc, r.Platform.Cluster.StorageClasses.Standard)
		}
		if inspect.Str(prom, "resources", "limits", "memory") == "" || inspect.Str(prom, "resources", "requests", "cpu") == "" {
			t.Error("Prometheus has no requests and limits")
		}
		apps := r.Platform.Network.Namespaces.Apps
		want := map[string]struct {
			ns   string
			port float64
		}{"dremio-coordinator": {apps, 9091}, "dremio-executor": {apps, 9091}}
		if r.Platform.Edge.On() {
			want["cert-manager"] = struct {
				ns   string
				port float64
			}{"cert-manager", 9402}
		}
		for _, pm := range resourcesOf(r, "kubernetes:monitoring.coreos.com/v1:PodMonitor") {
			if strings.Contains(pm.Name, "metadata-db") || strings.Contains(pm.Name, "object-store") {
				t.Errorf("PodMonitor %s: the database and the lake are Azure's services, watched by Azure Monitor", pm.Name)
			}
		}
		for name, w := range want {
			pm := named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-"+name+"-podmonitor")
			if got := inspect.Str(pm.Inputs, "metadata", "namespace"); got != w.ns {
				t.Errorf("PodMonitor %s in %q; want %q", name, got, w.ns)
			}
			np := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-"+name+"-allow-prometheus")
			if got := inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"); got != w.port || inspect.Len(np.Inputs, "spec", "ingress", 0, "ports") != 1 {
				t.Errorf("%s: Prometheus admitted on %v; want %v only", name, got, w.port)
			}
		}
		rules := named(t, r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
		var alerts []string
		for _, rule := range inspect.Arr(inspect.At(rules.Inputs, "spec", "groups", 0, "rules")) {
			alerts = append(alerts, inspect.Str(inspect.Obj(rule), "alert")+" "+inspect.Str(inspect.Obj(rule), "expr"))
		}
		all := strings.Join(alerts, "\n")
		for _, a := range []string{"PlatformTargetDown", "DremioQueryFailures", "DremioExecutorLost", "AirbyteSyncPodsFailing", "PodCrashLooping", "VolumeFillingUp"} {
			if !strings.Contains(all, a+" ") {
				t.Errorf("rule %s missing on azure", a)
			}
		}
		for _, absent := range []string{"cnpg_", "minio_", "barman_"} {
			if strings.Contains(all, absent) {
				t.Errorf("the rules name %s, which nothing scrapes on azure (Azure Monitor watches the database and the lake)", absent)
			}
		}
		// PostgresBackupMissing on azure is the backup probe's (tests/azbackup_test.go), not CloudNativePG's.
		if !strings.Contains(all, "PostgresBackupMissing time() - max(azure_pg_flexible_") {
			t.Errorf("PostgresBackupMissing on azure does not read the Flexible Server backup probe")
		}
		named(t, r, "kubernetes:core/v1:ConfigMap", "monitoring-dashboard-dataplatform-dremio")
		named(t, r, "kubernetes:core/v1:ConfigMap", "monitoring-dashboard-dataplatform-volumes")
		if len(resourcesOf(r, "kubernetes:core/v1:ConfigMap")) > 0 && hasConfigMap(r, "monitoring-dashboard-dataplatform-postgres") {
			t.Error("the CloudNativePG dashboard on azure")
		}
		if r.Platform.Edge.On() {
			host := "grafana." + r.Platform.Domain
			found := false
			for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
				if strings.Join(inspect.Strs(hr.Inputs, "spec", "hostnames"), ",") == host && inspect.Str(hr.Inputs, "metadata", "namespace") == "monitoring" {
					found = true
					if !r.Mocks.DependsOn(hr, named(t, r, "kubernetes:core/v1:Namespace", "monitoring-namespace")) {
						t.Error("Grafana's HTTPRoute does not wait for the monitoring namespace")
					}
				}
			}
			if !found {
				t.Errorf("no HTTPRoute for %s beside Grafana", host)
			}
			edgeNP := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-allow-edge")
			if agc := len(resourcesOf(r, "dataplatform:edge:AGCEdge")) > 0; agc != (inspect.Len(edgeNP.Inputs, "spec", "ingress", 0, "from") == 2) {
				t.Errorf("AGC edge %v, but Grafana admits %d sources (want the AGC subnet beside the edge namespace exactly with AGC)", agc, inspect.Len(edgeNP.Inputs, "spec", "ingress", 0, "from"))
			}
		}

		// The Azure Monitor half.
		ag := named(t, r, "azure-native:insights:ActionGroup", "azure-monitor-action-group")
		if inspect.Str(ag.Inputs, "location") != "Global" {
			t.Error("the action group is not global")
		}
		metricAlerts := resourcesOf(r, "azure-native:insights:MetricAlert")
		if len(metricAlerts) != 8 {
			t.Errorf("%d metric alerts; want 6 on the database and 2 on the lake", len(metricAlerts))
		}
		server := named(t, r, "azure-native:dbforpostgresql/v20230601preview:Server", "metadata-db-server")
		for _, al := range metricAlerts {
			ns := inspect.Str(al.Inputs, "criteria", "allOf", 0, "metricNamespace")
			scope := strings.Join(inspect.Strs(al.Inputs, "scopes"), ",")
			// The storage account's ID is built here from its name; the server's is its own output (the
			// mock's IDs for it say "servers"; the dependency below is what holds).
			if ns == "Microsoft.Storage/storageAccounts" && !preview && !strings.Contains(scope, "/providers/"+ns+"/") {
				t.Errorf("%s: scope %s is not a %s", al.Name, scope, ns)
			}
			if ns == "Microsoft.DBforPostgreSQL/flexibleServers" && !inspect.DependsOnInput(al, "scopes", server) {
				t.Errorf("%s: scope %s is not the stack's server's ID", al.Name, scope)
			}
			if auto, _ := inspect.Bool(al.Inputs, "autoMitigate"); !auto || !strings.Contains(inspect.Str(al.Inputs, "description"), "docs/runbook-alerts-azure.md#") {
				t.Errorf("%s: not self-resolving with a runbook link", al.Name)
			}
			if !r.Mocks.DependsOn(al, ag) {
				t.Errorf("%s does not send to the action group", al.Name)
			}
		}
		mc := resourcesOf(r, "azure-native:containerservice/v20240901:ManagedCluster")[0]
		if on, _ := inspect.Bool(mc.Inputs, "addonProfiles", "omsagent", "enabled"); !on || inspect.Str(mc.Inputs, "addonProfiles", "omsagent", "config", "useAADAuth") != "true" {
			t.Error("the monitoring add-on is not on with managed-identity auth")
		}
		dcr := named(t, r, "azure-native:insights:DataCollectionRule", "azure-monitor-container-insights")
		if !strings.Contains(strings.Join(inspect.Strs(dcr.Inputs, "dataSources", "extensions", 0, "streams"), ","), "Microsoft-ContainerLogV2") {
			t.Error("Container Insights does not collect ContainerLogV2")
		}
		dcra := named(t, r, "azure-native:insights:DataCollectionRuleAssociation", "azure-monitor-container-insights-association")
		if !r.Mocks.DependsOn(dcra, mc) || !r.Mocks.DependsOn(dcra, dcr) {
			t.Error("the rule is not associated with the cluster")
		}
		if len(resourcesOf(r, "azure-native:operationalinsights:Table")) != 0 {
			t.Error("an operationalinsights:Table: a predefined table cannot be created")
		}
		retention := named(t, r, "azure-native:resources:Deployment", "azure-monitor-container-log-v2-retention")
		if got, want := inspect.Num(retention.Inputs, "properties", "parameters", "retentionInDays", "value"), float64(r.Platform.Network.FlowLogRetentionDays); got != want {
			t.Errorf("ContainerLogV2 kept %v days; want %v (the workspace's)", got, want)
		}
	})
}

// TestObservabilityReceiverOnAzure: a webhook receiver reaches Alertmanager through the store and the
// action group as a secret; observability.enabled false leaves neither half nor the add-on.
func TestObservabilityReceiverOnAzure(t *testing.T) {
	for _, preview := range []bool{false, true} {
		r := plan(t, "prod", "azure", preview, `dataplatform:observability={"receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0/abc", "azureWebhook": "https://hooks.example.com/azure"}, "logsRetentionDays": 180}`)
		ag := named(t, r, "azure-native:insights:ActionGroup", "azure-monitor-action-group")
		if !ag.Inputs["webhookReceivers"].ContainsSecrets() || inspect.Str(ag.Inputs, "webhookReceivers", 0, "serviceUri") != "https://hooks.example.com/azure" {
			t.Error("the action group's webhook is not receiver.azureWebhook as a secret (Alertmanager's URL gets another payload)")
		}
		chart := named(t, r, "kubernetes:helm.sh/v4:Chart", "monitoring-chart")
		if !strings.Contains(inspect.Str(chart.Inputs, "values", "alertmanager", "config", "receivers", 1, "webhook_configs", 0, "url_file"), "/etc/alertmanager/secrets/") {
			t.Error("Alertmanager does not read the webhook URL from its mounted Secret")
		}
		if got := inspect.Num(named(t, r, "azure-native:resources:Deployment", "azure-monitor-container-log-v2-retention").Inputs, "properties", "parameters", "retentionInDays", "value"); got != 180 {
			t.Errorf("ContainerLogV2 kept %v days; want observability.logsRetentionDays 180", got)
		}

		r = plan(t, "dev", "azure", preview, `dataplatform:observability={"enabled": false}`)
		if n := len(resourcesOf(r, "dataplatform:azure:Observability")) + len(resourcesOf(r, "dataplatform:clusteraddons:KubePrometheusStack")); n != 0 {
			t.Errorf("observability off: %d monitoring components", n)
		}
		mc := resourcesOf(r, "azure-native:containerservice/v20240901:ManagedCluster")[0]
		if inspect.Has(mc.Inputs, "addonProfiles") {
			t.Error("observability off: the monitoring add-on is on")
		}
	}
}

func hasConfigMap(r *planner.Result, name string) bool {
	for _, cm := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
		if cm.Name == name {
			return true
		}
	}
	return false
}
