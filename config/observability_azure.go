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
//   - the receiver is Alertmanager's (the kubernetes rules: email through the SMTP relay, or the
//     webhook) and the action group's (the Azure Monitor alerts: email to `to`, webhook to the same
//     URL); the webhook leaves the cloud with a token in it, so it is https only.
func (v *validator) observabilityAzure() {
	o := &v.p.Observability
	if o.LogsRetentionDays == 0 {
		o.LogsRetentionDays = v.p.Network.FlowLogRetentionDays
	}
	if o.LogsRetentionDays < 4 || o.LogsRetentionDays > 730 {
		v.add("observability.logsRetentionDays", o.LogsRetentionDays, "an integer from 4 to 730: the retention of the ContainerLogV2 table on azure (0: the workspace's, network.flowLogRetentionDays)")
	}
	if o.LogsLocation != "" {
		v.add("observability.logsLocation", o.LogsLocation, "unset on azure: the logs stay in the stack's Log Analytics workspace, in its region")
	}
	if r := o.Receiver; r.Kind == ReceiverWebhook {
		if u, err := url.Parse(r.Credential); err == nil && u.Scheme == "http" {
			v.add("observability.receiver.credential", "<secret>", "an https:// webhook URL on azure: the Azure Monitor action group posts the alerts there with the URL's token")
		}
	}
}
