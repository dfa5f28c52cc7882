package amp

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestRDSBackupMissing (issue 12, failed or missing backups on AWS): an EventBridge rule counts the
// instance's finished automated backups (RDS-EVENT-0002, this instance's ARN only) into a log group
// of its own, never the alert topic; an alarm on the rule's MatchedEvents fires on the topic when
// none was counted in 26 hourly periods, missing data breaching, within CloudWatch's 7-day
// evaluation range, and links its runbook section.
func TestRDSBackupMissing(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, args())
		inspect.RequireRan(t, preview, err)

		rule := inspect.MustNamed(t, m, "aws:cloudwatch/eventRule:EventRule", "observability-backup-finished")
		assert.Equal(t, "dataplatform-prod-metadata-backups", inspect.Str(rule.Inputs, "name"))
		assert.Empty(t, inspect.Str(rule.Inputs, "eventBusName"), "RDS sends its events to the default bus")
		var pattern struct {
			Source     []string `json:"source"`
			DetailType []string `json:"detail-type"`
			Resources  []string `json:"resources"`
			Detail     struct {
				Or []map[string][]any `json:"$or"`
			} `json:"detail"`
		}
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(rule.Inputs, "eventPattern")), &pattern))
		assert.Equal(t, []string{"aws.rds"}, pattern.Source)
		assert.Equal(t, []string{"RDS DB Instance Event"}, pattern.DetailType)
		assert.Equal(t, []string{"arn:aws:rds:eu-north-1:" + mockcloud.AWSAccountID + ":db:dataplatform-prod-metadata"}, pattern.Resources, "this instance only")
		require.Len(t, pattern.Detail.Or, 2)
		assert.Equal(t, []any{"RDS-EVENT-0002"}, pattern.Detail.Or[0]["EventID"], "the end of a backup, not its start (RDS-EVENT-0001)")
		assert.Equal(t, []any{map[string]any{"equals-ignore-case": "Finished DB instance backup"}}, pattern.Detail.Or[1]["Message"])

		al := alarmsByName(m)["rds-backup-missing"]
		require.NotNil(t, al)
		assert.Equal(t, "AWS/Events", inspect.Str(al.Inputs, "namespace"))
		assert.Equal(t, "MatchedEvents", inspect.Str(al.Inputs, "metricName"))
		assert.Equal(t, "dataplatform-prod-metadata-backups", inspect.Str(al.Inputs, "dimensions", "RuleName"), "the alarm counts the rule's matches")
		assert.Equal(t, "Sum", inspect.Str(al.Inputs, "statistic"))
		assert.Equal(t, "LessThanThreshold", inspect.Str(al.Inputs, "comparisonOperator"))
		assert.Equal(t, 1.0, inspect.Num(al.Inputs, "threshold"))
		assert.Equal(t, "breaching", inspect.Str(al.Inputs, "treatMissingData"), "EventBridge sends nothing for an hour without a match")
		period, periods := inspect.Num(al.Inputs, "period"), inspect.Num(al.Inputs, "evaluationPeriods")
		assert.Equal(t, 3600.0, period)
		assert.Equal(t, 26.0, periods)
		assert.Equal(t, 26.0, inspect.Num(al.Inputs, "datapointsToAlarm"))
		assert.GreaterOrEqual(t, period*periods, 24*3600.0+3600, "a day between backups, and slack")
		assert.LessOrEqual(t, period*periods, 604800.0, "PutMetricAlarm: at most 7 days")
		assert.Contains(t, inspect.Str(al.Inputs, "alarmDescription"), "https://github.com/o/r/blob/main/docs/runbook-alerts-aws.md#rds-backup-missing")
		assert.True(t, m.DependsOn(al, rule), "the alarm waits for the rule it counts")

		lg := inspect.MustNamed(t, m, "aws:cloudwatch/logGroup:LogGroup", "observability-backup-events")
		assert.Equal(t, "/aws/events/dataplatform-prod-metadata-backups", inspect.Str(lg.Inputs, "name"))
		assert.Equal(t, 90.0, inspect.Num(lg.Inputs, "retentionInDays"))
		assert.True(t, m.DependsOn(lg, inspect.MustNamed(t, m, "aws:kms/key:Key", "observability-kms")), "encrypted with the observability key")
		target := inspect.MustNamed(t, m, "aws:cloudwatch/eventTarget:EventTarget", "observability-backup-finished-log")
		assert.True(t, m.DependsOn(target, rule))
		assert.True(t, m.DependsOn(target, lg))
		assert.Empty(t, inspect.Str(target.Inputs, "roleArn"), "CloudWatch Logs targets take no role")
		policy := inspect.MustNamed(t, m, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "observability-backup-events-policy")
		assert.True(t, m.DependsOn(target, policy), "EventBridge may write before the target exists")
		if preview {
			return
		}
		topicARN := inspect.Str(inspect.MustNamed(t, m, "aws:sns/topic:Topic", "observability-alerts").Outputs, "arn")
		require.NotEmpty(t, topicARN)
		assert.Equal(t, []string{topicARN}, inspect.Strs(al.Inputs, "alarmActions"))
		assert.Equal(t, []string{topicARN}, inspect.Strs(al.Inputs, "okActions"))
		lgARN := inspect.Str(lg.Outputs, "arn")
		assert.Equal(t, lgARN, inspect.Str(target.Inputs, "arn"), "the rule's target is its log group")
		assert.NotEqual(t, topicARN, inspect.Str(target.Inputs, "arn"), "never the pager")
		var doc struct {
			Statement []struct {
				Principal map[string][]string
				Action    []string
				Resource  []string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(policy.Inputs, "policyDocument")), &doc))
		require.Len(t, doc.Statement, 1)
		assert.ElementsMatch(t, []string{"events.amazonaws.com", "delivery.logs.amazonaws.com"}, doc.Statement[0].Principal["Service"])
		assert.ElementsMatch(t, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, doc.Statement[0].Action)
		assert.Equal(t, []string{lgARN + ":*"}, doc.Statement[0].Resource, "this log group only")
	})
}

// TestRDSBackupRuleWithoutDatabase: no database, no backup rule, log group or alarm.
func TestRDSBackupRuleWithoutDatabase(t *testing.T) {
	a := args()
	a.Database = nil
	m, err := run(t, false, a)
	require.NoError(t, err)
	assert.Empty(t, m.ByType("aws:cloudwatch/eventRule:EventRule"))
	assert.Empty(t, m.ByType("aws:cloudwatch/logResourcePolicy:LogResourcePolicy"))
	assert.NotContains(t, alarmsByName(m), "rds-backup-missing")
}
