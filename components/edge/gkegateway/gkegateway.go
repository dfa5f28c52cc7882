// Package gkegateway is the platform's HTTP edge on GKE: the GKE Gateway controller's managed
// Application Load Balancer in front of the engine's HTTP routes, with Google-managed Certificate
// Manager certificates, an SSL policy (TLS 1.2+), per-backend health checks and, on the public
// load balancer, a Cloud Armor policy that admits only the configured source ranges.
//
// Two shapes, chosen by Internal:
//   - public (gke-l7-global-external-managed): a global static IP, a certificate map attached with the
//     Gateway annotation networking.gke.io/certmap, a global SSL policy and a Cloud Armor policy.
//   - internal (gke-l7-rilb, the regional internal Application Load Balancer): a regional internal
//     static IP in the nodes subnet, regional certificates named in each HTTPS listener's
//     tls.options networking.gke.io/cert-manager-certs (certificate maps are global-only), a regional
//     SSL policy. It needs a proxy-only subnet (REGIONAL_MANAGED_PROXY) in the region; its clients are
//     whatever reaches the VPC (VPN, Interconnect, peering), Cloud Armor is not attached.
//
// GKE's Gateway has no GRPCRoute and no TCPRoute (research wave2 §1c; GoogleCloudPlatform/
// gke-gateway-api#31): the GRPC and TCP routes are not served here but by an L4 edge (Envoy Gateway
// behind a passthrough Network Load Balancer); this component ignores them.
package gkegateway

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
)

// EdgeType is the type token of the Edge component.
const EdgeType = "dataplatform:edge:GKEGatewayEdge"

// Gateway classes of the GKE Gateway controller (GKE docs "GatewayClass capabilities";
// research wave2 §1c).
const (
	ExternalClass = "gke-l7-global-external-managed"
	InternalClass = "gke-l7-rilb"
)

// Names of the edge's Kubernetes objects.
const (
	GatewayName = "dataplatform-gke"
	// HTTPListener is the plain-HTTP listener: its only route redirects to HTTPS.
	HTTPListener = "http"
	// backendTimeoutSec is the backend service timeout (GCPBackendPolicy timeoutSec; Google's default
	// is 30 s, which would cut Airbyte's schema discovery and Dremio's result downloads). The same
	// 10 minutes the Envoy Gateway edge allows a request.
	backendTimeoutSec = 600
	// armorRangesPerRule is Cloud Armor's limit of source ranges in one basic match rule
	// (SRC_IPS_V1 config.srcIpRanges: "up to 10").
	armorRangesPerRule = 10
)

// GoogleFrontEndCIDRs are the ranges Google's health checks and the global external Application Load
// Balancer's front ends reach zonal-NEG backends (container-native load balancing) from
// (cloud.google.com/load-balancing/docs/firewall-rules, "Global external Application Load
// Balancer": health check ranges 35.191.0.0/16, 130.211.0.0/22; GFE proxy ranges the same for
// GCE_VM_IP_PORT NEGs). The regional internal load balancer's proxies connect from the proxy-only
// subnet instead; its health checks still come from these ranges.
var GoogleFrontEndCIDRs = []string{"35.191.0.0/16", "130.211.0.0/22"}

// EdgeArgs are the inputs of the Edge.
type EdgeArgs struct {
	// Project and Region hold the load balancer's resources (the region for the internal shape).
	Project, Region string
	// Domain is dataplatform:domain; every route is served under it.
	Domain string
	// Routes are what the engine publishes; the HTTP ones are served here.
	Routes []edge.Route
	// HealthPaths maps each HTTP route's name to the path the load balancer's health check requests
	// on the backend port (the Gateway's default, "/", is not every backend's health endpoint).
	HealthPaths map[string]string
	// Internal puts the edge on the regional internal load balancer.
	Internal bool
	// SourceRanges are the client CIDR blocks allowed to connect: a Cloud Armor policy on the public
	// load balancer. The internal load balancer is reachable only from the VPC and the networks
	// connected to it; every range must then be private.
	SourceRanges []string
	// Name prefixes the Google Cloud resource names (addresses, certificates, policies): 1–40
	// lower-case letters, digits and hyphens, unique per stack in the project.
	Name string
	// Subnetwork is the nodes subnet (self link) the internal address is taken from; internal only.
	Subnetwork pulumi.StringInput
	// ProxyOnlySubnet is the region's REGIONAL_MANAGED_PROXY subnet the internal load balancer's
	// proxies run in; the Gateway waits for it. Internal only.
	ProxyOnlySubnet pulumi.Resource
	// Namespace (an output, so that the Gateway waits for it) and NamespaceName are where the
	// Gateway and the redirect route live; the routes and their policies live beside their backends.
	Namespace     pulumi.StringInput
	NamespaceName string
	// Zone is the Cloud DNS zone the host records and the certificates' DNS authorizations go to.
	Zone *Zone
	// Backends are what the routes wait for (the engine components whose Services they name).
	Backends []pulumi.Resource
	// Labels are added to every Kubernetes object.
	Labels map[string]string
	// CloudLabels are added to every Google Cloud resource that takes labels (Google's label rules).
	CloudLabels map[string]string
	// Protect marks the stateful resources (the static IP address the DNS records and clients' allow
	// lists hold) protected. Certificates, policies and Kubernetes objects are never protected.
	Protect bool
}

// Edge is the Edge component.
type Edge struct {
	pulumi.ResourceState

	// Address is the load balancer's static IP.
	Address pulumi.StringOutput
	// Info carries the HTTPS URLs (no endpoints: GRPC and TCP routes are the L4 edge's).
	Info edge.Info
}

var namePrefix = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$`)

// httpRoutes are the routes served here, sorted by name.
func (a *EdgeArgs) httpRoutes() []edge.Route {
	var out []edge.Route
	for _, r := range a.Routes {
		if r.Protocol == edge.HTTP {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (a *EdgeArgs) validate() error {
	if a == nil {
		return fmt.Errorf("gkegateway: args are required")
	}
	if err := edge.Validate(a.Domain, a.Routes); err != nil {
		return fmt.Errorf("gkegateway: %w", err)
	}
	if err := gcpnaming.ValidProject(a.Project); err != nil {
		return fmt.Errorf("gkegateway: %w", err)
	}
	if err := gcpnaming.ValidRegion("Region", a.Region); err != nil {
		return fmt.Errorf("gkegateway: %w", err)
	}
	if !namePrefix.MatchString(a.Name) {
		return fmt.Errorf("gkegateway: Name = %q; must be 1–40 lower-case letters, digits and hyphens, starting with a letter", a.Name)
	}
	if err := gcpnaming.ValidLabels(a.CloudLabels); err != nil {
		return fmt.Errorf("gkegateway: %w", err)
	}
	routes := a.httpRoutes()
	if len(routes) == 0 {
		return fmt.Errorf("gkegateway: no HTTP routes; the GKE Gateway serves HTTP routes only")
	}
	for _, r := range routes {
		p, ok := a.HealthPaths[r.Name]
		if !ok || !healthPath.MatchString(p) {
			return fmt.Errorf("gkegateway: HealthPaths[%q] = %q; every HTTP route needs the path its backend answers 200 on, e.g. /health", r.Name, p)
		}
	}
	if len(a.SourceRanges) == 0 {
		return fmt.Errorf("gkegateway: SourceRanges is empty; name the client CIDR blocks allowed to connect (0.0.0.0/0 for anyone)")
	}
	for _, c := range a.SourceRanges {
		p, err := netip.ParsePrefix(c)
		if err != nil || p.Masked() != p {
			return fmt.Errorf("gkegateway: SourceRanges entry %q is not a CIDR block with its host bits zero", c)
		}
		if a.Internal && !p.Addr().IsPrivate() {
			return fmt.Errorf("gkegateway: SourceRanges entry %q is public, but the edge is internal: an internal load balancer cannot be reached from it", c)
		}
	}
	if a.Internal && (a.Subnetwork == nil || a.ProxyOnlySubnet == nil) {
		return fmt.Errorf("gkegateway: the internal edge needs Subnetwork (its address) and ProxyOnlySubnet (its proxies)")
	}
	if a.Namespace == nil || a.NamespaceName == "" {
		return fmt.Errorf("gkegateway: Namespace and NamespaceName are required: the Gateway lives there")
	}
	if a.Zone == nil {
		return fmt.Errorf("gkegateway: Zone is required: the host records and the certificates' DNS authorizations go there")
	}
	return nil
}

// healthPath is the HealthCheckPolicy requestPath pattern (gke-gateway-api
// apis/networking/v1/healthcheck_types.go CommonHTTPHealthCheck.RequestPath).
var healthPath = regexp.MustCompile(`^/[A-Za-z0-9/\-._~%!?$&'()*+,;=:]*$`)

// resourceName is a Google Cloud resource name of the edge: prefix-suffix, at most 63 characters.
func (a *EdgeArgs) resourceName(suffix string) string {
	return gcpnaming.ResourceName(a.Name+"-"+suffix, "", 63)
}

// NewEdge creates the HTTP edge.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Edge{}
	props := pulumi.Map{
		"domain":       pulumi.String(args.Domain),
		"internal":     pulumi.Bool(args.Internal),
		"sourceRanges": pulumi.ToStringArray(args.SourceRanges),
		"hosts":        pulumi.ToStringArray(edge.Hosts(args.Domain, args.httpRoutes())),
	}
	if err := ctx.RegisterComponentResourceV2(EdgeType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, a: args, comp: comp}
	if err := b.build(); err != nil {
		return nil, err
	}
	urls := pulumi.Map{}
	for k, v := range comp.Info.URLs {
		urls[k] = v
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"address": comp.Address, "urls": urls}); err != nil {
		return nil, err
	}
	return comp, nil
}
