// Package amp renders the observability model (package observability) on AWS: an Amazon Managed
// Service for Prometheus workspace holds the metrics, the AMP managed collector scrapes the model's
// targets in the EKS cluster, the model's alert rules run in the workspace's ruler and its
// Alertmanager sends them to an encrypted SNS topic the model's receiver subscribes to. The managed
// services the platform uses on AWS (RDS, S3) are watched by CloudWatch alarms on their own metrics,
// sent to the same topic, and shown on a CloudWatch dashboard (cloudwatch.go).
//
// Why the managed collector and not an in-cluster Prometheus agent: it is agentless and highly
// available (AMP user guide AMP-collector.md), so nothing is deployed, patched or sized in the
// cluster, and on a cluster in API authentication mode (components/cluster/eks sets API) creating the
// scraper creates its access entry and access policy itself (AMP-collector-how-to.md "Configure
// Amazon EKS for scraper access with access entries"); the model's targets on AWS are plain-HTTP pod
// ports, which it scrapes. Its prerequisites hold on the platform's clusters: the cluster endpoint
// includes private access (components/cluster/eks sets EndpointPrivateAccess) and the VPC has DNS
// (components/network/awsvpc), AMP-collector-how-to.md "Create a scraper". Its limits are enforced in
// ScrapeConfiguration.
package amp

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	awsamp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/amp"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// Type is the component's type token.
const Type = "dataplatform:aws:Observability"

// RuleGroup names the group (and the rule group namespace) the model's rules are rendered into.
const RuleGroup = "dataplatform"

// Receiver is where the alert topic delivers (what SNS offers for the model's receiver kinds).
type Receiver struct {
	// Kind is observability.NoReceiver, Email or Webhook.
	Kind observability.ReceiverKind
	// Email is the address an "email" subscription sends to (SNS sends from its own address; the
	// recipient confirms the subscription from the first message).
	Email string
	// WebhookURL is the https endpoint of an "https" subscription; a secret (such URLs carry tokens).
	// The endpoint must confirm the subscription (SNS SendMessageToHttp.prepare).
	WebhookURL pulumi.StringInput
}

// Args configures the component.
type Args struct {
	// Name prefixes the workspace alias, the topic, the key alias, the alarms and the dashboard
	// (unique per account and region): lower-case letters, digits and '-', at most 40 characters.
	Name string
	// Spec is the model: its targets are scraped, its rules evaluated.
	Spec observability.Spec
	// RunbookBase turns each rule's runbook anchor into an absolute URL.
	RunbookBase string
	// ClusterName is the EKS cluster's name; Cluster is the same as the cluster's output, so the
	// collector is created after the cluster.
	ClusterName string
	Cluster     pulumi.StringInput
	// SubnetIDs are the subnets the collector's network interfaces are placed in (at least two
	// zones); SecurityGroupIDs are their security groups (the EKS cluster security group, which every
	// node carries and which admits its own members).
	SubnetIDs        pulumi.StringArrayInput
	SecurityGroupIDs pulumi.StringArrayInput
	// CollectorCIDRs are those subnets' address ranges: each target's namespace admits them on the
	// target's metrics port (netpol.go).
	CollectorCIDRs []string
	// KubeStateMetricsNamespace is where kube-state-metrics runs (the EKS community add-on's
	// namespace, eksaddons.KubeStateMetricsNamespace); the collector scrapes it, and rules may then
	// name its series. Empty: no kube-state-metrics, and a rule naming its series is refused.
	KubeStateMetricsNamespace string
	// KubernetesProvider reaches the cluster; After are what the targets' namespaces wait for.
	KubernetesProvider pulumi.ProviderResource
	After              []pulumi.Resource
	// Region is the stack's region (the topic's, for the Alertmanager's SigV4 signing).
	Region string
	// LogRetentionDays keeps the workspace's own log group (rule and Alertmanager errors).
	LogRetentionDays int
	// Receiver is where alerts go.
	Receiver Receiver
	// Database and Buckets are the managed services CloudWatch watches (cloudwatch.go).
	Database *Database
	Buckets  []Bucket
	// Tags are added to every AWS resource.
	Tags map[string]string
	// Protect protects the workspace (its metrics) and the key.
	Protect bool
}

// Observability is the component.
type Observability struct {
	pulumi.ResourceState
	// WorkspaceID, WorkspaceARN and PrometheusEndpoint identify the metrics store; queries go to
	// <PrometheusEndpoint>api/v1/query signed with SigV4 (service "aps").
	WorkspaceID        pulumi.StringOutput
	WorkspaceARN       pulumi.StringOutput
	PrometheusEndpoint pulumi.StringOutput
	// TopicARN is the SNS topic alerts and alarms are published to.
	TopicARN pulumi.StringOutput
	// Receiver says where the topic delivers: "none" without a receiver, else the subscription's
	// protocol and whether SNS still waits for its confirmation (an unconfirmed email or https
	// subscription receives nothing: the recipient must click the link in SNS's first mail, an https
	// endpoint must answer SNS's SubscriptionConfirmation request).
	Receiver pulumi.StringOutput
	// KMSKeyARN encrypts the topic and the log groups.
	KMSKeyARN pulumi.StringOutput
	// DashboardName is the CloudWatch dashboard of the managed services.
	DashboardName string
	// Alarms are the CloudWatch alarms' names.
	Alarms []string

	// name, args and topicReady are what WatchCertificate adds an alarm with.
	name       string
	args       *Args
	topicReady []pulumi.Resource
}

var (
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,38}[a-z0-9]$`)
	dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
)

// logRetentions are the values CloudWatch Logs accepts (API PutRetentionPolicy retentionInDays).
var logRetentions = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

func (a *Args) validate() error {
	if a == nil {
		return fmt.Errorf("amp: args is nil; pass an *Args")
	}
	switch {
	case !nameRE.MatchString(a.Name):
		return fmt.Errorf("amp: Name = %q: lower-case letters, digits and '-', 2–40 characters, starting with a letter", a.Name)
	case a.ClusterName == "" || a.Cluster == nil:
		return fmt.Errorf("amp: ClusterName = %q, Cluster set = %t: the EKS cluster's name and its output are both required", a.ClusterName, a.Cluster != nil)
	case a.SubnetIDs == nil || a.SecurityGroupIDs == nil:
		return fmt.Errorf("amp: SubnetIDs and SecurityGroupIDs are required: the collector's network interfaces sit in the cluster's subnets")
	case (len(a.Spec.Targets) > 0 || a.KubeStateMetricsNamespace != "") && (a.KubernetesProvider == nil || len(a.CollectorCIDRs) == 0):
		return fmt.Errorf("amp: KubernetesProvider and CollectorCIDRs are required with targets: their namespaces must admit the collector")
	case a.Region == "":
		return fmt.Errorf("amp: Region is empty: the stack's region")
	case !logRetentions[a.LogRetentionDays]:
		return fmt.Errorf("amp: LogRetentionDays = %d: one of CloudWatch Logs' retention values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …, 3653)", a.LogRetentionDays)
	case a.RunbookBase != "" && !strings.HasPrefix(a.RunbookBase, "https://"):
		return fmt.Errorf("amp: RunbookBase = %q: an https:// URL", a.RunbookBase)
	}
	// AMP-workspace-configuration.md: retention from 1 day to 1095 days (three years).
	if d := int(a.Spec.WithDefaults().Retention.Metrics.Hours() / 24); d < 1 || d > 1095 {
		return fmt.Errorf("amp: Spec.Retention.Metrics = %s: AMP keeps metrics from 1 to 1095 days", a.Spec.Retention.Metrics)
	}
	switch a.Receiver.Kind {
	case observability.NoReceiver:
		if a.Receiver.Email != "" || a.Receiver.WebhookURL != nil {
			return fmt.Errorf("amp: Receiver.Kind is empty but Email or WebhookURL is set: set Kind email or webhook")
		}
	case observability.Email:
		if !strings.Contains(a.Receiver.Email, "@") || a.Receiver.WebhookURL != nil {
			return fmt.Errorf("amp: Receiver = email: Email = %q must be an address and WebhookURL unset", a.Receiver.Email)
		}
	case observability.Webhook:
		if a.Receiver.WebhookURL == nil || a.Receiver.Email != "" {
			return fmt.Errorf("amp: Receiver = webhook: WebhookURL is required and Email must be unset")
		}
	default:
		return fmt.Errorf("amp: Receiver.Kind = %q: empty, email or webhook", a.Receiver.Kind)
	}
	if err := a.validateCloudWatch(); err != nil {
		return err
	}
	if ns := a.KubeStateMetricsNamespace; ns != "" && !dnsLabelRE.MatchString(ns) {
		return fmt.Errorf("amp: KubeStateMetricsNamespace = %q: a Kubernetes namespace name (DNS label)", ns)
	}
	if _, err := ScrapeConfiguration(a.Spec, a.ClusterName, a.KubeStateMetricsNamespace); err != nil {
		return err
	}
	return nil
}

// New creates the workspace, the collector, the rules, the Alertmanager, the alert topic and its
// subscription, and the CloudWatch alarms and dashboard.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Observability, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	scrape, err := ScrapeConfiguration(args.Spec, args.ClusterName, args.KubeStateMetricsNamespace)
	if err != nil {
		return nil, err
	}
	comp := &Observability{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"name": pulumi.String(args.Name), "cluster": pulumi.String(args.ClusterName), "receiver": pulumi.String(string(args.Receiver.Kind)),
		"kubeStateMetricsNamespace": pulumi.String(args.KubeStateMetricsNamespace),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	part, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("amp: reading the partition: %w", err)
	}
	id, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("amp: reading the account: %w", err)
	}
	w := where{partition: part.Partition, region: args.Region, account: id.AccountId}
	tags := func(n string) pulumi.StringMap {
		m := pulumi.ToStringMap(args.Tags)
		m["Name"] = pulumi.String(n)
		return m
	}

	kp, err := keyPolicy(w)
	if err != nil {
		return nil, err
	}
	key, err := kms.NewKey(ctx, name+"-kms", &kms.KeyArgs{
		Description:          pulumi.String("Alert topic and log groups of the data platform's observability (" + args.Name + ")"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Policy:               pulumi.String(kp),
		Tags:                 tags(name + "-kms"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(ctx, name+"-kms-alias", &kms.AliasArgs{Name: pulumi.String("alias/" + args.Name + "/observability"), TargetKeyId: key.KeyId}, parent); err != nil {
		return nil, err
	}

	// AMP-logging.md: the workspace publishes rule-evaluation and Alertmanager errors to a log group
	// that must exist; /aws/vendedlogs/ keeps CloudWatch's resource policy for vended logs small.
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-workspace-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/vendedlogs/prometheus/" + args.Name),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        key.Arn,
		Tags:            tags(name + "-workspace-logs"),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The workspace is encrypted with an AWS owned key: a customer managed key would oblige the managed
	// collector to write through a source and a target role of ours (AMP-collector-how-to.md
	// "Creating scraper for workspaces enabled with customer managed keys").
	ws, err := awsamp.NewWorkspace(ctx, name+"-workspace", &awsamp.WorkspaceArgs{
		Alias: pulumi.String(args.Name),
		LoggingConfiguration: &awsamp.WorkspaceLoggingConfigurationArgs{
			// pulumi-aws@v6.83.4 sdk/go/aws/amp/workspace.go example: the log group's ARN with ":*".
			LogGroupArn: logs.Arn.ApplyT(func(arn string) string { return arn + ":*" }).(pulumi.StringOutput),
		},
		Tags: tags(name + "-workspace"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	days := int(args.Spec.WithDefaults().Retention.Metrics.Hours() / 24)
	if _, err := awsamp.NewWorkspaceConfiguration(ctx, name+"-retention", &awsamp.WorkspaceConfigurationArgs{
		WorkspaceId: ws.ID().ToStringOutput(), RetentionPeriodInDays: pulumi.Int(days),
	}, parent); err != nil {
		return nil, err
	}

	clusterARN := args.Cluster.ToStringOutput().ApplyT(func(n string) string {
		return "arn:" + w.partition + ":eks:" + w.region + ":" + w.account + ":cluster/" + n
	}).(pulumi.StringOutput)
	if _, err := awsamp.NewScraper(ctx, name+"-collector", &awsamp.ScraperArgs{
		Alias:               pulumi.String(args.Name),
		ScrapeConfiguration: pulumi.String(scrape),
		Source: &awsamp.ScraperSourceArgs{Eks: &awsamp.ScraperSourceEksArgs{
			ClusterArn: clusterARN, SubnetIds: args.SubnetIDs, SecurityGroupIds: args.SecurityGroupIDs,
		}},
		Destination: &awsamp.ScraperDestinationArgs{Amp: &awsamp.ScraperDestinationAmpArgs{WorkspaceArn: ws.Arn}},
		Tags:        tags(name + "-collector"),
	}, parent); err != nil {
		return nil, err
	}
	if err := admitCollector(ctx, name, args, parent); err != nil {
		return nil, err
	}

	if len(args.Spec.Rules) > 0 {
		data, err := RuleNamespaceData(args.Spec, RuleGroup, args.RunbookBase)
		if err != nil {
			return nil, err
		}
		if _, err := awsamp.NewRuleGroupNamespace(ctx, name+"-rules", &awsamp.RuleGroupNamespaceArgs{
			Name: pulumi.String(RuleGroup), WorkspaceId: ws.ID().ToStringOutput(), Data: pulumi.String(data), Tags: tags(name + "-rules"),
		}, parent); err != nil {
			return nil, err
		}
	}

	topic, err := sns.NewTopic(ctx, name+"-alerts", &sns.TopicArgs{
		Name: pulumi.String(args.Name + "-alerts"), KmsMasterKeyId: key.Arn, Tags: tags(name + "-alerts"),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := pulumi.All(topic.Arn, ws.Arn).ApplyT(func(v []any) (string, error) {
		db := ""
		if args.Database != nil {
			db = args.Database.Identifier
		}
		return topicPolicy(w, v[0].(string), v[1].(string), db)
	}).(pulumi.StringOutput)
	tp, err := sns.NewTopicPolicy(ctx, name+"-alerts-policy", &sns.TopicPolicyArgs{Arn: topic.Arn, Policy: policy}, parent)
	if err != nil {
		return nil, err
	}
	definition := topic.Arn.ApplyT(func(arn string) (string, error) { return AlertManagerDefinition(arn, args.Region) }).(pulumi.StringOutput)
	if _, err := awsamp.NewAlertManagerDefinition(ctx, name+"-alertmanager", &awsamp.AlertManagerDefinitionArgs{
		WorkspaceId: ws.ID().ToStringOutput(), Definition: definition,
	}, parent, pulumi.DependsOn([]pulumi.Resource{tp})); err != nil {
		return nil, err
	}
	var sub *sns.TopicSubscription
	switch args.Receiver.Kind {
	case observability.Email:
		sub, err = sns.NewTopicSubscription(ctx, name+"-receiver", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(args.Receiver.Email),
		}, parent)
	case observability.Webhook:
		sub, err = sns.NewTopicSubscription(ctx, name+"-receiver", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("https"),
			Endpoint: pulumi.ToSecret(args.Receiver.WebhookURL.ToStringOutput()).(pulumi.StringOutput),
		}, parent)
	}
	if err != nil {
		return nil, err
	}
	comp.Receiver = pulumi.String("none: alerts and alarms reach the topic, which has no subscriber (set observability.receiver)").ToStringOutput()
	if sub != nil {
		// pulumi-aws@v6.83.4 sdk/go/aws/sns/topicSubscription.go PendingConfirmation: "Whether the
		// subscription has not been confirmed."
		comp.Receiver = pulumi.All(sub.Protocol, sub.PendingConfirmation).ApplyT(func(v []any) string {
			protocol, _ := v[0].(string)
			if pending, _ := v[1].(bool); pending {
				return protocol + ": pending confirmation — nothing is delivered until it is confirmed"
			}
			return protocol + ": confirmed"
		}).(pulumi.StringOutput)
	}

	alarms, dashboard, err := newCloudWatch(ctx, name, args, w, topic.Arn, key.Arn, tags, parent, []pulumi.Resource{tp})
	if err != nil {
		return nil, err
	}

	comp.WorkspaceID, comp.WorkspaceARN, comp.PrometheusEndpoint = ws.ID().ToStringOutput(), ws.Arn, ws.PrometheusEndpoint
	comp.TopicARN, comp.KMSKeyARN, comp.DashboardName, comp.Alarms = topic.Arn, key.Arn, dashboard, alarms
	comp.name, comp.args, comp.topicReady = name, args, []pulumi.Resource{tp}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"workspaceId": comp.WorkspaceID, "workspaceArn": comp.WorkspaceARN, "prometheusEndpoint": comp.PrometheusEndpoint,
		"topicArn": comp.TopicARN, "kmsKeyArn": comp.KMSKeyARN, "dashboard": pulumi.String(dashboard),
		"alarms": pulumi.ToStringArray(alarms), "receiver": comp.Receiver,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
