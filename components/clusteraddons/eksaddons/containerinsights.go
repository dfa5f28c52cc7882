package eksaddons

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
)

// ContainerInsightsType is the component's type token.
const ContainerInsightsType = "dataplatform:aws:ContainerInsights"

const (
	// cloudWatchAddon is the EKS add-on that installs the CloudWatch agent and Fluent Bit (CloudWatch
	// user guide install-CloudWatch-Observability-EKS-addon.md: add-on name
	// amazon-cloudwatch-observability; the agent's and Fluent Bit's service account is
	// cloudwatch-agent in namespace amazon-cloudwatch, whose role needs the AWS managed policy
	// CloudWatchAgentServerPolicy; EKS Pod Identity is supported from add-on v3.1.0).
	cloudWatchAddon = "amazon-cloudwatch-observability"
	// CloudWatchNamespace and CloudWatchServiceAccount are where the agents run and whom the role binds.
	CloudWatchNamespace      = "amazon-cloudwatch"
	CloudWatchServiceAccount = "cloudwatch-agent"
)

// ContainerInsightsLogGroups are the log groups Fluent Bit writes to, by suffix of
// /aws/containerinsights/<cluster>/ (CloudWatch user guide Container-Insights-setup-logs-FluentBit.md:
// application — container logs; host — the nodes' system logs; dataplane — kubelet, kube-proxy and
// the container runtime; performance — Container Insights' performance events).
var ContainerInsightsLogGroups = []string{"application", "dataplane", "host", "performance"}

// ContainerInsightsArgs configures the add-on.
type ContainerInsightsArgs struct {
	// ClusterName is the EKS cluster's name (it names the log groups); Cluster is its output.
	ClusterName string
	Cluster     pulumi.StringInput
	// KubernetesVersion picks the add-on's default version for the control plane (eks.GetAddonVersion).
	KubernetesVersion string
	// RetentionDays keeps the log groups (a CloudWatch Logs retention value).
	RetentionDays int
	// KMSKeyARN encrypts the log groups; its policy must admit CloudWatch Logs.
	KMSKeyARN pulumi.StringInput
	// Provider reaches the cluster; the add-on waits for it (nodes up).
	Provider *kubernetes.Provider
	// Tags are added to the AWS resources.
	Tags map[string]string
}

// ContainerInsights is the component.
type ContainerInsights struct {
	pulumi.ResourceState
	// LogGroups are the log groups' names, in ContainerInsightsLogGroups order.
	LogGroups []string
	// Addon is the EKS add-on.
	Addon *eks.Addon
}

// NewContainerInsights creates the log groups with retention and encryption before the add-on does
// (Fluent Bit creates a missing group without either, outside Pulumi), the agents' Pod Identity role,
// and the add-on.
func NewContainerInsights(ctx *pulumi.Context, name string, args *ContainerInsightsArgs, opts ...pulumi.ResourceOption) (*ContainerInsights, error) {
	switch {
	case args == nil:
		return nil, fmt.Errorf("eksaddons: ContainerInsightsArgs is nil")
	case !clusterNameRE.MatchString(args.ClusterName) || args.Cluster == nil:
		return nil, fmt.Errorf("eksaddons: ClusterName = %q: the EKS cluster's name, with Cluster its output", args.ClusterName)
	case args.KMSKeyARN == nil || args.Provider == nil:
		return nil, fmt.Errorf("eksaddons: KMSKeyARN and Provider are required")
	case !cloudWatchRetentions[args.RetentionDays]:
		return nil, fmt.Errorf("eksaddons: RetentionDays = %d: a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …, 3653)", args.RetentionDays)
	}
	comp := &ContainerInsights{}
	if err := ctx.RegisterComponentResourceV2(ContainerInsightsType, name, pulumi.Map{
		"clusterName": pulumi.String(args.ClusterName), "retentionDays": pulumi.Int(args.RetentionDays),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	var groups []pulumi.Resource
	for _, g := range ContainerInsightsLogGroups {
		n := "/aws/containerinsights/" + args.ClusterName + "/" + g
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-"+g, &cloudwatch.LogGroupArgs{
			Name: pulumi.String(n), RetentionInDays: pulumi.Int(args.RetentionDays), KmsKeyId: args.KMSKeyARN,
			Tags: tags(args.Tags, name+"-"+g),
		}, parent)
		if err != nil {
			return nil, err
		}
		groups = append(groups, lg)
		comp.LogGroups = append(comp.LogGroups, n)
	}

	account, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: reading the account: %w", err)
	}
	part, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: reading the partition: %w", err)
	}
	trust, err := json.Marshal(awsiam.PodIdentityTrust(account.AccountId, args.ClusterName, CloudWatchNamespace, CloudWatchServiceAccount))
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("CloudWatch agent and Fluent Bit of EKS cluster " + args.ClusterName + " (Pod Identity)"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags(args.Tags, name+"-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	attach, err := iam.NewRolePolicyAttachment(ctx, name+"-policy", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:" + part.Partition + ":iam::aws:policy/CloudWatchAgentServerPolicy"),
	}, parent)
	if err != nil {
		return nil, err
	}

	v, err := eks.GetAddonVersion(ctx, &eks.GetAddonVersionArgs{AddonName: cloudWatchAddon, KubernetesVersion: args.KubernetesVersion}, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: looking up the %s add-on version for Kubernetes %s: %w", cloudWatchAddon, args.KubernetesVersion, err)
	}
	addon, err := eks.NewAddon(ctx, name+"-addon", &eks.AddonArgs{
		ClusterName:  args.Cluster,
		AddonName:    pulumi.String(cloudWatchAddon),
		AddonVersion: pulumi.String(v.Version),
		// pulumi-aws@v6.83.4 sdk/go/aws/eks/pulumiTypes.go AddonPodIdentityAssociation: roleArn,
		// serviceAccount; EKS creates the association in the add-on's namespace.
		PodIdentityAssociations: eks.AddonPodIdentityAssociationArray{eks.AddonPodIdentityAssociationArgs{
			RoleArn: role.Arn, ServiceAccount: pulumi.String(CloudWatchServiceAccount),
		}},
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     tags(args.Tags, name+"-addon"),
	}, parent, pulumi.DependsOn(append(groups, attach, args.Provider)))
	if err != nil {
		return nil, err
	}
	comp.Addon = addon
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"logGroups": pulumi.ToStringArray(comp.LogGroups), "addonVersion": pulumi.String(v.Version),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// cloudWatchRetentions are the values CloudWatch Logs accepts (API PutRetentionPolicy retentionInDays).
var cloudWatchRetentions = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}
