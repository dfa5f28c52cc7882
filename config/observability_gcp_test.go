package config

import (
	"testing"
)

func gcpObservability(value string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "my-project-123"}
	if value != "" {
		v["dataplatform:observability"] = value
	}
	return v
}

// TestObservabilityOptInOnGCP: the model is rendered on GCP but off by default in every environment
// (a fresh project's first `up` would fail at the PromQL policies over metrics not yet written), and
// the project-wide _Default log bucket is never managed unless logsRetentionDays is set.
func TestObservabilityOptInOnGCP(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		p, err := parse(t, env, gcpObservability(""))
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if o := p.Observability; o.On() || o.LogsRetentionDays != 0 || o.LogsLocation != "" {
			t.Errorf("%s: on = %v, logs %d days in %q; want off, _Default not managed", env, o.On(), o.LogsRetentionDays, o.LogsLocation)
		}
		p, err = parse(t, env, gcpObservability(`{"enabled": true}`))
		if err != nil {
			t.Fatalf("%s enabled: %v", env, err)
		}
		if o := p.Observability; !o.On() || o.LogsRetentionDays != 0 || o.LogsLocation != "" {
			t.Errorf("%s enabled: on = %v, logs %d days in %q; want on, _Default not managed", env, o.On(), o.LogsRetentionDays, o.LogsLocation)
		}
	}
	p, err := parse(t, "dev", gcpObservability(`{"enabled": true, "logsRetentionDays": 400}`))
	if err != nil || p.Observability.LogsRetentionDays != 400 || p.Observability.LogsLocation != "global" {
		t.Errorf("logsRetentionDays 400: got %+v, %v; want 400 days in global", p.Observability, err)
	}
	p, err = parse(t, "dev", gcpObservability(`{"enabled": true, "logsRetentionDays": 60, "logsLocation": "europe-west1"}`))
	if err != nil || p.Observability.LogsLocation != "europe-west1" {
		t.Errorf("logsLocation europe-west1: got %+v, %v", p.Observability, err)
	}
}

// TestObservabilityReceiverOnGCP: Cloud Monitoring delivers the alerts: email needs only `to` and
// refuses the SMTP fields; a webhook needs an https URL (never echoed); retention is bounded.
func TestObservabilityReceiverOnGCP(t *testing.T) {
	cases := []struct{ name, value, wantKey string }{
		{"email", `{"enabled": true, "receiver": {"kind": "email", "to": "ops@example.com"}}`, ""},
		{"webhook", `{"enabled": true, "receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0KEN-xyz"}}`, ""},
		{"off", `{"enabled": false}`, ""},
		{"email with relay", `{"enabled": true, "receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587"}}`, "dataplatform:observability.receiver.smarthost"},
		{"email with password", `{"enabled": true, "receiver": {"kind": "email", "to": "ops@example.com", "credential": "pw"}}`, "dataplatform:observability.receiver.credential"},
		{"email to", `{"enabled": true, "receiver": {"kind": "email", "to": "ops"}}`, "dataplatform:observability.receiver.to"},
		{"http webhook", `{"enabled": true, "receiver": {"kind": "webhook", "credential": "http://hooks.example.com/T0KEN-xyz"}}`, "dataplatform:observability.receiver.credential"},
		{"webhook with to", `{"enabled": true, "receiver": {"kind": "webhook", "credential": "https://h.example.com/x", "to": "ops@example.com"}}`, "dataplatform:observability.receiver.to"},
		{"kind", `{"enabled": true, "receiver": {"kind": "sms"}}`, "dataplatform:observability.receiver.kind"},
		{"logs retention", `{"enabled": true, "logsRetentionDays": 4000}`, "dataplatform:observability.logsRetentionDays"},
		{"negative logs retention", `{"enabled": true, "logsRetentionDays": -1}`, "dataplatform:observability.logsRetentionDays"},
		{"logs location without retention", `{"enabled": true, "logsLocation": "europe-west1"}`, "dataplatform:observability.logsLocation"},
		{"logs location", `{"enabled": true, "logsRetentionDays": 30, "logsLocation": "Europe West"}`, "dataplatform:observability.logsLocation"},
		{"docs", `{"enabled": true, "docsBaseUrl": "http://x"}`, "dataplatform:observability.docsBaseUrl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "prod", gcpObservability(c.value))
			expectProblem(t, err, c.wantKey, false, "T0KEN-xyz")
		})
	}
}
