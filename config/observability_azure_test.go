package config

import (
	"strings"
	"testing"
)

func azureObservability(value string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "azure", "dataplatform:region": "swedencentral"}
	if value != "" {
		v["dataplatform:observability"] = value
	}
	return v
}

// TestObservabilityOnAzure: on by default in every environment, ContainerLogV2 kept as long as the
// workspace keeps its logs unless logsRetentionDays says otherwise.
func TestObservabilityOnAzure(t *testing.T) {
	for env, days := range map[string]int{"dev": 30, "staging": 30, "prod": 90} {
		p, err := parse(t, env, azureObservability(""))
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if o := p.Observability; !o.On() || o.LogsRetentionDays != days || o.LogsRetentionDays != p.Network.FlowLogRetentionDays {
			t.Errorf("%s: on = %v, logs %d days; want on, %d (the workspace's)", env, o.On(), o.LogsRetentionDays, days)
		}
	}
	p, err := parse(t, "dev", azureObservability(`{"logsRetentionDays": 180}`))
	if err != nil || p.Observability.LogsRetentionDays != 180 {
		t.Errorf("logsRetentionDays 180: got %+v, %v", p.Observability, err)
	}
	v := azureObservability("")
	v["dataplatform:network"] = `{"flowLogRetentionDays": 2}`
	if p, err = parse(t, "dev", v); err != nil || p.Observability.LogsRetentionDays != 4 {
		t.Errorf("flow logs 2 days: logs %v, %v; want the table's floor, 4", p, err)
	}
	p, err = parse(t, "dev", azureObservability(`{"enabled": false}`))
	if err != nil || p.Observability.On() {
		t.Errorf("enabled false: on = %v, %v", p != nil && p.Observability.On(), err)
	}
}

// TestObservabilityAzureValidation: each bad value is reported under its key, the secret never echoed.
func TestObservabilityAzureValidation(t *testing.T) {
	cases := []struct{ name, value, wantKey string }{
		{"valid email", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587"}}`, ""},
		{"valid webhook", `{"receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0/abc"}}`, ""},
		{"http webhook for Alertmanager", `{"receiver": {"kind": "webhook", "credential": "http://hooks.example.com/T0/abc"}}`, ""},
		{"azure webhook", `{"receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0/abc", "azureWebhook": "https://hooks.example.com/azure"}}`, ""},
		{"http azure webhook", `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "azureWebhook": "http://hooks.example.com/azure"}}`, "dataplatform:observability.receiver.azureWebhook"},
		{"email without relay", `{"receiver": {"kind": "email", "to": "ops@example.com"}}`, "dataplatform:observability.receiver.smarthost"},
		{"retention too short", `{"logsRetentionDays": 3}`, "dataplatform:observability.logsRetentionDays"},
		{"retention too long", `{"logsRetentionDays": 731}`, "dataplatform:observability.logsRetentionDays"},
		{"location", `{"logsLocation": "westeurope"}`, "dataplatform:observability.logsLocation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "dev", azureObservability(c.value))
			expectProblem(t, err, c.wantKey, true, "hooks.example.com")
		})
	}
}

// TestAzureWebhookElsewhere: receiver.azureWebhook is refused on the other targets.
func TestAzureWebhookElsewhere(t *testing.T) {
	for _, cloud := range []string{"kubernetes", "aws"} {
		_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": cloud,
			"dataplatform:observability": `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "azureWebhook": "https://hooks.example.com/azure"}}`})
		if err == nil || !strings.Contains(err.Error(), "observability.receiver.azureWebhook") || strings.Contains(err.Error(), "hooks.example.com") {
			t.Errorf("%s: %v; want azureWebhook refused, the URL not echoed", cloud, err)
		}
	}
}
