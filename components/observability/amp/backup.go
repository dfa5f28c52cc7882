package amp

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
)

// The "missing or failed daily backup" signal on AWS. RDS has no backup-age metric and no event
// that says "no backup today"; it does announce each automated backup's end, RDS-EVENT-0002
// "Finished DB instance backup" (RDS user guide USER_Events.Messages.md, DB instance events,
// category backup), to EventBridge on the default bus as source "aws.rds", detail-type "RDS DB
// Instance Event", with the instance's ARN in the envelope's "resources" and in detail.SourceArn
// and the event's ID in detail.EventID (RDS user guide rds-cloudwatch-events.sample.md "Example of
// a DB instance event"; EventBridge events reference events-ref-rds.md). A rule matching that
// event on this instance counts the finished backups in AWS/Events MatchedEvents, dimension
// RuleName (EventBridge user guide eb-monitoring.md), and an alarm fires when none was counted in
// 26 hours: the daily backup failed, was skipped, or backups are off. A failed backup is a missing
// one here: RDS reports no backup failure event of its own in the backup category.
//
// The rule gets a target, a log group of its own: the EventBridge user guide documents the rule
// metrics without saying whether a rule with no target is counted, and the log keeps the history
// of finished backups for the runbook. Not the alert topic: it would be paged once a day.

// BackupRunbook is the runbook section of the missing-backup alarm.
const BackupRunbook = "rds-backup-missing"

// BackupEventID is the RDS event of an automated backup's end (USER_Events.Messages.md).
const BackupEventID = "RDS-EVENT-0002"

const (
	// backupAlarmPeriod and backupAlarmPeriods: 26 hourly periods, all without a finished backup,
	// fire the alarm — the day between two daily backups, the 30-minute backup window's spread and
	// a backup that runs long. CloudWatch API PutMetricAlarm (Period, EvaluationPeriods): Period ×
	// EvaluationPeriods can't be more than 604,800 s (7 days), and 86,400 s for periods under an
	// hour: 26 × 3,600 = 93,600 s needs the 1-hour period.
	backupAlarmPeriod  = 3600
	backupAlarmPeriods = 26
)

// backupName is the rule's name (EventBridge API PutRule: 1–64 of [.\-_A-Za-z0-9]; Args.Name has at
// most 40 characters) and, under /aws/events/, its log group's.
func backupName(a *Args) string { return a.Name + "-metadata-backups" }

// dbARN is the DB instance's ARN (RDS user guide USER_Tagging.ARN.md: arn:<partition>:rds:<region>:<account>:db:<identifier>).
func dbARN(w where, identifier string) string {
	return "arn:" + w.partition + ":rds:" + w.region + ":" + w.account + ":db:" + identifier
}

// BackupEventPattern matches the end of an automated backup of this instance only: by the
// instance's ARN in "resources" (the event's SourceIdentifier is written "rds:<id>" in the RDS
// user guide's example and "<id>" in delivered events; the ARN is the same in both), and by
// EventID, or by the message for an event delivered without EventID (the RDS user guide's older
// examples have none; its case varies, "Finished DB Instance backup" in delivered events):
// EventBridge user guide eb-event-patterns-content-based-filtering.md, "$or" and
// "equals-ignore-case".
func BackupEventPattern(w where, identifier string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"source":      []string{"aws.rds"},
		"detail-type": []string{"RDS DB Instance Event"},
		"resources":   []string{dbARN(w, identifier)},
		"detail": map[string]any{"$or": []any{
			map[string]any{"EventID": []string{BackupEventID}},
			map[string]any{"Message": []any{map[string]string{"equals-ignore-case": "Finished DB instance backup"}}},
		}},
	})
	return string(b), err
}

// backupLogPolicy lets EventBridge write the rule's events to its log group (EventBridge user
// guide eb-use-resource-based.md "CloudWatch Logs permissions": a CloudWatch Logs resource policy,
// Principal events.amazonaws.com and delivery.logs.amazonaws.com, logs:CreateLogStream and
// logs:PutLogEvents on the log group; no RoleArn on the target).
func backupLogPolicy(logGroupARN string) (string, error) {
	doc := awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": []string{"events.amazonaws.com", "delivery.logs.amazonaws.com"}},
		Action:    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource:  []string{logGroupARN + ":*"},
	}}}
	b, err := json.Marshal(doc)
	return string(b), err
}

// backupAlarm is the missing-backup alarm: AWS/Events MatchedEvents of the rule (Sum per hour)
// below 1 in each of 26 hours; missing data is breaching, since EventBridge sends nothing for an
// hour without a match.
func backupAlarm(a *Args) alarm {
	return alarm{
		suffix: "rds-backup-missing", runbook: BackupRunbook,
		summary: fmt.Sprintf("no automated backup of the metadata database %s has finished in %d hours (RDS-EVENT-0002 \"Finished DB instance backup\", counted by the EventBridge rule %s)", a.Database.Identifier, backupAlarmPeriods, backupName(a)),
		args: cloudwatch.MetricAlarmArgs{
			Namespace: pulumi.String("AWS/Events"), MetricName: pulumi.String("MatchedEvents"),
			Dimensions: pulumi.StringMap{"RuleName": pulumi.String(backupName(a))},
			Statistic:  pulumi.String("Sum"), Period: pulumi.Int(backupAlarmPeriod),
			EvaluationPeriods: pulumi.Int(backupAlarmPeriods), DatapointsToAlarm: pulumi.Int(backupAlarmPeriods),
			ComparisonOperator: pulumi.String("LessThanThreshold"), Threshold: pulumi.Float64(1),
			TreatMissingData: pulumi.String("breaching"),
		},
	}
}

// newBackupRule creates the rule, its log group (encrypted with the observability key, kept
// LogRetentionDays), the log group's resource policy and the target. The rule waits for the
// instance (after): its events exist only once it does. It returns the rule, which the alarm waits
// for.
func newBackupRule(ctx *pulumi.Context, name string, a *Args, w where, keyARN pulumi.StringInput, tags func(string) pulumi.StringMap, parent pulumi.ResourceOrInvokeOption, after []pulumi.Resource) (pulumi.Resource, error) {
	pattern, err := BackupEventPattern(w, a.Database.Identifier)
	if err != nil {
		return nil, err
	}
	// pulumi-aws@v6.83.4 sdk/go/aws/cloudwatch/logGroup.go: name, retentionInDays, kmsKeyId.
	lg, err := cloudwatch.NewLogGroup(ctx, name+"-backup-events", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/events/" + backupName(a)),
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
		KmsKeyId:        keyARN,
		Tags:            tags(name + "-backup-events"),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := lg.Arn.ApplyT(backupLogPolicy).(pulumi.StringOutput)
	// pulumi-aws@v6.83.4 sdk/go/aws/cloudwatch/logResourcePolicy.go: policyName, policyDocument.
	lp, err := cloudwatch.NewLogResourcePolicy(ctx, name+"-backup-events-policy", &cloudwatch.LogResourcePolicyArgs{
		PolicyName: pulumi.String(backupName(a) + "-events"), PolicyDocument: policy,
	}, parent)
	if err != nil {
		return nil, err
	}
	// pulumi-aws@v6.83.4 sdk/go/aws/cloudwatch/eventRule.go: name, description, eventPattern (the
	// default bus when eventBusName is unset).
	rule, err := cloudwatch.NewEventRule(ctx, name+"-backup-finished", &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(backupName(a)),
		Description:  pulumi.String("Automated backups of " + a.Database.Identifier + " that finished (counted by the alarm " + a.Name + "-rds-backup-missing)"),
		EventPattern: pulumi.String(pattern),
		Tags:         tags(name + "-backup-finished"),
	}, parent, pulumi.DependsOn(after))
	if err != nil {
		return nil, err
	}
	// pulumi-aws@v6.83.4 sdk/go/aws/cloudwatch/eventTarget.go: rule, arn, targetId.
	if _, err := cloudwatch.NewEventTarget(ctx, name+"-backup-finished-log", &cloudwatch.EventTargetArgs{
		Rule: rule.Name, Arn: lg.Arn, TargetId: pulumi.String("log"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{lp})); err != nil {
		return nil, err
	}
	return rule, nil
}
