package amp

import "fmt"

// The PostgreSQL transaction rate and buffer-cache hit ratio. CloudWatch's AWS/RDS namespace has
// neither (RDS user guide rds-metrics.md); Performance Insights collects PostgreSQL's
// pg_stat_database counters once a minute and CloudWatch reads them through the metric-math
// function DB_PERF_INSIGHTS('RDS', '<DbiResourceId>', '<counter>.<statistic>') (CloudWatch user
// guide Create_alarm_on_Performance_Insights_metrics.md and using-metric-math.md "Metric math
// syntax and functions"; the identifier is the instance's resource ID, not its DB identifier).
//
// Counters (RDS user guide USER_PerfInsights_Counters.md, "Native counters for Amazon RDS for
// PostgreSQL", awsdocs/amazon-rds-user-guide@0660818 doc_source/USER_PerfInsights_Counters.md):
//   - db.Transactions.xact_commit, db.Transactions.xact_rollback: commits / rollbacks per second;
//   - db.Cache.blks_hit: blocks found in shared buffers per second;
//   - db.IO.blks_read: blocks read from disk (or the OS cache) per second.
//
// ".avg" is the per-second rate averaged over the widget's period (USER_PerfInsights.API.
// TimeSeries.md: the statistic suffixes .avg, .min, .max, .sum, .sample_count). The hit ratio is
// metric math over two such expressions, blks_hit / (blks_hit + blks_read), the ratio PostgreSQL's
// own documentation and the kubernetes target's CloudNativePG dashboard use.
//
// Dashboard body (CloudWatch API reference CloudWatch-Dashboard-Body-Structure.md, "metrics"
// array): a math expression is a one-element row [{"expression", "label", "id"}]; "visible": false
// keeps an operand off the graph while the expression that reads it by id is drawn.
const (
	piCommits   = "db.Transactions.xact_commit"
	piRollbacks = "db.Transactions.xact_rollback"
	piBlksHit   = "db.Cache.blks_hit"
	piBlksRead  = "db.IO.blks_read"
)

// piWidget is a widget of Performance Insights data: a metric widget (title, metrics) or, when
// markdown is set, a text widget.
type piWidget struct {
	title    string
	metrics  [][]any
	markdown string
}

// piExpression is DB_PERF_INSIGHTS over one counter's per-second average.
func piExpression(resourceID, counter string) string {
	return fmt.Sprintf("DB_PERF_INSIGHTS('RDS', '%s', '%s.avg')", resourceID, counter)
}

// performanceInsightsWidgets are the transaction-rate and cache-hit widgets of the database: metric
// math over its Performance Insights counters, or, with Performance Insights off, one text widget
// saying why they are missing and how to get them.
func performanceInsightsWidgets(db *Database, resourceID string) []piWidget {
	if !db.PerformanceInsights {
		return []piWidget{{markdown: fmt.Sprintf("### PostgreSQL transactions and cache hit ratio\n"+
			"Performance Insights is off on `%s` (`metadataDB.performanceInsights: false`, the default outside prod). "+
			"CloudWatch's AWS/RDS namespace has no transaction or buffer-cache metric; both come from Performance Insights' "+
			"counters `%s` and `%s` / `%s`. Set `metadataDB.performanceInsights: true` (7 days of history, the free tier; "+
			"an in-place modification of the instance) and run `pulumi up` to add them here.", db.Identifier, piCommits, piBlksHit, piBlksRead)}}
	}
	expr := func(counter, label, id string, visible bool) []any {
		e := map[string]any{"expression": piExpression(resourceID, counter), "label": label, "id": id}
		if !visible {
			e["visible"] = false
		}
		return []any{e}
	}
	return []piWidget{
		{title: "PostgreSQL transactions (per second, Performance Insights)", metrics: [][]any{
			expr(piCommits, "commits/s", "commits", true),
			expr(piRollbacks, "rollbacks/s", "rollbacks", true),
		}},
		{title: "PostgreSQL buffer cache hit ratio (%, Performance Insights)", metrics: [][]any{
			expr(piBlksHit, "blocks hit/s", "hit", false),
			expr(piBlksRead, "blocks read/s", "read", false),
			{map[string]any{"expression": "100 * hit / (hit + read)", "label": "cache hit ratio (%)", "id": "ratio"}},
		}},
	}
}
