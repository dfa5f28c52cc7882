package config

import (
	"testing"
)

// TestObservabilityOnAWSByDefault: the model is rendered on AWS, so it is on there in every
// environment, with the environment's metric retention.
func TestObservabilityOnAWSByDefault(t *testing.T) {
	for env, days := range map[string]int{"dev": 7, "staging": 15, "prod": 30} {
		p, err := parse(t, env, map[string]string{"dataplatform:cloud": "aws"})
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if !p.Observability.On() || p.Observability.MetricsRetentionDays != days {
			t.Errorf("%s: on = %v, retention %d; want on, %d days", env, p.Observability.On(), p.Observability.MetricsRetentionDays, days)
		}
	}
}

// TestObservabilityReceiverOnAWS: SNS delivers the alerts: email needs only `to` and refuses the SMTP
// fields; a webhook needs an https URL (never echoed).
func TestObservabilityReceiverOnAWS(t *testing.T) {
	cases := []struct{ name, value, wantKey string }{
		{"email", `{"receiver": {"kind": "email", "to": "ops@example.com"}}`, ""},
		{"webhook", `{"receiver": {"kind": "webhook", "credential": "https://events.pagerduty.com/integration/abc/enqueue"}}`, ""},
		{"off", `{"enabled": false}`, ""},
		{"email with relay", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587"}}`, "dataplatform:observability.receiver.smarthost"},
		{"email with password", `{"receiver": {"kind": "email", "to": "ops@example.com", "credential": "pw"}}`, "dataplatform:observability.receiver.credential"},
		{"email to", `{"receiver": {"kind": "email", "to": "ops"}}`, "dataplatform:observability.receiver.to"},
		{"http webhook", `{"receiver": {"kind": "webhook", "credential": "http://hooks.example.com/T0KEN-xyz"}}`, "dataplatform:observability.receiver.credential"},
		{"webhook with to", `{"receiver": {"kind": "webhook", "credential": "https://h.example.com/x", "to": "ops@example.com"}}`, "dataplatform:observability.receiver.to"},
		{"kind", `{"receiver": {"kind": "sms"}}`, "dataplatform:observability.receiver.kind"},
		{"retention", `{"metricsRetentionDays": 1000}`, "dataplatform:observability.metricsRetentionDays"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "prod", map[string]string{"dataplatform:cloud": "aws", "dataplatform:observability": c.value})
			expectProblem(t, err, c.wantKey, false, "T0KEN-xyz")
		})
	}
}
