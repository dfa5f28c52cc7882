package config

// The observability model is rendered on AWS (components/observability/amp): Amazon Managed Service
// for Prometheus, CloudWatch alarms and Container Insights. It is on by default there.
func init() { observabilityTargets[AWS] = true }

// observabilityAWS checks the receiver as SNS delivers it: an "email" subscription mails `to` from
// SNS's own sender (no SMTP relay, sender or password of ours), an "https" subscription posts to the
// webhook URL, which must confirm the subscription (SNS developer guide SendMessageToHttp.prepare).
func (v *validator) observabilityAWS() {
	v.managedReceiver("aws", "Amazon SNS", " (SNS asks it to confirm the subscription)", "; the endpoint must confirm the SNS subscription")
}
