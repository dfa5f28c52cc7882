package logging

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// TestAlertRules: the shipper's rules validate with its scrape target, use only metrics the target
// declares, are scoped to the shipper's job, and have runbook sections.
func TestAlertRules(t *testing.T) {
	rules := AlertRules()
	s := observability.Spec{Targets: []observability.ScrapeTarget{MetricsTarget(Namespace)}, Rules: rules}
	require.NoError(t, s.Validate())
	assert.Empty(t, s.Undeclared())
	doc, err := os.ReadFile("../../docs/runbook-alerts.md")
	require.NoError(t, err)
	by := map[string]observability.AlertRule{}
	for _, r := range rules {
		by[r.Name] = r
		assert.Contains(t, string(doc), `<a id="`+r.Runbook+`"></a>`+"\n## "+r.Name+" ("+string(r.Severity)+")")
		assert.Equal(t, strings.Count(r.Expr, "fluentbit_"), strings.Count(r.Expr, `job=~".+/log-shipper"`), "every metric scoped: %s", r.Expr)
	}
	stalled := by["LogShipperStalled"]
	assert.Contains(t, stalled.Expr, "rate(fluentbit_output_retries_total{")
	assert.Contains(t, stalled.Expr, "rate(fluentbit_output_proc_records_total{")
	assert.Equal(t, 15*time.Minute, stalled.For)
	assert.Contains(t, by["LogShipperDroppingChunks"].Expr, "increase(fluentbit_output_retries_failed_total{")
}
