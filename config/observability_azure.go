package config

import "net/url"

// The observability model is rendered on azure (stacks/observability_azure.go): kube-prometheus-stack
// in the AKS cluster (metrics, the platform's Prometheus rules, Grafana behind the edge,
// Alertmanager), Azure Monitor metric alerts on the managed services sent to an action group, and
// Container Insights shipping the containers' logs to the stack's Log Analytics workspace
// (components/observability/azmon). It is on by default there, like aws: every resource it creates
// can be created on a fresh subscription in the first `up` (metric alerts on platform metrics need
// no data first, unlike gcp's PromQL policies).
func init() { observabilityTargets[Azure] = true }

// observabilityAzure checks what azure adds to the kubernetes settings:
//   - logsRetentionDays is the retention of ContainerLogV2, the containers' log table: default the
//     workspace's own (network.flowLogRetentionDays, which components/cluster/aks gives the
//     workspace); 4–730 (pulumi-azure-native operationalinsights@v2.90.0 table.go RetentionInDays
//     "between 4 and 730"). logsLocation is gcp's.
//   - the receiver is Alertmanager's, checked as on kubernetes (the Prometheus rules: email through
//     the SMTP relay, or credential's webhook, posted Alertmanager's webhook JSON), and the action
//     group's (the Azure Monitor alerts): email to `to`, and receiver.azureWebhook when set — a
//     separate URL, because the action group posts Azure Monitor's common alert schema, which an
//     Alertmanager webhook bridge does not parse (and the reverse). https only: it carries a token.
func (v *validator) observabilityAzure() {
	o := &v.p.Observability
	if o.LogsRetentionDays == 0 {
		// The table's floor is 4 days; flow logs may be kept for less.
		o.LogsRetentionDays = max(4, v.p.Network.FlowLogRetentionDays)
	}
	if o.LogsRetentionDays < 4 || o.LogsRetentionDays > 730 {
		v.add("observability.logsRetentionDays", o.LogsRetentionDays, "an integer from 4 to 730: the retention of the ContainerLogV2 table on azure (0: the workspace's, network.flowLogRetentionDays)")
	}
	if o.LogsLocation != "" {
		v.add("observability.logsLocation", o.LogsLocation, "unset on azure: the logs stay in the stack's Log Analytics workspace, in its region")
	}
	if w := o.Receiver.AzureWebhook; w != "" {
		if u, err := url.Parse(w); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("observability.receiver.azureWebhook", "<secret>", "the https:// URL the Azure Monitor action group posts its alerts to (common alert schema), set with `pulumi config set --secret --path 'dataplatform:observability.receiver.azureWebhook'`")
		}
	}
}
