// Package externaldns installs ExternalDNS, the cluster add-on that keeps a DNS record in the edge's
// zone for every host a Gateway route names, pointing at the address the Gateway's load balancer got.
// The platform needs it where that address exists only once a controller in the cluster has created
// the load balancer (the ALB and NLB of the AWS Load Balancer Controller, the frontend of Application
// Gateway for Containers), so Pulumi cannot write the record itself.
//
// Every value below is checked against kubernetes-sigs/external-dns@v0.23.0 charts/external-dns
// (chart 1.22.0: Chart.yaml, values.yaml, templates/deployment.yaml) and the v0.22.0 flags and
// sources (docs/flags.md, source/gateway_*.go), the image the chart runs.
package externaldns

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// Type is the component's type token.
const Type = "dataplatform:clusteraddons:ExternalDNS"

const (
	// ChartRepo, ChartName and ChartVersion pin the chart (external-dns@v0.23.0
	// charts/external-dns/Chart.yaml: version 1.22.0, CHANGELOG "[v1.22.0] - 2026-09-11").
	ChartRepo    = "https://kubernetes-sigs.github.io/external-dns/"
	ChartName    = "external-dns"
	ChartVersion = "1.22.0"
	// Image is the chart's appVersion (0.22.0; the chart's CHANGELOG: "Update ExternalDNS OCI image
	// version to v0.22.0"), pinned rather than left to the chart's default.
	ImageRepository = "registry.k8s.io/external-dns/external-dns"
	ImageTag        = "v0.22.0"

	// Namespace holds ExternalDNS; ServiceAccount is the identity a cloud role trusts
	// (system:serviceaccount:external-dns:external-dns).
	Namespace      = "external-dns"
	ServiceAccount = "external-dns"
	release        = "external-dns"
)

// Provider is the DNS service ExternalDNS writes to.
type Provider string

const (
	// AWS is Route 53 (the AWS SDK's default credential chain: EKS Pod Identity).
	AWS Provider = "aws"
	// Azure is Azure DNS (azure.json with useWorkloadIdentityExtension).
	Azure Provider = "azure"
)

// Source is a kind of Gateway API route ExternalDNS reads hostnames from.
type Source string

// Sources ExternalDNS v0.22.0 reads at API version v1 (source/gateway_httproute.go, _grpcroute.go,
// _tlsroute.go: V1()). gateway-tcproute and gateway-udproute are left out on purpose: they read
// v1alpha2 (source/gateway_tcproute.go: V1alpha2()), which Gateway API v1.6's standard CRDs no longer
// serve (gateway.networking.k8s.io_tcproutes.yaml: v1alpha2 served: false), so their informers would
// never sync. TCP endpoints are published as TLSRoutes, which carry their hostnames.
const (
	HTTPRoute Source = "gateway-httproute"
	GRPCRoute Source = "gateway-grpcroute"
	TLSRoute  Source = "gateway-tlsroute"
)

// AzureDNS locates an Azure DNS zone and the identity that may write to it.
type AzureDNS struct {
	// TenantID and SubscriptionID are the zone's.
	TenantID, SubscriptionID string
	// ResourceGroup is the zone's resource group.
	ResourceGroup pulumi.StringInput
	// ClientID is the user-assigned identity's client ID; the identity holds DNS Zone Contributor on
	// the zone and a federated credential for system:serviceaccount:external-dns:external-dns.
	ClientID pulumi.StringInput
}

// Args are the inputs of the add-on.
type Args struct {
	// Provider is aws, azure, cloudflare or rfc2136.
	Provider Provider
	// Domain limits the records to names under it (--domain-filter).
	Domain string
	// Domains are further --domain-filter values (the flag repeats; chart domainFilters is a list).
	// The filter applies to the zones too: external-dns@v0.23.0 provider/azure/azure.go zones() keeps
	// a listed zone only if DomainFilter.Match(zone.Name), and a zone named a parent of Domain does not
	// match Domain — so a stack writing into a parent zone passes the zone's name here.
	Domains []string
	// OwnerID marks the records this instance owns (--txt-owner-id): one per stack, so two stacks
	// sharing a zone never delete each other's records. A DNS-label-like string.
	OwnerID string
	// Sources are the route kinds the Gateways use.
	Sources []Source
	// Namespace is an existing namespace to install into (cloudflare, rfc2136: the namespace of the
	// credential Secret); nil: the add-on creates its own namespace, Namespace.
	Namespace pulumi.StringInput
	// Cloudflare is the credential, with the cloudflare provider.
	Cloudflare *CloudflareDNS
	// RFC2136 is the server, zone and TSIG key, with the rfc2136 provider.
	RFC2136 *RFC2136DNS
	// APIServerCIDRs are the Kubernetes API server's addresses (443/6443); empty: any address on
	// those ports (the clouds' managed control planes publish none).
	APIServerCIDRs []string
	// AWSZoneID is the Route 53 hosted zone ExternalDNS may write (--zone-id-filter), on aws.
	AWSZoneID pulumi.StringInput
	// AWSRegion is the region the AWS SDK signs for (AWS_DEFAULT_REGION), on aws.
	AWSRegion string
	// Azure is the zone and identity, on azure.
	Azure *AzureDNS
	// Scheduling places the pod.
	Scheduling cluster.Scheduling
	// Labels are added to the namespace and the platform's own objects.
	Labels map[string]string
}

// ExternalDNS is the add-on component.
type ExternalDNS struct {
	pulumi.ResourceState

	// Chart is the release; routes need nothing from it, but a caller may wait for it.
	Chart *helmv4.Chart
}

var (
	ownerID = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsName = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
)

// domainFilters are Domain and Domains, each once.
func (a *Args) domainFilters() []string {
	out := []string{a.Domain}
	for _, d := range a.Domains {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func (a *Args) validate() error {
	switch {
	case !slices.Contains([]Provider{AWS, Azure, Cloudflare, RFC2136}, a.Provider):
		return fmt.Errorf("externaldns: Provider %q; allowed: aws, azure, cloudflare, rfc2136", a.Provider)
	case a.Domain == "":
		return fmt.Errorf("externaldns: Domain is required (the records are limited to names under it)")
	case !dnsName.MatchString(a.Domain):
		return fmt.Errorf("externaldns: Domain %q is not a lower-case DNS name", a.Domain)
	case !ownerID.MatchString(a.OwnerID):
		return fmt.Errorf("externaldns: OwnerID %q must be a DNS label (it marks the records one stack owns)", a.OwnerID)
	case len(a.Sources) == 0:
		return fmt.Errorf("externaldns: no Sources")
	case a.Provider == AWS && (a.AWSZoneID == nil || a.AWSRegion == ""):
		return fmt.Errorf("externaldns: aws needs AWSZoneID and AWSRegion")
	case a.Provider == Azure && (a.Azure == nil || a.Azure.TenantID == "" || a.Azure.SubscriptionID == "" || a.Azure.ResourceGroup == nil || a.Azure.ClientID == nil):
		return fmt.Errorf("externaldns: azure needs Azure.TenantID, SubscriptionID, ResourceGroup and ClientID")
	}
	for _, d := range a.Domains {
		if !dnsName.MatchString(d) {
			return fmt.Errorf("externaldns: Domains entry %q is not a lower-case DNS name", d)
		}
	}
	for _, s := range a.Sources {
		if s != HTTPRoute && s != GRPCRoute && s != TLSRoute {
			return fmt.Errorf("externaldns: source %q; allowed: %s, %s, %s", s, HTTPRoute, GRPCRoute, TLSRoute)
		}
	}
	if err := k8snet.ValidateCIDRs("externaldns: APIServerCIDRs", a.APIServerCIDRs); err != nil {
		return err
	}
	if a.Provider == Cloudflare || a.Provider == RFC2136 {
		return a.validateSecretProvider()
	}
	return nil
}

// New installs ExternalDNS in its own namespace with its NetworkPolicies.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ExternalDNS, error) {
	if args == nil {
		args = &Args{}
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &ExternalDNS{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"provider": pulumi.String(string(args.Provider)), "domain": pulumi.String(args.Domain), "domains": pulumi.ToStringArray(args.Domains),
		"chartVersion": pulumi.String(ChartVersion), "image": pulumi.String(ImageRepository + ":" + ImageTag),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// Nothing here holds state.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
	for k, v := range args.Labels {
		labels[k] = pulumi.String(v)
	}
	nsName, err := namespace(ctx, name, args, labels, child)
	if err != nil {
		return nil, err
	}
	deps := []pulumi.Resource{}
	if args.Provider == Azure {
		cm, err := azureConfig(ctx, name, args.Azure, nsName, labels, child)
		if err != nil {
			return nil, err
		}
		deps = append(deps, cm)
	}
	np, err := networkPolicy(ctx, name, args, nsName, labels, child)
	if err != nil {
		return nil, err
	}
	deps = append(deps, np)
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(ChartName),
		Version:        pulumi.String(ChartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(ChartRepo)},
		Name:           pulumi.String(release),
		Namespace:      nsName,
		Values:         values(args),
	}, child, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": nsName}); err != nil {
		return nil, err
	}
	return comp, nil
}

// values are the chart values (external-dns@v0.23.0 charts/external-dns/values.yaml and
// templates/deployment.yaml, which turns them into flags):
//   - policy: sync — required since chart 1.22.0 ("policy no longer defaults … and is now
//     required"); sync also deletes the record of a host the platform stops serving. The TXT registry
//     (default) with txtOwnerId limits that to records this stack created (docs/registry/txt.md: since
//     v0.18 one TXT per record, prefixed with its type, so a CNAME never shares its name with a TXT).
//   - sources, domainFilters, provider.name, txtOwnerId: --source, --domain-filter, --provider,
//     --txt-owner-id.
//   - replicaCount stays 1: the chart bounds it to 0 or 1 ("external-dns does not support leader
//     election"), so there is no PodDisruptionBudget; a restart only delays record changes.
//   - serviceAccount.name: fixed, so a cloud identity can trust it by name.
//   - resources (default {}): requests and limits.
//   - the pod and container security contexts are the chart's defaults (restricted).
func values(a *Args) pulumi.Map {
	sources := pulumi.StringArray{}
	for _, s := range a.Sources {
		sources = append(sources, pulumi.String(string(s)))
	}
	v := pulumi.Map{
		"image":         pulumi.Map{"repository": pulumi.String(ImageRepository), "tag": pulumi.String(ImageTag)},
		"replicaCount":  pulumi.Int(1),
		"policy":        pulumi.String("sync"),
		"registry":      pulumi.String("txt"),
		"txtOwnerId":    pulumi.String(a.OwnerID),
		"sources":       sources,
		"domainFilters": pulumi.ToStringArray(a.domainFilters()),
		"provider":      pulumi.Map{"name": pulumi.String(string(a.Provider))},
		"resources":     cluster.ResourceValues("20m", "64Mi", "200m", "256Mi"),
		// deploymentAnnotations → the Deployment's metadata.annotations (templates/deployment.yaml;
		// read at chart 1.21.1, kubernetes-sigs/external-dns@2bf1bf8): the policy pack's singleton
		// exemption (policy/README.md stateless-replicas).
		"deploymentAnnotations": pulumi.StringMap{"dataplatform.io/singleton": pulumi.String("external-dns has no leader election; the chart allows replicaCount 0 or 1")},
	}
	sa := pulumi.Map{"create": pulumi.Bool(true), "name": pulumi.String(ServiceAccount)}
	switch a.Provider {
	case AWS:
		// docs/flags.md: --zone-id-filter limits writes to the stack's zone; --aws-zone-type is left
		// unset (public or private). The AWS SDK reads the region from the environment.
		v["extraArgs"] = pulumi.Map{"zone-id-filter": a.AWSZoneID}
		v["env"] = pulumi.Array{pulumi.Map{"name": pulumi.String("AWS_DEFAULT_REGION"), "value": pulumi.String(a.AWSRegion)}}
	case Azure:
		// docs/tutorials/azure.md "Managed Identity Using Workload Identity", Helm: the SA's client-id
		// annotation and the use label on SA and pod; azure.json mounted at /etc/kubernetes (the
		// default --azure-config-file is /etc/kubernetes/azure.json).
		sa["annotations"] = pulumi.StringMap{"azure.workload.identity/client-id": a.Azure.ClientID}
		sa["labels"] = pulumi.StringMap{"azure.workload.identity/use": pulumi.String("true")}
		v["podLabels"] = pulumi.StringMap{"azure.workload.identity/use": pulumi.String("true")}
		v["extraVolumes"] = pulumi.Array{pulumi.Map{
			"name": pulumi.String("azure-config-file"), "configMap": pulumi.Map{"name": pulumi.String(azureConfigName)},
		}}
		v["extraVolumeMounts"] = pulumi.Array{pulumi.Map{
			"name": pulumi.String("azure-config-file"), "mountPath": pulumi.String("/etc/kubernetes"), "readOnly": pulumi.Bool(true),
		}}
	case Cloudflare, RFC2136:
		secretProviderValues(v, a)
	}
	v["serviceAccount"] = sa
	return a.Scheduling.PlaceValues(v)
}

// namespace is Args.Namespace, or a namespace of the add-on's own.
func namespace(ctx *pulumi.Context, name string, a *Args, labels pulumi.StringMap, child pulumi.ResourceOption) (pulumi.StringOutput, error) {
	if a.Namespace != nil {
		return a.Namespace.ToStringOutput(), nil
	}
	// The chart's pod and container security contexts meet "restricted" (values.yaml: runAsNonRoot,
	// seccomp RuntimeDefault, no privilege escalation, ALL capabilities dropped).
	ns, err := k8snet.NewAddonNamespace(ctx, name+"-namespace", Namespace, "restricted", labels, child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return ns.Metadata.Name().Elem(), nil
}

const azureConfigName = "external-dns-azure"

// azureConfig is azure.json (docs/tutorials/azure.md, workload identity: tenantId, subscriptionId,
// resourceGroup, useWorkloadIdentityExtension). With workload identity it holds no secret, so it is a
// ConfigMap, not the Secret the tutorial uses: nothing credential-like sits in a Kubernetes Secret.
func azureConfig(ctx *pulumi.Context, name string, z *AzureDNS, ns pulumi.StringInput, labels pulumi.StringMap, child pulumi.ResourceOption) (*corev1.ConfigMap, error) {
	doc := z.ResourceGroup.ToStringOutput().ApplyT(func(rg string) (string, error) {
		b, err := json.MarshalIndent(map[string]any{
			"tenantId": z.TenantID, "subscriptionId": z.SubscriptionID, "resourceGroup": rg,
			"useWorkloadIdentityExtension": true,
		}, "", "  ")
		return string(b), err
	}).(pulumi.StringOutput)
	return corev1.NewConfigMap(ctx, name+"-azure-config", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(azureConfigName), Namespace: ns, Labels: labels},
		Data:     pulumi.StringMap{"azure.json": doc},
	}, child)
}

// metadataEndpoint is the cloud instance metadata address: closed, so the pod cannot take the node's
// credentials; it uses its own identity.
const metadataEndpoint = "169.254.169.254/32"

// networkPolicy denies all ingress to the add-on's pod (nothing calls ExternalDNS; its metrics port is
// not scraped) and allows egress to cluster DNS, the API server and the DNS service:
//   - the API server on 443 (behind its Service) and 6443 (the endpoints): APIServerCIDRs, or any
//     address when none are given, which also reaches the DNS APIs of aws, azure and cloudflare;
//   - cloudflare with APIServerCIDRs: its API (api.cloudflare.com, no fixed addresses) on 443;
//   - rfc2136: the server on its port, UDP and TCP;
//   - aws: the EKS Pod Identity agent (169.254.170.23:80, where the AWS SDK gets the pod's
//     credentials).
//
// In its own namespace the policy covers every pod; in a shared one (Args.Namespace) only the
// chart's pod, by its selector labels (templates/_helpers.tpl external-dns.selectorLabels:
// app.kubernetes.io/name = the chart name, app.kubernetes.io/instance = the release).
func networkPolicy(ctx *pulumi.Context, name string, a *Args, ns pulumi.StringInput, labels pulumi.StringMap, child pulumi.ResourceOption) (*networkingv1.NetworkPolicy, error) {
	dns := networkingv1.NetworkPolicyPortArray{
		&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(53)},
		&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(53)},
	}
	apiServer := anywhere()
	if len(a.APIServerCIDRs) > 0 {
		apiServer = k8snet.Peers(nil, a.APIServerCIDRs)
	}
	egress := networkingv1.NetworkPolicyEgressRuleArray{
		&networkingv1.NetworkPolicyEgressRuleArgs{
			To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector("kube-system")}},
			Ports: dns,
		},
		&networkingv1.NetworkPolicyEgressRuleArgs{To: apiServer, Ports: k8snet.TCPPorts(443, 6443)},
	}
	switch {
	case a.Provider == AWS:
		egress = append(egress, &networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{
				&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("169.254.170.23/32")}},
				&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("fd00:ec2::23/128")}},
			},
			Ports: k8snet.TCPPorts(80),
		})
	case a.Provider == Cloudflare && len(a.APIServerCIDRs) > 0:
		egress = append(egress, &networkingv1.NetworkPolicyEgressRuleArgs{To: anywhere(), Ports: k8snet.TCPPorts(443)})
	case a.Provider == RFC2136:
		egress = append(egress, nameserverEgress(a.RFC2136))
	}
	pods := &metav1.LabelSelectorArgs{}
	if a.Namespace != nil {
		pods = &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(PodSelector())}
	}
	return networkingv1.NewNetworkPolicy(ctx, name+"-network-policy", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("external-dns"), Namespace: ns, Labels: labels},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: pods,
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
			Egress:      egress,
		},
	}, child)
}

// PodSelector selects the chart's pod (templates/_helpers.tpl external-dns.selectorLabels, with the
// release named release and no nameOverride).
func PodSelector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": ChartName, "app.kubernetes.io/instance": release}
}
