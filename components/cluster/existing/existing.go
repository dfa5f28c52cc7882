// Package existing connects the platform to a Kubernetes cluster you already run — kind, k3d, Docker
// Desktop for development, or any conformant cluster — through a kubeconfig and context.
package existing

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// ClusterType is the component's type token.
const ClusterType = "dataplatform:kubernetes:KubernetesCluster"

// ClusterArgs selects the cluster.
type ClusterArgs struct {
	// Kubeconfig is a kubeconfig path or its content; empty uses KUBECONFIG or ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context; empty uses the current context.
	Context string
	// StorageClasses names existing classes for fast and standard volumes; empty names use the
	// cluster's default StorageClass.
	StorageClasses cluster.StorageClasses
	// Scheduling is what platform pods carry to land on the nodes meant for them (tolerations of
	// their taints, a node selector); the zero value schedules anywhere.
	Scheduling cluster.Scheduling
}

// Cluster is an existing cluster the platform deploys onto.
type Cluster struct {
	pulumi.ResourceState

	// Provider creates resources on the cluster.
	Provider *kubernetes.Provider
	// Info is the cloud-neutral view.
	Info cluster.Info
}

// NewCluster creates the Kubernetes provider for an existing cluster. Nothing is created in the cluster.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		args = &ClusterArgs{}
	}
	comp := &Cluster{}
	props := pulumi.Map{
		"context":         pulumi.String(args.Context),
		"fastSsdClass":    pulumi.String(args.StorageClasses.FastSSD),
		"standardClass":   pulumi.String(args.StorageClasses.Standard),
		"kubeconfigGiven": pulumi.Bool(args.Kubeconfig != ""),
	}
	if err := ctx.RegisterComponentResourceV2(ClusterType, name, props, comp, opts...); err != nil {
		return nil, err
	}

	providerArgs := &kubernetes.ProviderArgs{}
	if args.Kubeconfig != "" {
		// The provider accepts a path or the content; content may hold credentials, so keep it secret.
		providerArgs.Kubeconfig = pulumi.ToSecret(pulumi.String(args.Kubeconfig)).(pulumi.StringOutput)
	}
	if args.Context != "" {
		providerArgs.Context = pulumi.String(args.Context)
	}
	provider, err := kubernetes.NewProvider(ctx, name+"-provider", providerArgs, pulumi.Parent(comp))
	if err != nil {
		return nil, fmt.Errorf("existing cluster %s: %w", name, err)
	}

	contextName := args.Context
	if contextName == "" {
		contextName = "current-context"
	}
	comp.Provider = provider
	comp.Info = cluster.Info{
		Name:           pulumi.String(contextName).ToStringOutput(),
		Endpoint:       pulumi.String("").ToStringOutput(),
		Kubeconfig:     pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput),
		Provider:       provider,
		StorageClasses: args.StorageClasses,
		Identity:       cluster.WorkloadIdentity{Mechanism: cluster.NoCloudIdentity},
		Scheduling:     args.Scheduling,
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"context": pulumi.String(contextName)}); err != nil {
		return nil, err
	}
	return comp, nil
}
