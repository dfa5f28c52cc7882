// Package eck installs Elastic Cloud on Kubernetes (ECK), the cluster add-on that runs the
// platform's Elasticsearch and Kibana (package elasticsearch writes their custom resources): it
// creates the node sets' StatefulSets, the TLS certificates of HTTP and transport, the built-in users
// and the PodDisruptionBudget, and performs rolling upgrades node by node.
//
// Every value below is checked against github.com/elastic/cloud-on-k8s/v3@v3.5.0 (read from the Go
// module proxy, never a dependency: ECK is under the Elastic License 2.0) — deploy/eck-operator:
// Chart.yaml (eck-operator 3.5.0, appVersion 3.5.0, dependency eck-operator-crds 3.5.0 under
// condition installCRDs), values.yaml and templates/*.yaml. The chart's repository is
// https://helm.elastic.co (the research note and the ECK install docs name it).
package eck

import (
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// Type is the component's type token.
const Type = "dataplatform:clusteraddons:ECK"

const (
	ChartRepo    = "https://helm.elastic.co"
	ChartName    = "eck-operator"
	ChartVersion = "3.5.0"
	// ImageRepository and ImageTag pin the operator image (values.yaml image.repository; image.tag
	// defaults to the appVersion 3.5.0, stated here rather than left to the default).
	ImageRepository = "docker.elastic.co/eck/eck-operator"
	ImageTag        = "3.5.0"

	// Namespace is the operator's own namespace.
	Namespace = "elastic-system"
	// ServiceAccount is the operator's ServiceAccount: the chart names it after its fullname
	// (templates/_helpers.tpl eck-operator.serviceAccountName; values fullnameOverride
	// "elastic-operator").
	ServiceAccount = "elastic-operator"
	// release is the Helm release name; the pods carry app.kubernetes.io/name elastic-operator
	// (values nameOverride) and app.kubernetes.io/instance <release> (_helpers.tpl
	// eck-operator.selectorLabels).
	release = "elastic-operator"
	// PodName is the operator pods' app.kubernetes.io/name label.
	PodName = "elastic-operator"
	// WebhookPort is the validating webhook's container port (values webhook.port).
	WebhookPort = 9443
	// ElasticsearchHTTPPort is where the operator calls each Elasticsearch cluster's API (the chart's
	// own soft-multi-tenancy policy, templates/operator-network-policy.yaml, admits exactly 9200
	// to pods labelled common.k8s.elastic.co/type: elasticsearch).
	ElasticsearchHTTPPort = 9200
)

// Args are the inputs of the add-on.
type Args struct {
	// HighAvailability runs two replicas with leader election and a PodDisruptionBudget (prod).
	HighAvailability bool
	// ManagedNamespaces are the namespaces the operator watches (values managedNamespaces →
	// config namespaces in templates/configmap.yaml). Required: the platform runs its Elastic
	// resources in its data namespace only.
	ManagedNamespaces []string
	// APIServerCIDRs are the Kubernetes API server's addresses (443/6443). Required.
	APIServerCIDRs []string
	// Scheduling places the pods.
	Scheduling cluster.Scheduling
	// Labels are added to the namespace and the platform's own objects.
	Labels map[string]string
}

// Operator is the add-on component.
type Operator struct {
	pulumi.ResourceState

	// Chart is the release: an Elasticsearch or Kibana waits for it (its CRDs and its webhook).
	Chart *helmv4.Chart
}

func (a *Args) validate() error {
	if len(a.ManagedNamespaces) == 0 {
		return fmt.Errorf("eck: ManagedNamespaces is empty; name the namespaces that hold Elasticsearch and Kibana")
	}
	for _, n := range a.ManagedNamespaces {
		if n == "" || n == Namespace {
			return fmt.Errorf("eck: ManagedNamespaces entry %q: a workload namespace other than %s", n, Namespace)
		}
	}
	if len(a.APIServerCIDRs) == 0 {
		return fmt.Errorf("eck: APIServerCIDRs is empty; name the Kubernetes API server's addresses (kubectl get endpoints kubernetes)")
	}
	return k8snet.ValidateCIDRs("eck: APIServerCIDRs", a.APIServerCIDRs)
}

// New installs the operator in Namespace.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Operator, error) {
	if args == nil {
		return nil, fmt.Errorf("eck: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Operator{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"chartVersion":     pulumi.String(ChartVersion),
		"image":            pulumi.String(ImageRepository + ":" + ImageTag),
		"highAvailability": pulumi.Bool(args.HighAvailability),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// The operator holds no state of its own: the clusters' state is in their volumes.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := k8snet.PartOfLabels(args.Labels)
	// The operator runs non-root with a read-only root file system, no privilege escalation and all
	// capabilities dropped (values podSecurityContext, securityContext); Values adds the
	// RuntimeDefault seccomp profile, so the pod meets "restricted".
	ns, err := k8snet.NewAddonNamespace(ctx, name+"-namespace", Namespace, "restricted", labels, child)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	policies, err := networkPolicies(ctx, name, nsName, labels, args, child)
	if err != nil {
		return nil, err
	}
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(ChartName),
		Version:        pulumi.String(ChartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(ChartRepo)},
		Name:           pulumi.String(release),
		Namespace:      nsName,
		Values:         Values(args),
	}, child, pulumi.DependsOn(policies))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": nsName, "chartVersion": pulumi.String(ChartVersion)}); err != nil {
		return nil, err
	}
	return comp, nil
}
