package amp

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CertificateAlarmDays is how many days before its expiry an edge certificate that is still not
// renewed raises the alarm. ACM renews the certificates it issues (DNS-validated, as the AWS edge's)
// from 60 days before they expire (ACM user guide managed-renewal.md); one with fewer than 30 days
// left has failed to renew for a month, typically because its validation CNAME is gone.
const CertificateAlarmDays = 30

// WatchCertificate creates the alarm on the ACM certificate's days to expiry (ACM user guide
// cloudwatch-metrics.md: namespace AWS/CertificateManager, metric DaysToExpiry, dimension
// CertificateArn, published once a day), sent to the alert topic like the other alarms (the topic
// policy admits this account's alarms in this region). suffix names the certificate in the alarm's
// name ("edge"). Missing data keeps the alarm's state: ACM publishes nothing for a certificate still
// pending validation, and stops once it has expired, by when the alarm has fired. The alarm is a
// child of the component; the edge certificate exists only after the component (stacks create the
// edge last), so it is added here rather than in New.
func (o *Observability) WatchCertificate(ctx *pulumi.Context, suffix string, certificateARN pulumi.StringInput) error {
	if o == nil || o.name == "" {
		return fmt.Errorf("amp: WatchCertificate on an Observability that New did not return")
	}
	if !roleRE.MatchString(suffix) || certificateARN == nil {
		return fmt.Errorf("amp: WatchCertificate(%q): a DNS-label suffix and the certificate's ARN", suffix)
	}
	// ACM publishes DaysToExpiry in the certificate's region; the alarm is in the stack's, so a
	// certificate of another region (CloudFront's, us-east-1) would leave it on a metric that never
	// exists. arn:<partition>:acm:<region>:<account>:certificate/<id>.
	region := o.args.Region
	arn := certificateARN.ToStringOutput().ApplyT(func(a string) (string, error) {
		if f := strings.SplitN(a, ":", 6); len(f) != 6 || f[2] != "acm" || f[3] != region {
			return "", fmt.Errorf("amp: WatchCertificate(%q): %q is not an ACM certificate of region %s, where the alarm is", suffix, a, region)
		}
		return a, nil
	}).(pulumi.StringOutput)
	n := o.args.Name + "-certificate-" + suffix + "-expiring"
	summary := fmt.Sprintf("the %s certificate (ACM) expires in less than %d days: ACM has not renewed it", suffix, CertificateAlarmDays)
	tags := pulumi.ToStringMap(o.args.Tags)
	tags["Name"] = pulumi.String(o.name + "-certificate-" + suffix)
	_, err := cloudwatch.NewMetricAlarm(ctx, o.name+"-certificate-"+suffix, &cloudwatch.MetricAlarmArgs{
		Name:             pulumi.String(n),
		AlarmDescription: pulumi.String(summary + ". Runbook: " + runbookURL(o.args.RunbookBase, "acm-certificate-expiring")),
		Namespace:        pulumi.String("AWS/CertificateManager"), MetricName: pulumi.String("DaysToExpiry"),
		Dimensions: pulumi.StringMap{"CertificateArn": arn},
		Statistic:  pulumi.String("Minimum"), Period: pulumi.Int(86400), EvaluationPeriods: pulumi.Int(1), DatapointsToAlarm: pulumi.Int(1),
		ComparisonOperator: pulumi.String("LessThanThreshold"), Threshold: pulumi.Float64(CertificateAlarmDays),
		TreatMissingData: pulumi.String("missing"),
		AlarmActions:     pulumi.Array{o.TopicARN}, OkActions: pulumi.Array{o.TopicARN},
		Tags: tags,
	}, pulumi.Parent(o), pulumi.DependsOn(o.topicReady))
	if err != nil {
		return err
	}
	o.Alarms = append(o.Alarms, n)
	return nil
}
