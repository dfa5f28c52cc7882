// Package externalsecrets installs the External Secrets Operator (ESO), the cluster add-on that
// materializes the Kubernetes Secrets the platform's workloads read from the target's secret store
// (package secrets): it reads each ExternalSecret's remote credential through a ClusterSecretStore and
// writes the Secret, again every refresh interval, so a credential rotated in the store reaches the
// pods without a `pulumi up`.
//
// Every value below is checked against external-secrets/external-secrets at tag helm-chart-2.9.0
// (deploy/charts/external-secrets: Chart.yaml version 2.9.0, appVersion v2.9.0; values.yaml;
// templates/*.yaml). The chart installs the CRDs (templates/crds, installCRDs: true), the controller,
// the validating webhook and the cert-controller that issues the webhook's certificate and injects its
// CA (no cert-manager needed, no Helm hooks: helm/v4 Chart renders every object).
package externalsecrets

import (
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Type is the component's type token.
const Type = "dataplatform:clusteraddons:ExternalSecrets"

const (
	// ChartRepo, ChartName and ChartVersion pin the chart (Chart.yaml at helm-chart-2.9.0; the
	// repository is the one the project's README names).
	ChartRepo    = "https://charts.external-secrets.io"
	ChartName    = "external-secrets"
	ChartVersion = "2.9.0"
	// ImageRepository and ImageTag pin the image of all three deployments (values.yaml image,
	// webhook.image, certController.image: repository ghcr.io/external-secrets/external-secrets, tag
	// defaulting to the appVersion v2.9.0; stated rather than left to the default).
	ImageRepository = "ghcr.io/external-secrets/external-secrets"
	ImageTag        = "v2.9.0"

	// release names the chart's objects: the fullname is the release name when it contains the chart
	// name (templates/_helpers.tpl external-secrets.fullname), so the pods are labelled
	// app.kubernetes.io/name external-secrets, external-secrets-webhook and
	// external-secrets-cert-controller, app.kubernetes.io/instance external-secrets.
	release = "external-secrets"
	// WebhookPort is the webhook's container port (values webhook.port); the API server calls it
	// through the Service external-secrets-webhook:443.
	WebhookPort = 10250
)

// Args are the inputs of the add-on.
type Args struct {
	// HighAvailability runs two replicas of the controller, the webhook and the cert-controller with
	// leader election and a PodDisruptionBudget each (prod).
	HighAvailability bool
	// Scheduling places the pods.
	Scheduling cluster.Scheduling
	// APIServerCIDRs are the Kubernetes API server's addresses, which every pod here reaches on
	// 443/6443. Required.
	APIServerCIDRs []string
	// Settings are what the target's store asks of the controller (identity, egress).
	Settings secrets.OperatorSettings
	// Labels are added to the namespace and the platform's own objects.
	Labels map[string]string
}

// Operator is the add-on component.
type Operator struct {
	pulumi.ResourceState

	// Chart is the release: a ClusterSecretStore or ExternalSecret waits for it (its CRDs, and the
	// webhook that validates them with failurePolicy Fail).
	Chart *helmv4.Chart
}

func (a *Args) validate() error {
	if len(a.APIServerCIDRs) == 0 {
		return fmt.Errorf("externalsecrets: APIServerCIDRs is empty; name the Kubernetes API server's addresses (kubectl get endpoints kubernetes)")
	}
	if err := k8snet.ValidateCIDRs("externalsecrets: APIServerCIDRs", a.APIServerCIDRs); err != nil {
		return err
	}
	for _, e := range a.Settings.Egress {
		if err := k8snet.ValidateCIDRs("externalsecrets: Settings.Egress", []string{e.CIDR}); err != nil {
			return err
		}
		if len(e.TCPPorts) == 0 {
			return fmt.Errorf("externalsecrets: Settings.Egress to %s names no port", e.CIDR)
		}
		for _, p := range e.TCPPorts {
			if p < 1 || p > 65535 {
				return fmt.Errorf("externalsecrets: Settings.Egress to %s: port %d is not in 1-65535", e.CIDR, p)
			}
		}
	}
	return nil
}

// New installs the operator in secrets.OperatorNamespace.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Operator, error) {
	if args == nil {
		return nil, fmt.Errorf("externalsecrets: args are required")
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
	// Nothing here holds state.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := k8snet.PartOfLabels(args.Labels)
	// The chart's pods run as uid 1000, non-root, seccomp RuntimeDefault, no privilege escalation,
	// all capabilities dropped (values.yaml securityContext, webhook.securityContext,
	// certController.securityContext): they meet "restricted".
	ns, err := k8snet.NewAddonNamespace(ctx, name+"-namespace", secrets.OperatorNamespace, "restricted", labels, child)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	policies, err := networkPolicies(ctx, name, nsName, labels, args, child)
	if err != nil {
		return nil, err
	}
	deps := append(append([]pulumi.Resource{}, args.Settings.DependsOn...), policies...)
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(ChartName),
		Version:        pulumi.String(ChartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(ChartRepo)},
		Name:           pulumi.String(release),
		Namespace:      nsName,
		Values:         Values(args),
	}, child, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": nsName, "chartVersion": pulumi.String(ChartVersion)}); err != nil {
		return nil, err
	}
	return comp, nil
}
