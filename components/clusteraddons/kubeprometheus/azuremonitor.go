package kubeprometheus

import (
	"fmt"
	"regexp"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// AzureMonitor gives Grafana (on AKS) Grafana's built-in Azure Monitor datasource, signed in with
// AKS workload identity, and dashboards that query it.
//
// Wiring, each value checked at the versions the chart runs (kube-prometheus-stack 88.5.3 →
// grafana-community/helm-charts grafana 12.11.1 @864f779, appVersion 13.2.0):
//   - grafana.serviceAccount.annotations → the ServiceAccount's metadata.annotations
//     (charts/grafana/templates/serviceaccount.yaml; the chart creates it, named after the fullname
//     "grafana": templates/_helpers.tpl grafana.serviceAccountName), carrying
//     azure.workload.identity/client-id; grafana.podLabels → the pod template's labels
//     (templates/deployment.yaml), carrying azure.workload.identity/use: "true", which makes the AKS
//     workload identity webhook project a token and inject AZURE_CLIENT_ID, AZURE_TENANT_ID,
//     AZURE_AUTHORITY_HOST and AZURE_FEDERATED_TOKEN_FILE (Azure/azure-workload-identity v1.6.0
//     pkg/webhook/consts.go, webhook.go).
//   - grafana.ini [azure] workload_identity_enabled = true (grafana/grafana pkg/setting/
//     setting_azure.go readAzureSettings). Tenant, client and token file are left unset: the
//     token retriever then builds azidentity's WorkloadIdentityCredential with empty options, which
//     reads the webhook's AZURE_* variables (grafana-azure-sdk-go aztokenprovider/
//     retriever_workloadidentity.go Init), so the path the webhook picks (it changed between v1.5 and
//     v1.6) is never hard-coded.
//   - grafana.additionalDataSources → kube-prometheus-stack's datasource ConfigMap read by the
//     sidecar (templates/grafana/configmaps-datasources.yaml), Grafana's provisioning format: type
//     grafana-azure-monitor-datasource, jsonData.azureAuthType "workloadidentity"
//     (grafana-azure-sdk-go azcredentials/credentials.go AzureAuthWorkloadIdentity, read by
//     pkg/tsdb/azuremonitor credentials FromDatasourceData) and jsonData.subscriptionId, the
//     default subscription of the query editor.
//   - egress: Grafana reaches Microsoft Entra ID (login.microsoftonline.com) to exchange the token
//     and Azure Resource Manager (management.azure.com) for metrics, both on 443 at addresses a
//     NetworkPolicy cannot name (azureMonitorEgress); with grafana.com reachable too, plugin
//     auto-updates are turned off ([plugins] preinstall_auto_update = false).
//   - ARM reads: each metrics query is followed by GET /subscriptions/<id> for the legend's
//     subscription name (grafana/grafana pkg/tsdb/azuremonitor/metrics/azuremonitor-datasource.go
//     executeQuery → retrieveSubscriptionDetails; a non-2xx fails the panel). The identity holds
//     Monitoring Reader on the watched resources only; ARM answers that read for a principal with
//     any role assignment inside the subscription — not verified on a live subscription
//     (docs/observability-azure-grafana.md says what to grant if it is refused).
type AzureMonitor struct {
	// ClientID is the managed identity Grafana signs in as (federated with the ServiceAccount
	// Namespace/GrafanaServiceAccount); required.
	ClientID pulumi.StringInput
	// SubscriptionID is the datasource's default subscription; required.
	SubscriptionID pulumi.StringInput
	// Dashboards are Grafana dashboards (JSON) querying the datasource (uid AzureMonitorDatasourceUID),
	// each a ConfigMap the dashboards sidecar loads.
	Dashboards []RawDashboard
}

// RawDashboard is a dashboard written as Grafana JSON.
type RawDashboard struct {
	// UID names the ConfigMap ("dashboard-<UID>") and its key; lower-case letters, digits and '-'.
	UID  string
	JSON pulumi.StringInput
}

// AzureMonitorDatasourceUID is the provisioned Azure Monitor datasource's uid.
const AzureMonitorDatasourceUID = "azure-monitor"

// GrafanaServiceAccount is the ServiceAccount the grafana sub-chart creates (its fullname,
// grafana.fullnameOverride): the subject a federated credential trusts.
const GrafanaServiceAccount = GrafanaService

// Workload identity conventions of AKS (Azure/azure-workload-identity v1.6.0 pkg/webhook).
const (
	workloadIdentityUseLabel    = "azure.workload.identity/use"
	workloadIdentityClientIDKey = "azure.workload.identity/client-id"
)

var rawUIDRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$`)

func (m *AzureMonitor) validate() error {
	if m.ClientID == nil || m.SubscriptionID == nil {
		return fmt.Errorf("kubeprometheus: AzureMonitor needs ClientID and SubscriptionID")
	}
	seen := map[string]bool{}
	for i, d := range m.Dashboards {
		if !rawUIDRE.MatchString(d.UID) || seen[d.UID] || d.JSON == nil {
			return fmt.Errorf("kubeprometheus: AzureMonitor.Dashboards[%d] = %q: a unique uid (lower-case letters, digits and '-', at most 40) and its JSON", i, d.UID)
		}
		seen[d.UID] = true
	}
	return nil
}

// azureMonitorValues adds the datasource, the workload identity and the [azure] setting to
// Grafana's values (g, the chart's "grafana" section).
func azureMonitorValues(m *AzureMonitor, g pulumi.Map) {
	if m == nil {
		return
	}
	g["serviceAccount"] = pulumi.Map{
		"create": pulumi.Bool(true), "autoMount": pulumi.Bool(true), // kube-prometheus-stack's own defaults, restated
		"annotations": pulumi.StringMap{workloadIdentityClientIDKey: m.ClientID},
	}
	g["podLabels"] = pulumi.StringMap{workloadIdentityUseLabel: pulumi.String("true")}
	ini, _ := g["grafana.ini"].(pulumi.Map)
	if ini == nil {
		ini = pulumi.Map{}
		g["grafana.ini"] = ini
	}
	ini["azure"] = pulumi.Map{"workload_identity_enabled": pulumi.Bool(true)}
	// The egress below opens 443 to any address, grafana.com included. From Grafana 13.2 the data
	// sources are preinstalled standalone plugins that Grafana updates to the catalog's latest
	// version on every start unless [plugins] preinstall_auto_update = false (Grafana docs v13.2
	// datasources/prometheus "Plugin updates"), and the default preinstall apps (pkg/setting/
	// setting_plugins.go defaultPreinstallPlugins: lokiexplore, pyroscope, exploretraces,
	// metricsdrilldown — not in the image) are downloaded at each start (persistence is off) unless
	// preinstall_disabled = true. Both off: only the pinned image's bundled plugins run, and a
	// restart never brings unpinned code.
	plugins, _ := ini["plugins"].(pulumi.Map)
	if plugins == nil {
		plugins = pulumi.Map{}
		ini["plugins"] = plugins
	}
	plugins["preinstall_auto_update"] = pulumi.Bool(false)
	plugins["preinstall_disabled"] = pulumi.Bool(true)
	ds := pulumi.Map{
		"name": pulumi.String("Azure Monitor"), "type": pulumi.String("grafana-azure-monitor-datasource"),
		"uid": pulumi.String(AzureMonitorDatasourceUID), "access": pulumi.String("proxy"), "editable": pulumi.Bool(false),
		"jsonData": pulumi.Map{"azureAuthType": pulumi.String("workloadidentity"), "subscriptionId": m.SubscriptionID},
	}
	// Another datasource helper may have added its own: keep them.
	existing, _ := g["additionalDataSources"].(pulumi.Array)
	g["additionalDataSources"] = append(existing, ds)
}

// azureMonitorPolicy is Grafana's egress to Entra ID and ARM, which the chart waits for (nil without
// AzureMonitor).
func azureMonitorPolicy(ctx *pulumi.Context, name string, m *AzureMonitor, ns pulumi.StringOutput, labels pulumi.StringMap, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	if m == nil {
		return nil, nil
	}
	return createPolicies(ctx, name, []policy{azureMonitorEgress()}, ns, labels, child)
}

// azureMonitorDashboards create the dashboards' ConfigMaps.
func azureMonitorDashboards(ctx *pulumi.Context, name string, m *AzureMonitor, ns pulumi.StringOutput, labels pulumi.StringMap, child, after pulumi.ResourceOption) error {
	if m == nil {
		return nil
	}
	for _, d := range m.Dashboards {
		l := pulumi.StringMap{DashboardLabel: pulumi.String("1")}
		for k, v := range labels {
			l[k] = v
		}
		if _, err := corev1.NewConfigMap(ctx, name+"-dashboard-"+d.UID, &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("dashboard-" + d.UID), Namespace: ns, Labels: l},
			Data:     pulumi.StringMap{d.UID + ".json": d.JSON},
		}, child, after); err != nil {
			return err
		}
	}
	return nil
}

// azureMonitorEgress lets Grafana's pods reach 443 at any address: Entra ID's token endpoint and
// ARM's metrics API are public names with changing addresses (a NetworkPolicy selects addresses,
// not names). Grafana's pods carry app.kubernetes.io/name=grafana (the sub-chart's
// grafana.selectorLabels).
func azureMonitorEgress() policy {
	return policy{"allow-grafana-azure", "allow-grafana-azure-monitor", &networkingv1.NetworkPolicySpecArgs{
		PodSelector: podsNamed("grafana"), PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
		Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
			To: k8snet.Peers(nil, []string{"0.0.0.0/0"}), Ports: k8snet.TCPPorts(443),
		}},
	}}
}
