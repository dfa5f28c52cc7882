// Package agc is the platform's HTTP edge on Azure: Application Gateway for Containers (AGC) in the
// "managed by ALB Controller" deployment — the ALB Controller creates the AGC resource
// (Microsoft.ServiceNetworking/trafficControllers), its association with a delegated subnet and one
// frontend per Gateway from Kubernetes objects. The azure-native servicenetworking module (the other,
// "bring your own" deployment) is not obtainable here.
//
// Two components, in two layers:
//   - Controller (a cluster add-on): the ALB Controller's managed identity, its federated credential and
//     role assignments, the controller's chart, and the ApplicationLoadBalancer that associates the
//     delegated subnet (azurevnet AGCSubnet).
//   - Edge: from the engine's HTTP routes, the Gateway (class azure-alb-external), its certificates,
//     the HTTPRoutes and the :80 redirect. No WAF policy: AGC's WAF is in preview, so the stacks use
//     AGC only for an edge open to everyone (edge.sourceRanges holding 0.0.0.0/0) and Envoy Gateway,
//     whose SecurityPolicy enforces the ranges, otherwise (stacks/azure_edge.go).
//
// AGC listens on 80 and 443 only (HTTP/HTTPS), so the GRPC and TCP routes (Arrow Flight, JDBC) are not
// its: the stacks serve them through Envoy Gateway behind an Azure Standard Load Balancer.
//
// The ALB Controller's CRDs (alb.networking.azure.io) are not published in any Go module (they ship
// inside the chart's CRD image, mcr.microsoft.com/application-lb/images/alb-controller-crds), so the
// objects here cannot be dry-run against their schema in CI; their fields follow the Microsoft docs
// cited at each one.
package agc

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/internal/azurewi"
)

// ControllerType is the type token of the add-on.
const ControllerType = "dataplatform:edge:ALBController"

// The ALB Controller's chart, pinned (MicrosoftDocs/azure-docs articles/application-gateway/
// for-containers/alb-controller-release-notes.md, ms.date 9/8/2026: latest Helm release 1.12.1,
// Gateway API v1.5.1, minimum Kubernetes v1.32; quickstart-deploy-application-gateway-for-containers-
// alb-controller-helm.md: `helm install alb-controller oci://mcr.microsoft.com/application-lb/charts/
// alb-controller`).
const (
	ChartURL     = "oci://mcr.microsoft.com/application-lb/charts/alb-controller"
	ChartVersion = "1.12.1"
	release      = "alb-controller"
)

const (
	// ControllerNamespace is where the controller runs (chart value albController.namespace, default
	// azure-alb-system) and ServiceAccount its ServiceAccount: the federated credential's subject is
	// system:serviceaccount:azure-alb-system:alb-controller-sa (the Helm quickstart's
	// `az identity federated-credential create ... --subject
	// "system:serviceaccount:$CONTROLLER_NAMESPACE:alb-controller-sa"`).
	ControllerNamespace = "azure-alb-system"
	ServiceAccount      = "alb-controller-sa"
	// Namespace holds the platform's AGC objects: the ApplicationLoadBalancer, the Gateway, its
	// certificates and issuer, and the redirect route.
	Namespace = "dataplatform-agc"
	// ALBName is the ApplicationLoadBalancer's name; Gateways name it in their annotations.
	ALBName = "dataplatform"
	// albAPI is the ALB Controller's API group/version (the managed-by-ALB-controller quickstart:
	// `apiVersion: alb.networking.azure.io/v1, kind: ApplicationLoadBalancer`).
	albAPI = "alb.networking.azure.io/v1"
	// controllerLabel selects the controller's pods (the Helm quickstart: `kubectl get pod -A -l
	// app=alb-controller`).
	controllerLabel = "app"
	controllerValue = "alb-controller"
)

// Built-in roles the ALB Controller's identity needs (the Helm quickstart and
// quickstart-create-application-gateway-for-containers-managed-by-alb-controller.md):
//   - Reader on the AKS node resource group ("Apply Reader role to the AKS managed cluster resource
//     group", role acdd72a7-…);
//   - AppGw for Containers Configuration Manager on the node resource group, where the controller
//     creates the AGC resource ("Delegate AppGw for Containers Configuration Manager role to AKS
//     Managed Cluster RG", fbc52c3f-…);
//   - Network Contributor on the AGC subnet, for Microsoft.Network/virtualNetworks/subnets/join/action
//     ("Delegate Network Contributor permission for join to association subnet", 4d97b98b-…). A WAF
//     policy would need the same role on it (how-to-waf-gateway-api.md); the platform builds none.
const (
	ReaderRole               = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	ConfigurationManagerRole = "fbc52c3f-28ad-4303-a892-8a056630b8f1"
	NetworkContributorRole   = "4d97b98b-1d4f-4787-a291-c67834d212e7"
)

// ControllerArgs are the inputs of the add-on.
type ControllerArgs struct {
	// ResourceGroupName holds the controller's managed identity (the platform's group); Location and
	// Tags are the identity's.
	ResourceGroupName pulumi.StringInput
	Location          string
	Tags              map[string]string
	// IdentityName is the managed identity's name (unique in its resource group).
	IdentityName string
	// NodeResourceGroupID is the AKS node resource group (aks.Cluster.NodeResourceGroupID).
	NodeResourceGroupID pulumi.StringInput
	// SubnetID is the subnet delegated to Microsoft.ServiceNetworking/trafficControllers
	// (azurevnet Network.AGCSubnetID).
	SubnetID pulumi.StringInput
	// OIDCIssuerURL is the cluster's ServiceAccount token issuer.
	OIDCIssuerURL pulumi.StringInput
	// KubernetesProvider is the cluster's provider.
	KubernetesProvider pulumi.ProviderResource
	// GatewayAPICRDs are what installs the Gateway API CRDs (Envoy Gateway's chart, their only owner:
	// the ALB Controller's own copy is switched off); the controller starts after them.
	GatewayAPICRDs []pulumi.Resource
	// Scheduling places the controller's pods.
	Scheduling cluster.Scheduling
	// Labels are added to the platform's Kubernetes objects.
	Labels map[string]string
}

// Controller is the add-on.
type Controller struct {
	pulumi.ResourceState

	// ClientID and PrincipalID are the controller's managed identity.
	ClientID, PrincipalID pulumi.StringOutput
	// Chart is the controller's chart; ALB is the ApplicationLoadBalancer. Objects of class
	// azure-alb-external wait for both.
	Chart *helmv4.Chart
	ALB   *apiextensions.CustomResource
	// Namespace is the platform's AGC namespace, resolved once it exists.
	Namespace pulumi.StringOutput
	// k8s is the cluster's provider, for the Edge's children.
	k8s pulumi.ProviderResource
}

// Ready lists what an object of class azure-alb-external waits for.
func (c *Controller) Ready() []pulumi.Resource { return []pulumi.Resource{c.Chart, c.ALB} }

var identityNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

func (a *ControllerArgs) validate() error {
	switch {
	case a == nil:
		return fmt.Errorf("agc controller: args are required")
	case a.ResourceGroupName == nil || a.NodeResourceGroupID == nil || a.SubnetID == nil || a.OIDCIssuerURL == nil:
		return fmt.Errorf("agc controller: ResourceGroupName, NodeResourceGroupID, SubnetID and OIDCIssuerURL are required")
	case a.KubernetesProvider == nil:
		return fmt.Errorf("agc controller: KubernetesProvider is required")
	case a.Location == "":
		return fmt.Errorf("agc controller: Location is required")
	case !identityNameRE.MatchString(a.IdentityName):
		return fmt.Errorf("agc controller: IdentityName %q: 3-128 letters, digits, '-' or '_', starting with a letter or digit", a.IdentityName)
	case len(a.GatewayAPICRDs) == 0:
		return fmt.Errorf("agc controller: GatewayAPICRDs is empty; the controller's chart does not install them here (one owner), so name what does")
	}
	return nil
}

func labels(extra map[string]string, more map[string]string) pulumi.StringMap {
	l := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
	for k, v := range extra {
		l[k] = pulumi.String(v)
	}
	for k, v := range more {
		l[k] = pulumi.String(v)
	}
	return l
}

// NewController installs the ALB Controller with its identity, and the ApplicationLoadBalancer.
// Options: the Azure provider (pulumi.Provider); the Kubernetes objects use KubernetesProvider.
func NewController(ctx *pulumi.Context, name string, args *ControllerArgs, opts ...pulumi.ResourceOption) (*Controller, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := args
	comp := &Controller{k8s: a.KubernetesProvider}
	if err := ctx.RegisterComponentResourceV2(ControllerType, name, pulumi.Map{
		"chartVersion": pulumi.String(ChartVersion),
		"identityName": pulumi.String(a.IdentityName),
		"location":     pulumi.String(a.Location),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// Nothing here holds state.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	k8s := pulumi.Composite(child, pulumi.Provider(a.KubernetesProvider))

	identity, fic, err := azurewi.New(ctx, name+"-identity", name+"-federation", azurewi.Args{
		IdentityName: a.IdentityName, FederationName: "alb-controller",
		ResourceGroupName: a.ResourceGroupName, Location: a.Location, Tags: pulumi.ToStringMap(a.Tags),
		Issuer: a.OIDCIssuerURL, Namespace: ControllerNamespace, ServiceAccount: ServiceAccount,
	}, child)
	if err != nil {
		return nil, err
	}
	comp.ClientID, comp.PrincipalID = identity.ClientId, identity.PrincipalId
	grants := []pulumi.Resource{fic}
	for _, g := range []struct {
		logical string
		scope   pulumi.StringInput
		role    string
	}{
		{"node-rg-reader", a.NodeResourceGroupID, ReaderRole},
		{"node-rg-config-manager", a.NodeResourceGroupID, ConfigurationManagerRole},
		{"subnet-network-contributor", a.SubnetID, NetworkContributorRole},
	} {
		ra, err := Grant(ctx, name+"-"+g.logical, g.scope, identity.PrincipalId, g.role, child)
		if err != nil {
			return nil, err
		}
		grants = append(grants, ra)
	}

	// The controller's namespace: created here, so that it carries the Pod Security labels, and
	// before the chart. The Helm quickstart installs the chart into a namespace of the user's and the
	// controller into albController.namespace, which the uninstall steps delete separately
	// (`kubectl delete ns azure-alb-system`): the chart does not own it.
	ctrlNS, err := corev1.NewNamespace(ctx, name+"-controller-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ControllerNamespace), Labels: labels(a.Labels, map[string]string{
			// The chart's pod security context is not published; 1.9.11 set allowPrivilegeEscalation
			// false (release notes). "baseline" is enforced, "restricted" audited.
			"pod-security.kubernetes.io/enforce": "baseline",
			"pod-security.kubernetes.io/audit":   "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		})},
	}, k8s)
	if err != nil {
		return nil, err
	}
	deps := append(append([]pulumi.Resource{ctrlNS}, grants...), a.GatewayAPICRDs...)
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:     pulumi.String(ChartURL),
		Version:   pulumi.String(ChartVersion),
		Name:      pulumi.String(release),
		Namespace: ctrlNS.Metadata.Name().Elem(),
		Values:    controllerValues(identity.ClientId, a.Scheduling),
	}, k8s, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	// Two replicas, active/passive ("ALB Controller is automatically provisioned with at least two
	// replicas in active/passive configuration", faq.yml; the count is not user-configurable): a node
	// drain keeps one.
	if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(release), Namespace: ctrlNS.Metadata.Name().Elem(), Labels: labels(a.Labels, nil)},
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MinAvailable: pulumi.Int(1),
			Selector:     &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{controllerLabel: pulumi.String(controllerValue)}},
		},
	}, k8s); err != nil {
		return nil, err
	}

	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(Namespace), Labels: labels(a.Labels, map[string]string{
			// Nothing runs here: only configuration objects.
			"pod-security.kubernetes.io/enforce": "restricted",
		})},
	}, k8s)
	if err != nil {
		return nil, err
	}
	comp.Namespace = ns.Metadata.Name().Elem()
	// The managed-by-ALB-controller quickstart: "ALB Controller creates the Application Gateway for
	// Containers resource when an ApplicationLoadBalancer custom resource is defined on the cluster"
	// (5-6 minutes); spec.associations lists the delegated subnet's ID. Deleting it deletes the AGC
	// resource ("The service lifecycle is based on the lifecycle of the custom resource").
	comp.ALB, err = apiextensions.NewCustomResource(ctx, name+"-alb", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(albAPI),
		Kind:       pulumi.String("ApplicationLoadBalancer"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(ALBName), Namespace: comp.Namespace, Labels: labels(a.Labels, nil)},
		OtherFields: map[string]any{"spec": pulumi.Map{
			"associations": pulumi.StringArray{a.SubnetID},
		}},
	}, k8s, pulumi.DependsOn([]pulumi.Resource{comp.Chart}))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clientId": comp.ClientID, "principalId": comp.PrincipalID, "namespace": comp.Namespace,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Grant assigns a built-in role to a principal on a scope, under a deterministic name. The principal
// type is stated: a new identity's directory lookup can fail while it replicates.
func Grant(ctx *pulumi.Context, name string, scope, principal pulumi.StringInput, roleGUID string, opts ...pulumi.ResourceOption) (*authorization.RoleAssignment, error) {
	role := azurerbac.RoleDefinitionID(scope, roleGUID)
	return authorization.NewRoleAssignment(ctx, name, &authorization.RoleAssignmentArgs{
		RoleAssignmentName: azurerbac.AssignmentName(scope, principal, role),
		PrincipalId:        principal,
		PrincipalType:      pulumi.String("ServicePrincipal"),
		RoleDefinitionId:   role,
		Scope:              scope,
	}, opts...)
}

// controllerValues are the chart's values (MicrosoftDocs/azure-docs articles/application-gateway/
// for-containers/alb-controller-helm-chart.md, ms.date 6/23/2026, "Values"):
//   - albController.namespace (default azure-alb-system) and albController.podIdentity.clientID (the
//     managed identity the controller federates as);
//   - albController.installGatewayApiCRDs: false (default true). Envoy Gateway's chart installs the
//     Gateway API CRDs (v1.6.1, which its TCPRoute v1 needs) and is their only owner; the ALB
//     Controller 1.12.1 implements v1.5.1, whose Gateway, HTTPRoute and GRPCRoute v1 the 1.6 CRDs
//     still serve;
//   - albController.controller.resource: the chart's defaults, stated (requests 100m/200Mi, limits
//     400m/400Mi); albController.controller.tolerations / nodeSelector: the platform's scheduling.
//     replicaCount stays at its default 2 (faq.yml: not user-configurable).
func controllerValues(clientID pulumi.StringOutput, s cluster.Scheduling) pulumi.Map {
	ctrl := pulumi.Map{
		"resource": cluster.ResourceValues("100m", "200Mi", "400m", "400Mi"),
	}
	s.PlaceValues(ctrl)
	return pulumi.Map{"albController": pulumi.Map{
		"namespace":             pulumi.String(ControllerNamespace),
		"podIdentity":           pulumi.Map{"clientID": clientID},
		"installGatewayApiCRDs": pulumi.Bool(false),
		"controller":            ctrl,
	}}
}
