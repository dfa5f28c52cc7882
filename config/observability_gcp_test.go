package config

import (
	"strings"
	"testing"
)

func gcpObservability(value string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "my-project-123"}
	if value != "" {
		v["dataplatform:observability"] = value
	}
	return v
}

// TestObservabilityOnGCPByDefault: the model is rendered on GCP, so it is on there in every
// environment, with the _Default log bucket's retention from the environment (never below Cloud
// Logging's own 30 days: the bucket is the whole project's).
func TestObservabilityOnGCPByDefault(t *testing.T) {
	for env, days := range map[string]int{"dev": 30, "staging": 30, "prod": 90} {
		p, err := parse(t, env, gcpObservability(""))
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if !p.Observability.On() || p.Observability.LogsRetentionDays != days {
			t.Errorf("%s: on = %v, logs %d days; want on, %d days", env, p.Observability.On(), p.Observability.LogsRetentionDays, days)
		}
	}
	p, err := parse(t, "dev", gcpObservability(`{"logsRetentionDays": 400}`))
	if err != nil || p.Observability.LogsRetentionDays != 400 {
		t.Errorf("logsRetentionDays 400: got %v, %v", p, err)
	}
}

// TestObservabilityReceiverOnGCP: Cloud Monitoring delivers the alerts: email needs only `to` and
// refuses the SMTP fields; a webhook needs an https URL (never echoed); retention is bounded.
func TestObservabilityReceiverOnGCP(t *testing.T) {
	cases := []struct{ name, value, wantKey string }{
		{"email", `{"receiver": {"kind": "email", "to": "ops@example.com"}}`, ""},
		{"webhook", `{"receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0KEN-xyz"}}`, ""},
		{"off", `{"enabled": false}`, ""},
		{"email with relay", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587"}}`, "dataplatform:observability.receiver.smarthost"},
		{"email with password", `{"receiver": {"kind": "email", "to": "ops@example.com", "credential": "pw"}}`, "dataplatform:observability.receiver.credential"},
		{"email to", `{"receiver": {"kind": "email", "to": "ops"}}`, "dataplatform:observability.receiver.to"},
		{"http webhook", `{"receiver": {"kind": "webhook", "credential": "http://hooks.example.com/T0KEN-xyz"}}`, "dataplatform:observability.receiver.credential"},
		{"webhook with to", `{"receiver": {"kind": "webhook", "credential": "https://h.example.com/x", "to": "ops@example.com"}}`, "dataplatform:observability.receiver.to"},
		{"kind", `{"receiver": {"kind": "sms"}}`, "dataplatform:observability.receiver.kind"},
		{"logs retention", `{"logsRetentionDays": 4000}`, "dataplatform:observability.logsRetentionDays"},
		{"docs", `{"docsBaseUrl": "http://x"}`, "dataplatform:observability.docsBaseUrl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "prod", gcpObservability(c.value))
			if c.wantKey == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want a problem at %s, got none", c.wantKey)
			}
			found := false
			for _, pr := range err.Problems {
				found = found || pr.Key == c.wantKey
			}
			if !found {
				t.Errorf("want a problem at %s; got %v", c.wantKey, strings.TrimSpace(err.Error()))
			}
			if strings.Contains(err.Error(), "T0KEN-xyz") {
				t.Errorf("the error echoes the secret: %v", err)
			}
		})
	}
}
