package config

import (
	"strings"
	"testing"
)

// TestObservabilityDefaults: on where it is rendered (kubernetes), retention and volume from the
// environment, no receiver; off on the clouds.
func TestObservabilityDefaults(t *testing.T) {
	for env, want := range map[string][2]int{"dev": {7, 20}, "staging": {15, 50}, "prod": {30, 100}} {
		p, err := parse(t, env, map[string]string{"dataplatform:cloud": "kubernetes"})
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		o := p.Observability
		if !o.On() || o.MetricsRetentionDays != want[0] || o.PrometheusStorageGiB != want[1] || o.Receiver != (Receiver{}) {
			t.Errorf("%s: observability = %+v; want on, %d days, %d GiB, no receiver", env, o, want[0], want[1])
		}
	}
	// gcp renders the model now (config/observability_gcp_test.go), and azure on by default
	// (config/observability_azure_test.go).
	p, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "azure", "dataplatform:region": "swedencentral"})
	if err != nil || !p.Observability.On() {
		t.Errorf("azure: on = %v, err %v; want on by default now that azure has its rendering", p != nil && p.Observability.On(), err)
	}
}

// TestObservabilityValidation: each bad value is reported under its key before anything is built.
func TestObservabilityValidation(t *testing.T) {
	cases := []struct {
		name, cloud, value, wantKey string
	}{
		{"valid email", "kubernetes", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "username": "am", "credential": "s3cret", "passwordSecret": {"name": "smtp", "key": "password"}}}`, ""},
		{"valid webhook", "kubernetes", `{"receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0/abc", "urlSecret": {"name": "alert-hook", "key": "url"}}, "metricsRetentionDays": 90}`, ""},
		{"off on kubernetes", "kubernetes", `{"enabled": false}`, ""},
		{"on azure", "azure", `{"enabled": true}`, ""},
		{"retention", "kubernetes", `{"metricsRetentionDays": 1000}`, "dataplatform:observability.metricsRetentionDays"},
		{"volume", "kubernetes", `{"prometheusStorageGiB": 5}`, "dataplatform:observability.prometheusStorageGiB"},
		{"kind", "kubernetes", `{"receiver": {"kind": "sms"}}`, "dataplatform:observability.receiver.kind"},
		{"fields without kind", "kubernetes", `{"receiver": {"to": "ops@example.com"}}`, "dataplatform:observability.receiver.kind"},
		{"email to", "kubernetes", `{"receiver": {"kind": "email", "to": "ops", "from": "am@example.com", "smarthost": "smtp.example.com:587"}}`, "dataplatform:observability.receiver.to"},
		{"email relay", "kubernetes", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com"}}`, "dataplatform:observability.receiver.smarthost"},
		{"email password without user", "kubernetes", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "passwordSecret": {"name": "smtp", "key": "p"}}}`, "dataplatform:observability.receiver.username"},
		{"email user without password", "kubernetes", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "username": "am"}}`, "dataplatform:observability.receiver.credential"},
		{"webhook without url", "kubernetes", `{"receiver": {"kind": "webhook"}}`, "dataplatform:observability.receiver.credential"},
		{"webhook with email field", "kubernetes", `{"receiver": {"kind": "webhook", "credential": "https://h.example.com/x", "urlSecret": {"name": "h", "key": "url"}, "to": "ops@example.com"}}`, "dataplatform:observability.receiver.to"},
		{"unknown field", "kubernetes", `{"retentionDays": 3}`, "dataplatform:observability.retentionDays"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := map[string]string{"dataplatform:cloud": c.cloud, "dataplatform:observability": c.value}
			if c.cloud == "gcp" {
				v["dataplatform:gcpProject"] = "my-project-123"
			}
			if c.cloud == "azure" {
				v["dataplatform:region"] = "swedencentral"
			}
			_, err := parse(t, "dev", v)
			expectProblem(t, err, c.wantKey, true, "")
		})
	}
}

// expectProblem checks a table case's parse result: valid when wantKey is empty, else a problem at
// wantKey (with its allowed values when withAllowed), and an error that does not echo secret.
func expectProblem(t *testing.T, err *Error, wantKey string, withAllowed bool, secret string) {
	t.Helper()
	if wantKey == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want a problem at %s, got none", wantKey)
	}
	found := false
	for _, pr := range err.Problems {
		found = found || (pr.Key == wantKey && (!withAllowed || pr.Allowed != ""))
	}
	if !found {
		t.Errorf("want a problem at %s; got %v", wantKey, strings.TrimSpace(err.Error()))
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("the error echoes the secret %q: %v", secret, err)
	}
}
