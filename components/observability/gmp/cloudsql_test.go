package gmp

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const logMetricType = "gcp:logging/metric:Metric"

// TestCloudSQLMaxConnections: the documented defaults by memory, at and around the steps, and the
// platform's three tiers.
func TestCloudSQLMaxConnections(t *testing.T) {
	for tier, want := range map[string]int{
		"db-f1-micro": 25, "db-g1-small": 50,
		"db-custom-1-3840":  100, // dev: 3.75 GiB
		"db-custom-1-6143":  100,
		"db-custom-2-6144":  200,
		"db-custom-2-7680":  400, // staging: 7.5 GiB
		"db-custom-4-16384": 500, // prod: 16 GiB
		"db-custom-8-32768": 600, "db-custom-16-65536": 800, "db-custom-32-122880": 1000,
	} {
		got, err := CloudSQLMaxConnections(tier)
		require.NoError(t, err, tier)
		assert.Equal(t, want, got, tier)
	}
	for _, bad := range []string{"", "db-custom-1-1024", "db-n1-standard-1", "db.m7g.large"} {
		_, err := CloudSQLMaxConnections(bad)
		assert.Error(t, err, bad)
	}
}

// TestBackupAndConnectionRules: on GCP the backup class reads Cloud SQL's audit log of automated
// backups through a log-based metric scoped to the instance, and the connection rule Cloud SQL's
// backends against the tier's max_connections; both link docs/runbook-alerts-gcp.md. Without an
// instance or tier they are dropped with a reason, never silently.
func TestBackupAndConnectionRules(t *testing.T) {
	a := platformArgs()
	a.Tier = "db-custom-4-16384"
	require.NoError(t, a.Validate())
	rules := map[string]string{}
	for _, r := range Rules(a) {
		rules[r.Name] = r.Expr
		if ownRunbook[r.Name] {
			assert.True(t, strings.HasPrefix(RunbookURL("https://x/y", r), "https://x/y/docs/runbook-alerts-gcp.md#"), r.Name)
		} else {
			assert.True(t, strings.HasPrefix(RunbookURL("", r), "docs/runbook-alerts.md#"), r.Name)
		}
	}
	m := a.BackupMetric()
	assert.Equal(t, "dataplatform_prod_cloudsql_automated_backups", m.Name)
	assert.Equal(t, "logging_googleapis_com:user_dataplatform_prod_cloudsql_automated_backups", m.PromQL())
	assert.Contains(t, m.Filter, `logName="projects/proj-1/logs/cloudaudit.googleapis.com%2Fsystem_event"`)
	assert.Contains(t, m.Filter, `protoPayload.methodName="cloudsql.instances.automatedBackup"`)
	assert.Contains(t, m.Filter, `resource.labels.database_id="proj-1:dataplatform-prod-x1"`)
	assert.Equal(t, "EXTRACT(protoPayload.metadata.windowStatus)", m.Labels[BackupWindowStatus])

	missing := rules["PostgresBackupMissing"]
	assert.Contains(t, missing, "absent_over_time("+m.PromQL()+`{monitored_resource="cloudsql_database", database_id="proj-1:dataplatform-prod-x1", window_status=~"(STATUS_)?(SUCCESSFUL|SUCCEEDED|SUCCESS|SKIPPED)"}[26h])`)
	assert.Contains(t, rules["PostgresBackupFailed"], `window_status=~".*(FAIL|OVERDUE).*"`)
	// The good and the failed windows as Cloud SQL spells a backup run's status (SqlBackupRunStatus).
	good, failed := regexp.MustCompile("^"+backupGood+"$"), regexp.MustCompile("^"+backupFailed+"$")
	for _, st := range []string{"SUCCESSFUL", "STATUS_SUCCEEDED", "SKIPPED"} {
		assert.True(t, good.MatchString(st) && !failed.MatchString(st), st)
	}
	for _, st := range []string{"FAILED", "STATUS_FAILED", "FAILURE", "OVERDUE", "RUNNING", "ENQUEUED", "UNSUCCESSFUL", "STATUS_UNSUCCESSFUL", ""} {
		assert.False(t, good.MatchString(st), "%q counts as a backup", st)
	}
	assert.Contains(t, rules["PostgresConnectionSaturation"], `sum(cloudsql_googleapis_com:database_postgresql_num_backends{monitored_resource="cloudsql_database", database_id="proj-1:dataplatform-prod-x1"}) > 400`)
	assert.NotContains(t, Dropped(a), "PostgresBackupMissing")
	assert.NotContains(t, Dropped(a), "PostgresConnectionSaturation")
	assert.Contains(t, Dropped(a), "PostgresNeverBackedUp")

	noTier := platformArgs()
	assert.NotContains(t, ruleNames(Rules(noTier)), "PostgresConnectionSaturation")
	assert.Contains(t, Dropped(noTier), "PostgresConnectionSaturation")
	noDB := platformArgs()
	noDB.Instance = ""
	assert.NotContains(t, ruleNames(Rules(noDB)), "PostgresBackupMissing")
	assert.NotEmpty(t, Dropped(noDB)["PostgresBackupFailed"])
	assert.Empty(t, noDB.LogMetrics())

	bad := a
	bad.Tier = "db-n1-standard-1"
	assert.ErrorContains(t, bad.Validate(), "db-n1-standard-1")
}

func ruleNames(rs []observability.AlertRule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// TestLogMetricRendered: the log-based metric is a DELTA INT64 counter with the window_status label
// and its extractor, in the project, and every alerting policy waits for it (Cloud Monitoring refuses
// a PromQL condition over an unknown metric). A bad metric name is refused before anything exists.
func TestLogMetricRendered(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		pa := platformArgs()
		a.LogMetrics = pa.LogMetrics()
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		lms := m.ByType(logMetricType)
		require.Len(t, lms, 1)
		lm := lms[0]
		assert.Equal(t, "dataplatform_prod_cloudsql_automated_backups", inspect.Str(lm.Inputs, "name"))
		assert.Equal(t, "proj-1", inspect.Str(lm.Inputs, "project"))
		assert.Equal(t, "DELTA", inspect.Str(lm.Inputs, "metricDescriptor", "metricKind"))
		assert.Equal(t, "INT64", inspect.Str(lm.Inputs, "metricDescriptor", "valueType"))
		assert.Equal(t, BackupWindowStatus, inspect.Str(lm.Inputs, "metricDescriptor", "labels", 0, "key"))
		assert.Equal(t, "STRING", inspect.Str(lm.Inputs, "metricDescriptor", "labels", 0, "valueType"))
		assert.Equal(t, "EXTRACT(protoPayload.metadata.windowStatus)", inspect.Str(lm.Inputs, "labelExtractors", BackupWindowStatus))
		policies := m.ByType(policyType)
		require.NotEmpty(t, policies)
		for _, p := range policies {
			assert.True(t, m.DependsOn(p, lm), "%s does not wait for the log-based metric", p.Name)
		}
		missing := inspect.MustNamed(t, m, policyType, "monitoring-postgres-backup-missing")
		assert.Equal(t, "https://github.com/o/r/blob/main/docs/runbook-alerts-gcp.md#postgres-backup-missing", inspect.Str(missing.Inputs, "documentation", "links", 0, "url"))
		assert.Equal(t, "3600s", inspect.Str(missing.Inputs, "conditions", 0, "conditionPrometheusQueryLanguage", "duration"), "the range is the bound, For only the ingestion delay")
	})
	a := args()
	a.LogMetrics = []LogMetric{{Name: "has-dash", Filter: "x"}}
	assert.ErrorContains(t, a.Validate(), "has-dash")
	a.LogMetrics = []LogMetric{{Name: "ok", Filter: " "}}
	assert.ErrorContains(t, a.Validate(), "Filter is empty")
}
