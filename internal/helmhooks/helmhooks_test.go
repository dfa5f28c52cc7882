package helmhooks

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestViolations: the chart's defaults break both rules; the platform's values break none; an
// unknown chart has no rules.
func TestViolations(t *testing.T) {
	assert.Len(t, Violations("kube-prometheus-stack", map[string]any{}), 2, "defaults need the hooks")
	assert.Len(t, Violations("kube-prometheus-stack", map[string]any{
		"prometheusOperator": map[string]any{"tls": map[string]any{"enabled": true}, "admissionWebhooks": map[string]any{"enabled": false}},
	}), 1)
	assert.Empty(t, Violations("kube-prometheus-stack", map[string]any{
		"prometheusOperator": map[string]any{"tls": map[string]any{"enabled": false}, "admissionWebhooks": map[string]any{"enabled": false}},
	}))
	assert.Empty(t, Violations("unknown", map[string]any{}))
}
