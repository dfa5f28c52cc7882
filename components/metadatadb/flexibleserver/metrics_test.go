package flexibleserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestDatabaseActivityMetrics: with the flag, metrics.collector_database_activity is set to "on"
// after the other parameters (the server refuses concurrent parameter updates); without it, the
// server keeps its default and no such Configuration exists.
func TestDatabaseActivityMetrics(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := prodArgs()
		a.DatabaseActivityMetrics = true
		m, _ := deploy(t, preview, a)
		require.Len(t, m.ByType(tConfig), len(Parameters)+1)
		c := inspect.MustNamed(t, m, tConfig, "metadata-db-metrics.collector_database_activity")
		assert.Equal(t, "metrics.collector_database_activity", inspect.RequireStr(t, c.Inputs, "configurationName"))
		assert.Equal(t, "on", inspect.RequireStr(t, c.Inputs, "value"))
		assert.Equal(t, "user-override", inspect.RequireStr(t, c.Inputs, "source"))
		last := inspect.MustNamed(t, m, tConfig, "metadata-db-"+Parameters[len(Parameters)-1].Name)
		assert.Contains(t, c.Dependencies, last.URN, "written after the other parameters")

		m, _ = deploy(t, preview, prodArgs())
		for _, c := range m.ByType(tConfig) {
			assert.NotEqual(t, MetricsParameter.Name, inspect.RequireStr(t, c.Inputs, "configurationName"))
		}
	})
}
