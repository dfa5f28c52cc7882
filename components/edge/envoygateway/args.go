package envoygateway

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
)

// Issuers.
const (
	SelfSigned = "selfSigned"
	ACME       = "acme"
)

// DNS-01 providers of the ACME issuer (cert-manager@v1.21.1 pkg/apis/acme/v1/types_issuer.go
// ACMEChallengeSolverDNS01).
const (
	// DNS01Cloudflare: ACMEIssuerDNS01ProviderCloudflare.apiTokenSecretRef (SecretName/SecretKey).
	DNS01Cloudflare = "cloudflare"
	// DNS01RFC2136: ACMEIssuerDNS01ProviderRFC2136 (Nameserver, TSIG*, SecretName/SecretKey).
	DNS01RFC2136 = "rfc2136"
	// DNS01AzureDNS: ACMEIssuerDNS01ProviderAzureDNS with managedIdentity (ACMEIssuer.AzureDNS):
	// cert-manager writes the challenge records under Azure Workload Identity. Needs
	// ControllersArgs.CertManagerIdentity (AzureWorkloadIdentity).
	DNS01AzureDNS = "azureDNS"
	// DNS01CloudDNS: ACMEIssuerDNS01ProviderCloudDNS without serviceAccountSecretRef (ACMEIssuer.CloudDNS):
	// cert-manager writes the challenge records under GKE Workload Identity Federation. Needs
	// ControllersArgs.CertManagerIdentity (GKEWorkloadIdentity).
	DNS01CloudDNS = "cloudDNS"
)

// ACMEIssuer is an ACME account with a DNS-01 solver (cert-manager@v1.21.1
// pkg/apis/acme/v1/types_issuer.go).
type ACMEIssuer struct {
	// Email is the account's contact; optional (ACMEIssuer.Email is omitempty). Server is the ACME
	// directory URL (required).
	Email, Server string
	// Provider is DNS01Cloudflare, DNS01RFC2136, DNS01AzureDNS or DNS01CloudDNS.
	Provider string
	// SecretName and SecretKey name the credential Secret in Namespace (cloudflare, rfc2136).
	SecretName, SecretKey string
	// Nameserver, TSIGKeyName and TSIGAlgorithm configure rfc2136.
	Nameserver, TSIGKeyName, TSIGAlgorithm string
	// AzureDNS configures the azureDNS provider.
	AzureDNS *AzureDNSSolver
	// CloudDNS configures the cloudDNS provider.
	CloudDNS *CloudDNSSolver
}

// AzureDNSSolver is cert-manager's azureDNS DNS-01 provider under Azure Workload Identity
// (cert-manager@v1.21.1 pkg/apis/acme/v1/types_issuer.go ACMEIssuerDNS01ProviderAzureDNS:
// subscriptionID, resourceGroupName, hostedZoneName, environment, managedIdentity.clientID). The
// identity needs "DNS Zone Contributor" on the zone and a federated credential for cert-manager's
// ServiceAccount (CertManagerServiceAccount in CertManagerNamespace).
type AzureDNSSolver struct {
	// SubscriptionID and ResourceGroupName locate the zone; HostedZoneName is the zone's name (the
	// domain or a parent of it). All three are required.
	SubscriptionID, ResourceGroupName, HostedZoneName pulumi.StringInput
	// ClientID is the user-assigned managed identity's client ID (required): the identity
	// cert-manager's ServiceAccount is federated to.
	ClientID pulumi.StringInput
	// Environment is the Azure cloud; empty means AzurePublicCloud (the AzureDNSEnvironment enum:
	// AzurePublicCloud, AzureChinaCloud, AzureGermanCloud, AzureUSGovernmentCloud).
	Environment string
}

// CloudDNSSolver is cert-manager's cloudDNS DNS-01 provider under GKE Workload Identity Federation
// (cert-manager@v1.21.1 pkg/apis/acme/v1/types_issuer.go ACMEIssuerDNS01ProviderCloudDNS: project,
// hostedZoneName; no serviceAccountSecretRef, so cert-manager uses ambient credentials). The principal
// of cert-manager's Kubernetes ServiceAccount needs roles/dns.admin on the zone (or the project).
type CloudDNSSolver struct {
	// Project is the project of the Cloud DNS zone (required).
	Project pulumi.StringInput
	// HostedZoneName is the Cloud DNS managed zone's name (not its DNS name); required, so that
	// cert-manager does not search the project for a zone.
	HostedZoneName pulumi.StringInput
}

// ProxyService shapes the proxies' Service, the load balancer Envoy Gateway creates for the Gateway
// (envoyproxy/gateway@v1.9.0 api/v1alpha1/shared_types.go KubernetesServiceSpec, rendered into the
// EnvoyProxy's spec.provider.kubernetes.envoyService). The Service is always type LoadBalancer with
// externalTrafficPolicy Local (the proxies see the client's address for the source-range policy).
type ProxyService struct {
	// Annotations are put on the Service: what the cloud's load balancer controller reads.
	// Azure (cloud-provider-azure): internal LB "service.beta.kubernetes.io/azure-load-balancer-internal":
	// "true" (+ "…-internal-subnet"); a public IP by name "service.beta.kubernetes.io/azure-pip-name"
	// and its group "service.beta.kubernetes.io/azure-load-balancer-resource-group".
	// GKE: internal passthrough NLB "networking.gke.io/load-balancer-type": "Internal".
	Annotations pulumi.StringMapInput
	// LoadBalancerIP is a static IPv4 address reserved for the load balancer (the EnvoyProxy CRD admits
	// IPv4 only): a GCP compute Address (external, or internal in the cluster's subnet), an Azure public
	// IP's address, or a free private address of the subnet for an Azure internal LB. nil: the cloud
	// picks one (and DNS records cannot be written before the Service exists).
	LoadBalancerIP pulumi.StringInput
	// EnforceSourceRanges also hands the IPv4 SourceRanges to the Service's loadBalancerSourceRanges,
	// which cloud-provider-azure turns into NSG rules and GKE into VPC firewall rules: the cloud drops
	// other clients before they reach a node. Envoy's SecurityPolicy enforces SourceRanges either way.
	// Leave it off where the load balancer implementation ignores the field (kind, k3s).
	EnforceSourceRanges bool
}

// EdgeArgs are the inputs of the Edge.
type EdgeArgs struct {
	// Domain is dataplatform:domain; every route is served under it.
	Domain string
	// Routes are what the edge serves. Any mix of HTTP, GRPC and TCP routes: an edge of only GRPC and
	// TCP routes (the clouds' L4 edge, beside their L7 gateway) has no port 80 listener, no redirect
	// and no URLs in its Info, only Endpoints.
	Routes []edge.Route
	// Issuer is SelfSigned or ACME; ACME configures the latter.
	Issuer string
	ACME   ACMEIssuer
	// SourceRanges are the client CIDR blocks allowed to connect (enforced by Envoy: a SecurityPolicy
	// on the Gateway; by the cloud too with Service.EnforceSourceRanges).
	SourceRanges []string
	// Service shapes the proxies' LoadBalancer Service for the cloud it runs on; zero value: the
	// kubernetes target's plain LoadBalancer Service.
	Service ProxyService
	// TLSRoutes serves the GRPC and TCP routes with TLSRoute (Gateway API v1, standard channel since
	// v1.5) instead of TCPRoute (v1 since Gateway API v1.6), still on a TLS listener with mode
	// Terminate: for clusters whose Gateway API CRDs lack TCPRoute v1 (GKE's managed v1.5 standard
	// channel). A TLSRoute matches the client's SNI against the route's host name, so clients must
	// send SNI (JDBC and gRPC clients do when they connect by host name, not by IP address).
	TLSRoutes bool
	// HighAvailability runs two proxies with a PodDisruptionBudget (prod).
	HighAvailability bool
	// Scheduling places the proxies.
	Scheduling cluster.Scheduling
	// Controllers are the add-ons; every object here waits for their charts (CRDs, webhooks).
	Controllers *Controllers
	// Protect marks the stateful resources (the self-signed root CA's private key: clients trust the
	// CA, so a new key means every client re-imports it) protected: destroy and replacement stop at
	// them.
	// Disposable children (Jobs, Secrets, policies, bindings, node groups…) are never protected.
	Protect bool
	// Labels are added to every object.
	Labels map[string]string
}

// hasHTTP reports whether any route is an HTTP route (and the Gateway needs ports 80 and 443).
func (a *EdgeArgs) hasHTTP() bool {
	for _, r := range a.Routes {
		if r.Protocol == edge.HTTP {
			return true
		}
	}
	return false
}

func (a *EdgeArgs) validate() error {
	if a == nil {
		return fmt.Errorf("envoygateway: args are required")
	}
	if err := edge.Validate(a.Domain, a.Routes); err != nil {
		return fmt.Errorf("envoygateway: %w", err)
	}
	if a.Controllers == nil {
		return fmt.Errorf("envoygateway: Controllers is required: the Gateway API, Envoy Gateway and cert-manager CRDs come from them")
	}
	if len(a.SourceRanges) == 0 {
		return fmt.Errorf("envoygateway: SourceRanges is empty; name the client CIDR blocks allowed to connect (0.0.0.0/0 for anyone)")
	}
	for _, c := range a.SourceRanges {
		if p, err := netip.ParsePrefix(c); err != nil || p.Masked() != p {
			return fmt.Errorf("envoygateway: SourceRanges entry %q is not a CIDR block with its host bits zero", c)
		}
	}
	// The EnvoyProxy CRD admits an IPv4 loadBalancerIP only (shared_types.go KubernetesServiceSpec
	// XValidation "loadBalancerIP must be a valid IPv4 address"); a value from another resource is
	// checked there.
	if ip, ok := a.Service.LoadBalancerIP.(pulumi.String); ok {
		if addr, err := netip.ParseAddr(string(ip)); err != nil || !addr.Is4() {
			return fmt.Errorf("envoygateway: Service.LoadBalancerIP %q is not an IPv4 address", string(ip))
		}
	}
	switch a.Issuer {
	case SelfSigned:
	case ACME:
		if err := a.ACME.validate(); err != nil {
			return err
		}
		if p := a.ACME.Provider; (p == DNS01AzureDNS || p == DNS01CloudDNS) && !a.Controllers.ambient {
			return fmt.Errorf("envoygateway: ACME provider %s authenticates as cert-manager's workload identity; set ControllersArgs.CertManagerIdentity", p)
		}
	default:
		return fmt.Errorf("envoygateway: Issuer = %q; allowed: %s, %s", a.Issuer, SelfSigned, ACME)
	}
	return nil
}

func (m ACMEIssuer) validate() error {
	if m.Server == "" {
		return fmt.Errorf("envoygateway: ACME.Server is empty; name the ACME directory URL")
	}
	secret := func() error {
		if m.SecretName == "" || m.SecretKey == "" {
			return fmt.Errorf("envoygateway: ACME provider %s needs SecretName and SecretKey", m.Provider)
		}
		return nil
	}
	switch m.Provider {
	case DNS01Cloudflare:
		return secret()
	case DNS01RFC2136:
		if m.Nameserver == "" || m.TSIGKeyName == "" || m.TSIGAlgorithm == "" {
			return fmt.Errorf("envoygateway: ACME provider rfc2136 needs Nameserver, TSIGKeyName and TSIGAlgorithm")
		}
		return secret()
	case DNS01AzureDNS:
		z := m.AzureDNS
		if z == nil || z.SubscriptionID == nil || z.ResourceGroupName == nil || z.HostedZoneName == nil || z.ClientID == nil {
			return fmt.Errorf("envoygateway: ACME provider azureDNS needs AzureDNS with SubscriptionID, ResourceGroupName, HostedZoneName and ClientID")
		}
		switch z.Environment {
		case "", "AzurePublicCloud", "AzureChinaCloud", "AzureGermanCloud", "AzureUSGovernmentCloud":
		default:
			return fmt.Errorf("envoygateway: AzureDNS.Environment = %q; allowed: AzurePublicCloud, AzureChinaCloud, AzureGermanCloud, AzureUSGovernmentCloud", z.Environment)
		}
	case DNS01CloudDNS:
		z := m.CloudDNS
		if z == nil || z.Project == nil || z.HostedZoneName == nil {
			return fmt.Errorf("envoygateway: ACME provider cloudDNS needs CloudDNS with Project and HostedZoneName")
		}
	default:
		return fmt.Errorf("envoygateway: ACME.Provider = %q; allowed: %s, %s, %s, %s", m.Provider, DNS01Cloudflare, DNS01RFC2136, DNS01AzureDNS, DNS01CloudDNS)
	}
	return nil
}

// StreamRoutes are the routes a cloud's L4 edge serves beside its L7 gateway: the GRPC and TCP
// routes only, each host renamed with hostSuffix appended ("dremio" with "-data" serves
// dremio-data.<domain>:32010). One DNS name resolves to one load balancer, and on the clouds the HTTP
// routes' names (dremio.<domain>) point at the L7 gateway; hostSuffix "" keeps the hosts (for a cloud
// whose L7 gateway and L4 load balancer share one address). The result is a new slice.
func StreamRoutes(routes []edge.Route, hostSuffix string) []edge.Route {
	var out []edge.Route
	for _, r := range routes {
		if r.Protocol == edge.HTTP {
			continue
		}
		r.Host += hostSuffix
		out = append(out, r)
	}
	return out
}
