// Package envoygateway is the platform's edge on the kubernetes target, and its TCP/gRPC edge on the
// clouds: Envoy Gateway (the Gateway API implementation) with cert-manager issuing the certificates.
//
// On the kubernetes target it serves every route. On Azure and GCP the cloud's L7 gateway carries the
// HTTPS routes, and this edge serves what that gateway cannot — Dremio's Arrow Flight (gRPC on its own
// port) and JDBC (plain TCP, TLS terminated here) — behind the cloud's passthrough load balancer:
// StreamRoutes picks those routes, EdgeArgs.Service shapes the load balancer, EdgeArgs.TLSRoutes
// serves them as TLSRoutes (hostnames that ExternalDNS publishes; GKE's managed Gateway API CRDs have
// no TCPRoute), ControllersArgs.ProviderGatewayAPI leaves the Gateway API CRDs to the provider, and
// the azureDNS / cloudDNS solvers issue ACME certificates under cert-manager's workload identity
// (ControllersArgs.CertManagerIdentity).
//
// Two components, because they sit in two layers:
//   - Controllers (cluster add-ons) installs cert-manager and Envoy Gateway — the Gateway API CRDs
//     (standard and experimental, v1.6.1) come with Envoy Gateway's chart, which is their only owner.
//     The stacks create it right after the cluster: the Barman Cloud plugin chart renders a
//     cert-manager Issuer, so cert-manager's CRDs must exist before the data layer.
//   - Edge builds, from the routes the engine publishes, the GatewayClass and its EnvoyProxy, the
//     Gateway and its listeners, the routes, the certificate and its issuer, the TLS and source-range
//     policies and the proxies' NetworkPolicies.
package envoygateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// ControllersType is the type token of the add-ons component.
const ControllersType = "dataplatform:edge:EnvoyGatewayControllers"

const (
	// EnvoyGatewayChart is Envoy Gateway's chart (envoyproxy/gateway@v1.9.0 tools/make/helm.mk:
	// OCI_REGISTRY oci://docker.io/envoyproxy, chart gateway-helm, version = the release tag).
	EnvoyGatewayChart = "oci://docker.io/envoyproxy/gateway-helm"
	// EnvoyGatewayCRDsChart holds the CRDs alone, as templates switched by values (helm.mk packages
	// and pushes every directory under charts/, gateway-crds-helm among them, at the same version).
	EnvoyGatewayCRDsChart = "oci://docker.io/envoyproxy/gateway-crds-helm"
	// EnvoyGatewayVersion pins the chart and the controller image (Envoy proxy distroless v1.39.0,
	// Gateway API v1.6.1; site/content/en/news/releases/matrix.md@v1.9.0).
	EnvoyGatewayVersion = "v1.9.0"
	// EnvoyGatewayImage is the image the chart runs (values.tmpl.yaml global.images.envoyGateway.image
	// = ${GatewayImage}, filled with docker.io/envoyproxy/gateway:<tag> by tools/make/helm.mk@v1.9.0);
	// the platform's certgen Job runs it too.
	EnvoyGatewayImage = "docker.io/envoyproxy/gateway:" + EnvoyGatewayVersion
	// CertManagerRepo and CertManagerVersion pin cert-manager's chart.
	CertManagerRepo    = "https://charts.jetstack.io"
	CertManagerVersion = "v1.21.1"

	// Namespace holds the Envoy Gateway controller, the proxies it deploys (ControllerNamespace mode,
	// the default: api/v1alpha1/envoygateway_types.go KubernetesDeployModeType), the Gateway, its
	// certificate and issuer. Users put the DNS-01 credential Secret here.
	Namespace = "envoy-gateway-system"
	// CertManagerNamespace holds cert-manager.
	CertManagerNamespace = "cert-manager"

	egRelease = "envoy-gateway"
	cmRelease = "cert-manager"
	// ControllerService is the controller's Service (charts/gateway-helm/templates/
	// envoy-gateway-service.yaml: name envoy-gateway, selector control-plane: envoy-gateway); the
	// proxies fetch their configuration from it over xDS on XDSPort (values deployment.ports grpc).
	controllerLabel = "control-plane"
	controllerValue = "envoy-gateway"
	XDSPort         = 18000
	certgenName     = "envoy-gateway-certgen"
)

// ControllersArgs are the inputs of the add-ons.
type ControllersArgs struct {
	// HighAvailability runs two replicas of every controller with a PodDisruptionBudget (prod).
	HighAvailability bool
	// Scheduling places the controllers' pods.
	Scheduling cluster.Scheduling
	// Labels are added to the namespaces and the platform's own objects.
	Labels map[string]string
	// ProviderGatewayAPI says the cluster's provider owns the Gateway API CRDs (GKE installs and
	// upgrades them itself: v1.5 standard channel with the Gateway API enabled on the cluster). The
	// gateway-helm chart's crds sub-chart is then switched off (crds.enabled: false, which also drops
	// the safe-upgrades ValidatingAdmissionPolicy) and Envoy Gateway's own CRDs come from the
	// gateway-crds-helm chart alone (crds.envoyGateway.enabled: true, crds.gatewayAPI.enabled: false):
	// envoyproxy/gateway@v1.9.0 charts/gateway-helm/README.md "Skip install CRDs". Envoy Gateway
	// watches only the route kinds whose CRDs exist (internal/provider/kubernetes/controller.go
	// tcpRouteCRDExists…), so pair it with EdgeArgs.TLSRoutes where TCPRoute v1 is missing.
	ProviderGatewayAPI bool
	// CertManagerIdentity gives cert-manager's controller a cloud identity for the azureDNS and
	// cloudDNS DNS-01 solvers; nil: none (the kubernetes target's solvers read a Secret).
	CertManagerIdentity *CertManagerIdentity
}

// CertManagerServiceAccount is the ServiceAccount cert-manager's controller runs as, in
// CertManagerNamespace: the subject a cloud identity is federated to
// (cert-manager@v1.21.1 deploy/charts/cert-manager/templates/_helpers.tpl cert-manager.serviceAccountName:
// the full name, which is the release name "cert-manager" because it contains the chart's name).
// Azure federated credential subject: system:serviceaccount:cert-manager:cert-manager; GKE principal:
// principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/cert-manager/sa/cert-manager.
const CertManagerServiceAccount = cmRelease

// CertManagerIdentity is the workload identity of cert-manager's controller. Setting it also starts
// the controller with --issuer-ambient-credentials (cert-manager@v1.21.1
// cmd/controller/app/options/options.go; default false: internal/apis/config/controller/v1alpha1/
// defaults.go), because the edge's Issuer is namespaced and the cloud solvers authenticate with
// ambient credentials (pkg/issuer/acme/dns/azuredns/azuredns.go getAuthorization,
// clouddns/clouddns.go NewDNSProvider refuse them otherwise). Any namespaced Issuer may then use the
// identity: grant it only the edge's DNS zone.
type CertManagerIdentity struct {
	// ServiceAccountAnnotations go on cert-manager's ServiceAccount (chart value
	// serviceAccount.annotations).
	ServiceAccountAnnotations pulumi.StringMapInput
	// PodLabels go on the controller's pods (chart value podLabels).
	PodLabels map[string]string
}

// AzureWorkloadIdentity is cert-manager under Azure Workload Identity: the ServiceAccount names the
// user-assigned identity (annotation azure.workload.identity/client-id) and the pods opt in (label
// azure.workload.identity/use: "true"), so the AKS webhook injects AZURE_FEDERATED_TOKEN_FILE
// (Azure/azure-workload-identity@v1.6.0 docs/book/src/topics/service-account-labels-and-annotations.md:
// the label "is **required** in the pod template spec"; the annotation names the identity).
func AzureWorkloadIdentity(clientID pulumi.StringInput) *CertManagerIdentity {
	return &CertManagerIdentity{
		ServiceAccountAnnotations: pulumi.StringMap{"azure.workload.identity/client-id": clientID},
		PodLabels:                 map[string]string{"azure.workload.identity/use": "true"},
	}
}

// GKEWorkloadIdentity is cert-manager under GKE Workload Identity Federation with a direct principal
// (IAM is granted to the Kubernetes ServiceAccount itself): no annotation, no label; the GKE metadata
// server answers the pods' credential requests.
func GKEWorkloadIdentity() *CertManagerIdentity { return &CertManagerIdentity{} }

// Controllers is the add-ons component.
type Controllers struct {
	pulumi.ResourceState

	// CertManager and EnvoyGateway are the charts; depend on them to wait for their CRDs and pods.
	CertManager, EnvoyGateway *helmv4.Chart
	// Namespace is Envoy Gateway's namespace, resolved once it exists.
	Namespace pulumi.StringOutput
	// EnvoyGatewayCRDs is the gateway-crds-helm chart (Envoy Gateway's CRDs alone), with
	// ProviderGatewayAPI; nil otherwise.
	EnvoyGatewayCRDs *helmv4.Chart

	// ambient: cert-manager may use its workload identity for namespaced Issuers.
	ambient bool
}

// Ready lists what a resource using the controllers' CRDs waits for.
func (c *Controllers) Ready() []pulumi.Resource {
	ready := []pulumi.Resource{c.CertManager, c.EnvoyGateway}
	if c.EnvoyGatewayCRDs != nil {
		ready = append(ready, c.EnvoyGatewayCRDs)
	}
	return ready
}

// CertManagerFirst is a resource option for a component whose Helm charts render cert-manager objects
// (the Barman Cloud plugin chart inside the metadata database renders an Issuer): it makes every
// helm/v4 Chart below the component wait for cert-manager's chart, whose CRDs they need. A transform is
// how a stack orders a chart it does not create; the engine reads dependsOn back from the transform's
// result (pulumi/pkg/v3@v3.274.1 resource/deploy/source_eval.go: "Reparse the dependency information
// from any transformation results"), and the SDK resolves those resources' URNs — which a resource has
// once it is created — before it answers.
func (c *Controllers) CertManagerFirst() pulumi.ResourceOption {
	return pulumi.Transforms([]pulumi.ResourceTransform{chartsWaitFor(c.CertManager)})
}

func chartsWaitFor(deps ...pulumi.Resource) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if args.Type != "kubernetes:helm.sh/v4:Chart" {
			return nil
		}
		opts := args.Opts
		opts.DependsOn = append(append([]pulumi.Resource{}, opts.DependsOn...), deps...)
		return &pulumi.ResourceTransformResult{Props: args.Props, Opts: opts}
	}
}

// NewControllers installs cert-manager and Envoy Gateway.
func NewControllers(ctx *pulumi.Context, name string, args *ControllersArgs, opts ...pulumi.ResourceOption) (*Controllers, error) {
	if args == nil {
		args = &ControllersArgs{}
	}
	comp := &Controllers{ambient: args.CertManagerIdentity != nil}
	if err := ctx.RegisterComponentResourceV2(ControllersType, name, pulumi.Map{
		"envoyGatewayVersion": pulumi.String(EnvoyGatewayVersion),
		"certManagerVersion":  pulumi.String(CertManagerVersion),
		"highAvailability":    pulumi.Bool(args.HighAvailability),
		"providerGatewayAPI":  pulumi.Bool(args.ProviderGatewayAPI),
		"certManagerIdentity": pulumi.Bool(args.CertManagerIdentity != nil),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// Nothing here holds state: a Protect on the component must not reach the children.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := func(extra map[string]string) pulumi.StringMap {
		l := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
		for k, v := range args.Labels {
			l[k] = pulumi.String(v)
		}
		for k, v := range extra {
			l[k] = pulumi.String(v)
		}
		return l
	}
	namespace := func(suffix, ns, enforce string) (pulumi.StringOutput, error) {
		n, err := corev1.NewNamespace(ctx, name+"-"+suffix+"-namespace", &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ns), Labels: labels(map[string]string{
				"pod-security.kubernetes.io/enforce": enforce,
				"pod-security.kubernetes.io/audit":   "restricted",
				"pod-security.kubernetes.io/warn":    "restricted",
			})},
		}, child)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		return n.Metadata.Name().Elem(), nil
	}

	// cert-manager's pods meet "restricted" (values.yaml securityContext/containerSecurityContext).
	cmNS, err := namespace("cert-manager", CertManagerNamespace, "restricted")
	if err != nil {
		return nil, err
	}
	comp.CertManager, err = helmv4.NewChart(ctx, name+"-cert-manager", &helmv4.ChartArgs{
		Chart:          pulumi.String("cert-manager"),
		Version:        pulumi.String(CertManagerVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(CertManagerRepo)},
		Name:           pulumi.String(cmRelease),
		Namespace:      cmNS,
		Values:         withIdentity(certManagerValues(args.HighAvailability, args.Scheduling), args.CertManagerIdentity),
	}, child)
	if err != nil {
		return nil, err
	}

	// The proxies Envoy Gateway deploys here set no seccomp profile of their own: "baseline".
	egNS, err := namespace("envoy-gateway", Namespace, "baseline")
	if err != nil {
		return nil, err
	}
	comp.Namespace = egNS
	certgen, err := newCertgen(ctx, name, egNS, args.Scheduling, labels, child)
	if err != nil {
		return nil, err
	}
	egDeps := []pulumi.Resource{certgen}
	if args.ProviderGatewayAPI {
		comp.EnvoyGatewayCRDs, err = helmv4.NewChart(ctx, name+"-envoy-gateway-crds", &helmv4.ChartArgs{
			Chart:     pulumi.String(EnvoyGatewayCRDsChart),
			Version:   pulumi.String(EnvoyGatewayVersion),
			Name:      pulumi.String(egRelease + "-crds"),
			Namespace: egNS,
			Values:    envoyGatewayCRDsValues(),
		}, child)
		if err != nil {
			return nil, err
		}
		egDeps = append(egDeps, comp.EnvoyGatewayCRDs)
	}
	comp.EnvoyGateway, err = helmv4.NewChart(ctx, name+"-envoy-gateway", &helmv4.ChartArgs{
		Chart:     pulumi.String(EnvoyGatewayChart),
		Version:   pulumi.String(EnvoyGatewayVersion),
		Name:      pulumi.String(egRelease),
		Namespace: egNS,
		Values:    envoyGatewayValues(args.HighAvailability, args.Scheduling, !args.ProviderGatewayAPI),
	}, child, pulumi.DependsOn(egDeps))
	if err != nil {
		return nil, err
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": egNS}); err != nil {
		return nil, err
	}
	return comp, nil
}

// newCertgen runs Envoy Gateway's certgen once: it writes the control plane's TLS Secrets
// (envoy-gateway, envoy, envoy-rate-limit, envoy-oidc-hmac; internal/provider/kubernetes/secrets.go
// CertsToSecret, five-year certificates: internal/crypto/certgen.go DefaultCertificateLifetime) that the
// controller and the proxies mount. The chart ships it as a pre-install hook
// (templates/certgen.yaml, certgen-rbac.yaml), and helm/v4 Chart renders no hooks
// (pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go: cmd.DisableHooks = true), so the platform
// runs it as an ordinary Job with the same ServiceAccount, Role and arguments. certgen never overwrites
// existing Secrets (internal/cmd/certgen.go, --overwrite unset), so a re-run is harmless. The Job has
// no ttlSecondsAfterFinished: it stays Complete, so a refresh keeps it and the next `up` does not
// re-create it; a new image changes the pod template (and its hash), which replaces it.
func newCertgen(ctx *pulumi.Context, name string, ns pulumi.StringOutput, sched cluster.Scheduling,
	labels func(map[string]string) pulumi.StringMap, child pulumi.ResourceOption,
) (*batchv1.Job, error) {
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(certgenName), Namespace: ns, Labels: labels(nil)}
	sa, err := corev1.NewServiceAccount(ctx, name+"-certgen-sa", &corev1.ServiceAccountArgs{
		Metadata: meta, AutomountServiceAccountToken: pulumi.Bool(false),
	}, child)
	if err != nil {
		return nil, err
	}
	role, err := rbacv1.NewRole(ctx, name+"-certgen-role", &rbacv1.RoleArgs{
		Metadata: meta,
		Rules: rbacv1.PolicyRuleArray{&rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.StringArray{pulumi.String("")}, Resources: pulumi.StringArray{pulumi.String("secrets")},
			Verbs: pulumi.ToStringArray([]string{"get", "create", "update"}),
		}},
	}, child)
	if err != nil {
		return nil, err
	}
	binding, err := rbacv1.NewRoleBinding(ctx, name+"-certgen-binding", &rbacv1.RoleBindingArgs{
		Metadata: meta,
		RoleRef:  &rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
		Subjects: rbacv1.SubjectArray{&rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: sa.Metadata.Name().Elem(), Namespace: ns}},
	}, child)
	if err != nil {
		return nil, err
	}
	// The topology injector's MutatingWebhookConfiguration is a hook too; it is switched off
	// (values topologyInjector.enabled=false), so certgen must not patch it.
	command := []string{"envoy-gateway", "certgen", "--disable-topology-injector"}
	sum := sha256.Sum256([]byte(EnvoyGatewayImage + "\n" + strings.Join(command, " ")))
	return batchv1.NewJob(ctx, name+"-certgen", &batchv1.JobArgs{
		Metadata: meta,
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit: pulumi.Int(3),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      labels(map[string]string{"app": "certgen"}),
					Annotations: pulumi.StringMap{"dataplatform.io/config-sha256": pulumi.String(hex.EncodeToString(sum[:]))},
				},
				Spec: &corev1.PodSpecArgs{
					ServiceAccountName:           sa.Metadata.Name().Elem(),
					AutomountServiceAccountToken: pulumi.Bool(true),
					RestartPolicy:                pulumi.String("Never"),
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(65532), RunAsGroup: pulumi.Int(65532), FsGroup: pulumi.Int(65532),
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Tolerations:  sched.TolerationArray(),
					NodeSelector: sched.NodeSelectorMap(),
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("envoy-gateway-certgen"),
						Image:   pulumi.String(EnvoyGatewayImage),
						Command: pulumi.ToStringArray(command),
						// templates/certgen.yaml: the namespace the Secrets go to and the cluster domain
						// the certificates name.
						Env: corev1.EnvVarArray{
							&corev1.EnvVarArgs{Name: pulumi.String("ENVOY_GATEWAY_NAMESPACE"), ValueFrom: &corev1.EnvVarSourceArgs{
								FieldRef: &corev1.ObjectFieldSelectorArgs{ApiVersion: pulumi.String("v1"), FieldPath: pulumi.String("metadata.namespace")},
							}},
							&corev1.EnvVarArgs{Name: pulumi.String("KUBERNETES_CLUSTER_DOMAIN"), Value: pulumi.String("cluster.local")},
						},
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("50m"), "memory": pulumi.String("64Mi")},
							Limits:   pulumi.StringMap{"cpu": pulumi.String("500m"), "memory": pulumi.String("128Mi")},
						},
						SecurityContext: &corev1.SecurityContextArgs{
							AllowPrivilegeEscalation: pulumi.Bool(false), Privileged: pulumi.Bool(false),
							ReadOnlyRootFilesystem: pulumi.Bool(true), RunAsNonRoot: pulumi.Bool(true),
							Capabilities:   &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
							SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
						},
					}},
				},
			},
		},
	}, child, pulumi.DependsOn([]pulumi.Resource{binding}), pulumi.DeleteBeforeReplace(true))
}
