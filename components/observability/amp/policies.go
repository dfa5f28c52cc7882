package amp

import (
	"encoding/json"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
)

// where is the account, partition and region the policies are written for.
type where struct{ partition, region, account string }

func (w where) root() string { return "arn:" + w.partition + ":iam::" + w.account + ":root" }

// keyPolicy is the observability key's policy: the account administers and uses it through IAM (the
// default key policy, KMS developer guide key-policy-default.md "Allows access to the AWS account and
// enables IAM policies"); CloudWatch Logs encrypts this account's log groups in this region with it
// (CloudWatch Logs user guide encrypt-log-data-kms.md, step 2: Principal logs.<region>.amazonaws.com,
// kms:Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe*, ArnLike
// kms:EncryptionContext:aws:logs:arn); AMP's Alertmanager and CloudWatch alarms publish to the
// encrypted topic (AMP user guide AMP-alertmanager-receiver-AMPpermission.md "if your topic is
// encrypted": aps.amazonaws.com kms:GenerateDataKey* and kms:Decrypt; SNS developer guide
// sns-key-management.md "Enable compatibility between event sources from AWS services and encrypted
// topics": cloudwatch.amazonaws.com and, for RDS event notifications, events.rds.amazonaws.com, the
// same two actions). Who may publish is the topic policy's
// concern (topicPolicy, with source-account and source-ARN conditions); the key only lets SNS
// encrypt what those services were allowed to send.
func keyPolicy(w where) (string, error) {
	doc := awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{
		{Effect: "Allow", Principal: map[string]any{"AWS": w.root()}, Action: []string{"kms:*"}, Resource: []string{"*"}},
		{
			Effect: "Allow", Principal: map[string]any{"Service": "logs." + w.region + ".amazonaws.com"},
			Action:   []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			Resource: []string{"*"},
			Condition: map[string]map[string]any{"ArnLike": {
				"kms:EncryptionContext:aws:logs:arn": "arn:" + w.partition + ":logs:" + w.region + ":" + w.account + ":log-group:*",
			}},
		},
		{
			Effect: "Allow", Principal: map[string]any{"Service": []string{"aps.amazonaws.com", "cloudwatch.amazonaws.com", "events.rds.amazonaws.com"}},
			Action: []string{"kms:GenerateDataKey*", "kms:Decrypt"}, Resource: []string{"*"},
		},
	}}
	b, err := json.Marshal(doc)
	return string(b), err
}

// topicPolicy lets exactly two publishers use the alert topic: this workspace's Alertmanager (AMP
// user guide AMP-alertmanager-receiver-AMPpermission.md: Principal aps.amazonaws.com, sns:Publish and
// sns:GetTopicAttributes, ArnEquals aws:SourceArn = the workspace ARN, StringEquals
// AWS:SourceAccount = the account) and this account's CloudWatch alarms in this region (SNS
// developer guide sns-access-policy-use-cases.md, the confused-deputy conditions aws:SourceArn and
// aws:SourceAccount; an alarm's ARN is arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>).
// With a database, RDS may publish the events of that instance only (RDS user guide
// USER_Events.GrantingPermissions.md: Principal events.rds.amazonaws.com, sns:Publish, ArnLike
// aws:SourceArn = the DB instance ARN arn:<partition>:rds:<region>:<account>:db:<identifier>,
// StringEquals aws:SourceAccount): this policy replaces the topic's default one, which let every RDS
// resource of the account publish.
// The account's own principals keep the access their IAM policies give them (same-account access
// needs either policy).
func topicPolicy(w where, topicARN, workspaceARN, dbIdentifier string) (string, error) {
	doc := awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{
		{
			Effect: "Allow", Principal: map[string]any{"Service": "aps.amazonaws.com"},
			Action: []string{"sns:Publish", "sns:GetTopicAttributes"}, Resource: []string{topicARN},
			Condition: map[string]map[string]any{
				"ArnEquals":    {"aws:SourceArn": workspaceARN},
				"StringEquals": {"aws:SourceAccount": w.account},
			},
		},
		{
			Effect: "Allow", Principal: map[string]any{"Service": "cloudwatch.amazonaws.com"},
			Action: []string{"sns:Publish"}, Resource: []string{topicARN},
			Condition: map[string]map[string]any{
				"ArnLike":      {"aws:SourceArn": "arn:" + w.partition + ":cloudwatch:" + w.region + ":" + w.account + ":alarm:*"},
				"StringEquals": {"aws:SourceAccount": w.account},
			},
		},
	}}
	if dbIdentifier != "" {
		doc.Statement = append(doc.Statement, awsiam.Statement{
			Effect: "Allow", Principal: map[string]any{"Service": "events.rds.amazonaws.com"},
			Action: []string{"sns:Publish"}, Resource: []string{topicARN},
			Condition: map[string]map[string]any{
				"ArnLike":      {"aws:SourceArn": "arn:" + w.partition + ":rds:" + w.region + ":" + w.account + ":db:" + dbIdentifier},
				"StringEquals": {"aws:SourceAccount": w.account},
			},
		})
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
