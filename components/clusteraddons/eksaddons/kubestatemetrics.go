package eksaddons

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KubeStateMetricsType is the component's type token.
const KubeStateMetricsType = "dataplatform:aws:KubeStateMetrics"

const (
	// kubeStateMetricsAddon is the EKS community add-on (EKS user guide community-addons.adoc,
	// "kube-state-metrics": add-on name `kube-state-metrics`, namespace `kube-state-metrics`, no
	// service account, no IAM policy). Community add-ons are installed, versioned and removed through
	// the EKS add-on API like AWS's own; AWS validates them for the cluster's Kubernetes version.
	kubeStateMetricsAddon = "kube-state-metrics"
	// KubeStateMetricsNamespace is where the add-on runs kube-state-metrics.
	KubeStateMetricsNamespace = "kube-state-metrics"
)

// minorRE is a Kubernetes minor version as EKS names it ("1.34").
var minorRE = regexp.MustCompile(`^1\.[0-9]{1,2}$`)

// KubeStateMetricsArgs configures the add-on.
type KubeStateMetricsArgs struct {
	// Cluster is the EKS cluster's name as an output of the cluster.
	Cluster pulumi.StringInput
	// KubernetesVersion picks the add-on's default version for the control plane (eks.GetAddonVersion,
	// as for metrics-server and Container Insights).
	KubernetesVersion string
	// Provider reaches the cluster; the add-on waits for it (nodes up: an add-on without a schedulable
	// node stays DEGRADED and its creation times out).
	Provider *kubernetes.Provider
	// Tags are added to the add-on.
	Tags map[string]string
}

// KubeStateMetrics is the component.
type KubeStateMetrics struct {
	pulumi.ResourceState
	// Namespace is where kube-state-metrics runs (KubeStateMetricsNamespace).
	Namespace string
	// Addon is the EKS add-on.
	Addon *eks.Addon
}

// NewKubeStateMetrics installs kube-state-metrics as the EKS community add-on. Its series (pods'
// phases and waiting reasons, StatefulSets' ready replicas) are what the platform's rules on
// crash-looping pods, failed sync pods and lost Dremio executors read; a collector scrapes it in
// Namespace on port 8080 (amp.KubeStateMetricsPort).
func NewKubeStateMetrics(ctx *pulumi.Context, name string, args *KubeStateMetricsArgs, opts ...pulumi.ResourceOption) (*KubeStateMetrics, error) {
	switch {
	case args == nil:
		return nil, fmt.Errorf("eksaddons: KubeStateMetricsArgs is nil")
	case args.Cluster == nil || args.Provider == nil:
		return nil, fmt.Errorf("eksaddons: KubeStateMetricsArgs: Cluster and Provider are required")
	case !minorRE.MatchString(args.KubernetesVersion):
		return nil, fmt.Errorf("eksaddons: KubeStateMetricsArgs.KubernetesVersion = %q: the control plane's minor version (\"1.34\")", args.KubernetesVersion)
	}
	for k := range args.Tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, fmt.Errorf("eksaddons: KubeStateMetricsArgs.Tags key %q; must be non-empty and must not start with the reserved prefix \"aws:\"", k)
		}
	}
	comp := &KubeStateMetrics{Namespace: KubeStateMetricsNamespace}
	if err := ctx.RegisterComponentResourceV2(KubeStateMetricsType, name, pulumi.Map{
		"kubernetesVersion": pulumi.String(args.KubernetesVersion), "namespace": pulumi.String(KubeStateMetricsNamespace),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	v, err := eks.GetAddonVersion(ctx, &eks.GetAddonVersionArgs{AddonName: kubeStateMetricsAddon, KubernetesVersion: args.KubernetesVersion}, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: looking up the %s add-on version for Kubernetes %s: %w", kubeStateMetricsAddon, args.KubernetesVersion, err)
	}
	addon, err := eks.NewAddon(ctx, name+"-addon", &eks.AddonArgs{
		ClusterName:              args.Cluster,
		AddonName:                pulumi.String(kubeStateMetricsAddon),
		AddonVersion:             pulumi.String(v.Version),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     tags(args.Tags, name+"-addon"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{args.Provider}))
	if err != nil {
		return nil, err
	}
	comp.Addon = addon
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace": pulumi.String(KubeStateMetricsNamespace), "addonVersion": pulumi.String(v.Version),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
