package amp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const testResourceID = "db-ABCDEFGHIJKLMNOPQRSTUVWXY1"

// dashboardWidgets decodes a dashboard body into its widgets.
func dashboardWidgets(t *testing.T, body string) []map[string]any {
	t.Helper()
	var doc struct {
		Widgets []map[string]any `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	return doc.Widgets
}

// widgetByTitle finds a metric widget by its title's prefix.
func widgetByTitle(t *testing.T, widgets []map[string]any, prefix string) map[string]any {
	t.Helper()
	for _, w := range widgets {
		if p, ok := w["properties"].(map[string]any); ok && strings.HasPrefix(p["title"].(string)+"", prefix) {
			return p
		}
	}
	t.Fatalf("no widget titled %q…", prefix)
	return nil
}

// expressions are a metric widget's math expressions by id.
func expressions(t *testing.T, props map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, row := range props["metrics"].([]any) {
		r := row.([]any)
		require.Len(t, r, 1, "a math expression is a one-element row (CloudWatch-Dashboard-Body-Structure)")
		e := r[0].(map[string]any)
		out[e["id"].(string)] = e
	}
	return out
}

// TestDashboardPerformanceInsightsWidgets: with Performance Insights on, the transaction rate and the
// cache hit ratio are DB_PERF_INSIGHTS expressions on the instance's resource ID, the ratio metric
// math over the hidden hit and read operands.
func TestDashboardPerformanceInsightsWidgets(t *testing.T) {
	db := &Database{Identifier: "dp-metadata", InstanceClass: "db.m7g.large", AllocatedStorageGiB: 100, PerformanceInsights: true, ResourceID: pulumi.String(testResourceID)}
	body, err := DashboardBody("eu-north-1", db, testResourceID, 0, nil, nil)
	require.NoError(t, err)
	widgets := dashboardWidgets(t, body)

	tx := expressions(t, widgetByTitle(t, widgets, "PostgreSQL transactions"))
	assert.Equal(t, "DB_PERF_INSIGHTS('RDS', '"+testResourceID+"', 'db.Transactions.xact_commit.avg')", tx["commits"]["expression"])
	assert.Equal(t, "DB_PERF_INSIGHTS('RDS', '"+testResourceID+"', 'db.Transactions.xact_rollback.avg')", tx["rollbacks"]["expression"])

	hit := expressions(t, widgetByTitle(t, widgets, "PostgreSQL buffer cache hit ratio"))
	assert.Equal(t, "DB_PERF_INSIGHTS('RDS', '"+testResourceID+"', 'db.Cache.blks_hit.avg')", hit["hit"]["expression"])
	assert.Equal(t, "DB_PERF_INSIGHTS('RDS', '"+testResourceID+"', 'db.IO.blks_read.avg')", hit["read"]["expression"])
	assert.Equal(t, false, hit["hit"]["visible"], "the operands stay off the graph")
	assert.Equal(t, false, hit["read"]["visible"])
	assert.Equal(t, "100 * hit / (hit + read)", hit["ratio"]["expression"])
	_, hidden := hit["ratio"]["visible"]
	assert.False(t, hidden, "the ratio is drawn")
	assert.NotContains(t, body, `"type":"text"`)
}

// TestDashboardWithoutPerformanceInsights: with it off, one text widget says why the transaction rate
// and cache hit ratio are missing and how to get them; no expression is written.
func TestDashboardWithoutPerformanceInsights(t *testing.T) {
	db := &Database{Identifier: "dp-metadata", InstanceClass: "db.m7g.large", AllocatedStorageGiB: 100}
	body, err := DashboardBody("eu-north-1", db, "", 0, nil, nil)
	require.NoError(t, err)
	assert.NotContains(t, body, "DB_PERF_INSIGHTS")
	var texts []string
	for _, w := range dashboardWidgets(t, body) {
		if w["type"] == "text" {
			texts = append(texts, w["properties"].(map[string]any)["markdown"].(string))
		}
	}
	require.Len(t, texts, 1)
	assert.Contains(t, texts[0], "`dp-metadata`")
	assert.Contains(t, texts[0], "metadataDB.performanceInsights: true")
}

// TestPerformanceInsightsNeedsResourceID: the flag without the resource ID is refused before anything
// is registered.
func TestPerformanceInsightsNeedsResourceID(t *testing.T) {
	a := args()
	a.Database.PerformanceInsights = true
	m, err := run(t, false, a)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Database.ResourceID")
	assert.Empty(t, m.ByType("aws:cloudwatch/dashboard:Dashboard"))
}

// TestDashboardCarriesTheInstanceResourceID: through the component, the dashboard's body queries the
// resource ID it is handed (an output of the instance) in normal mode; in preview the body waits for
// it.
func TestDashboardCarriesTheInstanceResourceID(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.Database.PerformanceInsights = true
		a.Database.ResourceID = pulumi.String(testResourceID)
		m, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		dash := inspect.MustNamed(t, m, "aws:cloudwatch/dashboard:Dashboard", "observability-dashboard")
		if preview {
			return
		}
		body := inspect.Str(dash.Inputs, "dashboardBody")
		assert.Contains(t, body, "DB_PERF_INSIGHTS('RDS', '"+testResourceID+"', 'db.Cache.blks_hit.avg')")
		assert.Contains(t, body, `["AWS/RDS","CPUUtilization","DBInstanceIdentifier","dataplatform-prod-metadata"]`)
	})
}
