// Package eksaddons installs the add-ons an EKS cluster lacks (package clusteraddons): the Kubernetes
// Cluster Autoscaler for the managed node groups, and metrics-server for the HorizontalPodAutoscalers.
package eksaddons

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/opendataplatform/dataplatform/components/clusteraddons"
	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AddonsType is the component's type token.
const AddonsType = "dataplatform:aws:ClusterAddons"

const (
	// Namespace and ServiceAccount are where the Cluster Autoscaler runs and whom its Pod Identity
	// association binds.
	Namespace      = "kube-system"
	ServiceAccount = "cluster-autoscaler"
	// metricsServerAddon is the EKS community add-on (EKS user guide, community-addons.adoc:
	// "Add-on name `metrics-server`", namespace kube-system, no IAM permissions).
	metricsServerAddon = "metrics-server"
)

// autoscalerImages pins the Cluster Autoscaler per Kubernetes minor: the autoscaler's minor must match
// the control plane's (its scheduler simulation is the same Kubernetes release). The tags are the
// kubernetes/autoscaler releases cluster-autoscaler-1.33.6, -1.34.5 and -1.35.2 ("Images:
// registry.k8s.io/autoscaling/cluster-autoscaler:vX.Y.Z"); the image is a multi-arch manifest list.
var autoscalerImages = map[string]string{
	// config.EKSMinors must list exactly these minors (tests/cluster_test.go checks).
	"1.33": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.6",
	"1.34": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5",
	"1.35": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2",
}

// PinnedMinors are the Kubernetes minors with a pinned Cluster Autoscaler, sorted.
func PinnedMinors() []string {
	out := make([]string, 0, len(autoscalerImages))
	for m := range autoscalerImages {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// AddonsArgs configures the add-ons.
type AddonsArgs struct {
	// ClusterName is the EKS cluster's name; the autoscaler discovers the Auto Scaling groups tagged
	// k8s.io/cluster-autoscaler/<ClusterName>, and its IAM role may only scale those.
	ClusterName string
	// Cluster is the cluster's name as an output of the cluster, so the add-ons wait for it.
	Cluster pulumi.StringInput
	// KubernetesVersion is the control plane's minor version; it picks the autoscaler image.
	KubernetesVersion string
	// Region is the cluster's region; the autoscaler gets it as AWS_REGION (pods cannot reach IMDS).
	Region string
	// AutoscalerImage overrides the pinned autoscaler image (a mirror, or a minor not in the table).
	AutoscalerImage string
	// NodeGroupARNs are the managed node groups' ARNs (eks:DescribeNodegroup is scoped to them).
	NodeGroupARNs pulumi.StringArrayInput
	// Pools are the cluster's node pools; the autoscaler is installed when one may grow.
	Pools []clusteraddons.Pool
	// SystemNodeSelector places the autoscaler on the system pool (e.g. dataplatform.io/pool=system).
	SystemNodeSelector map[string]string
	// Provider reaches the cluster; it must be ready (nodes up) before the add-ons install.
	Provider *kubernetes.Provider
	// Tags are added to the AWS resources.
	Tags map[string]string
}

// Addons is the component.
type Addons struct {
	pulumi.ResourceState
	// Provided says what the cluster has now.
	Provided clusteraddons.Provided
	// Ready are the resources workloads with HPAs, or pods that need the pools to grow, can wait for.
	Ready []pulumi.Resource
}

var (
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	imageRE       = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$`)
	labelKeyRE    = regexp.MustCompile(`^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`)
)

func (a *AddonsArgs) validate() (string, error) {
	if a == nil {
		return "", fmt.Errorf("eksaddons: args is nil; pass an *AddonsArgs")
	}
	if !clusterNameRE.MatchString(a.ClusterName) {
		return "", fmt.Errorf("eksaddons: ClusterName = %q; must be an EKS cluster name", a.ClusterName)
	}
	switch {
	case a.Cluster == nil:
		return "", fmt.Errorf("eksaddons: Cluster is nil; pass the EKS cluster's name output")
	case a.NodeGroupARNs == nil:
		return "", fmt.Errorf("eksaddons: NodeGroupARNs is nil; pass the cluster's node group ARNs")
	case a.Provider == nil:
		return "", fmt.Errorf("eksaddons: Provider is nil; pass the cluster's Kubernetes provider")
	}
	image := a.AutoscalerImage
	if image == "" {
		image = autoscalerImages[a.KubernetesVersion]
	}
	if image == "" {
		return "", fmt.Errorf("eksaddons: KubernetesVersion = %q has no pinned Cluster Autoscaler (pinned: 1.33, 1.34, 1.35); set AutoscalerImage to the cluster-autoscaler release of that minor", a.KubernetesVersion)
	}
	if !imageRE.MatchString(image) {
		return "", fmt.Errorf("eksaddons: AutoscalerImage = %q; must be a registry/repository:tag or @sha256 reference", image)
	}
	for k := range a.SystemNodeSelector {
		if !labelKeyRE.MatchString(k) {
			return "", fmt.Errorf("eksaddons: SystemNodeSelector key %q; must be a Kubernetes label key", k)
		}
	}
	for k := range a.Tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return "", fmt.Errorf("eksaddons: Tags key %q; must be non-empty and must not start with the reserved prefix \"aws:\"", k)
		}
	}
	return image, nil
}

// NewAddons installs metrics-server and, when a pool may grow, the Cluster Autoscaler.
func NewAddons(ctx *pulumi.Context, name string, args *AddonsArgs, opts ...pulumi.ResourceOption) (*Addons, error) {
	image, err := args.validate()
	if err != nil {
		return nil, err
	}
	comp := &Addons{}
	pools := pulumi.Array{}
	growable := false
	for _, p := range args.Pools {
		pools = append(pools, pulumi.Map{"name": pulumi.String(p.Name), "minNodes": pulumi.Int(p.MinNodes), "maxNodes": pulumi.Int(p.MaxNodes)})
		growable = growable || p.Growable()
	}
	if err := ctx.RegisterComponentResourceV2(AddonsType, name, pulumi.Map{
		"clusterName": pulumi.String(args.ClusterName), "kubernetesVersion": pulumi.String(args.KubernetesVersion),
		"autoscalerImage": pulumi.String(image), "pools": pools,
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// The EKS add-on installs metrics-server's Deployment, APIService and RBAC; it needs nodes to turn
	// ACTIVE, so it waits for the provider, which waits for the node groups.
	v, err := eks.GetAddonVersion(ctx, &eks.GetAddonVersionArgs{AddonName: metricsServerAddon, KubernetesVersion: args.KubernetesVersion}, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: looking up the %s add-on version for Kubernetes %s: %w", metricsServerAddon, args.KubernetesVersion, err)
	}
	metrics, err := eks.NewAddon(ctx, name+"-metrics-server", &eks.AddonArgs{
		ClusterName:              args.Cluster,
		AddonName:                pulumi.String(metricsServerAddon),
		AddonVersion:             pulumi.String(v.Version),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     tags(args.Tags, name+"-metrics-server"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{args.Provider}))
	if err != nil {
		return nil, err
	}
	comp.Provided = clusteraddons.Provided{Metrics: clusteraddons.MetricsServer}
	comp.Ready = []pulumi.Resource{metrics}

	if growable {
		deploy, err := newAutoscaler(ctx, name, args, image, parent)
		if err != nil {
			return nil, err
		}
		comp.Provided.Autoscaler = clusteraddons.ClusterAutoscaler
		comp.Ready = append(comp.Ready, deploy)
	}
	if err := clusteraddons.Check(args.Pools, comp.Provided, true); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"autoscaler": pulumi.String(string(comp.Provided.Autoscaler)), "metrics": pulumi.String(string(comp.Provided.Metrics)),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// autoscalerPolicy is the Cluster Autoscaler's IAM policy (kubernetes/autoscaler
// cluster-autoscaler/cloudprovider/aws/README.md, "IAM Policy" plus autoscaling:DescribeTags and
// ec2:DescribeLaunchTemplateVersions for auto-discovery of launch-template groups), with the two
// actions that change capacity limited to Auto Scaling groups tagged for this cluster: EKS tags every
// managed node group's group with k8s.io/cluster-autoscaler/enabled=true and
// k8s.io/cluster-autoscaler/<cluster name>=owned (EKS user guide, managed-node-groups.adoc: "Amazon
// EKS tags managed node group resources so that they are configured to use the Kubernetes Cluster
// Autoscaler"), and eks:DescribeNodegroup limited to the cluster's node groups.
func autoscalerPolicy(clusterName string, nodeGroupARNs []string) awsiam.PolicyDocument {
	return awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{
		{
			Effect:   "Allow", // scale only this cluster's groups
			Action:   []string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"},
			Resource: []string{"*"},
			Condition: map[string]map[string]any{"StringEquals": {
				"aws:ResourceTag/k8s.io/cluster-autoscaler/" + clusterName: "owned",
			}},
		},
		{
			Effect: "Allow", // discovery
			Action: []string{
				"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
				"autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeTags",
				"ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplateVersions",
				"ec2:GetInstanceTypesFromInstanceRequirements",
			},
			Resource: []string{"*"}, // Describe* calls support no resource-level permissions
		},
		{Effect: "Allow", Action: []string{"eks:DescribeNodegroup"}, Resource: nodeGroupARNs},
	}}
}

// autoscalerRole creates the Pod Identity role of the autoscaler's ServiceAccount.
func autoscalerRole(ctx *pulumi.Context, name string, args *AddonsArgs, parent pulumi.ResourceOrInvokeOption) ([]pulumi.Resource, error) {
	account, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: reading the account: %w", err)
	}
	trust, err := json.Marshal(awsiam.PodIdentityTrust(account.AccountId, args.ClusterName, Namespace, ServiceAccount))
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-autoscaler-role", &iam.RoleArgs{
		Description:      pulumi.String("Cluster Autoscaler of EKS cluster " + args.ClusterName + " (Pod Identity)"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags(args.Tags, name+"-autoscaler-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := args.NodeGroupARNs.ToStringArrayOutput().ApplyT(func(arns []string) (string, error) {
		b, err := json.Marshal(autoscalerPolicy(args.ClusterName, arns))
		return string(b), err
	}).(pulumi.StringOutput)
	rp, err := iam.NewRolePolicy(ctx, name+"-autoscaler-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, parent)
	if err != nil {
		return nil, err
	}
	assoc, err := eks.NewPodIdentityAssociation(ctx, name+"-autoscaler-pod-identity", &eks.PodIdentityAssociationArgs{
		ClusterName: args.Cluster, Namespace: pulumi.String(Namespace), ServiceAccount: pulumi.String(ServiceAccount),
		RoleArn: role.Arn, Tags: tags(args.Tags, name+"-autoscaler-pod-identity"),
	}, parent)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{rp, assoc}, nil
}

func tags(base map[string]string, resourceName string) pulumi.StringMap {
	m := pulumi.ToStringMap(base)
	m["Name"] = pulumi.String(resourceName)
	return m
}
