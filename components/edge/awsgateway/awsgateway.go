// Package awsgateway is the platform's edge on AWS: Gateway API objects the AWS Load Balancer
// Controller (package eksaddons, v3.5.0) turns into an Application Load Balancer for the HTTP and
// gRPC routes and a Network Load Balancer for the TCP routes, an ACM certificate validated in the
// Route 53 zone, and alias records for every host.
//
// Two load balancers, because the controller cannot mix L4 and L7 routes on one Gateway
// (docs/guide/gateway/gateway.md@v3.5.0: "Mixing protocol layers, e.g. TCPRoute and HTTPRoute on the
// same Gateway, is not supported"). One DNS name resolves to one of them, so a TCP route is served
// at <route name>.<domain> (dremio-jdbc.<domain>:31010) rather than at its Host, which the HTTP
// routes of the same Host hold on the ALB.
package awsgateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
)

// EdgeType is the component's type token.
const EdgeType = "dataplatform:aws:Edge"

// Names of the edge's objects.
const (
	// Namespace holds the Gateways and their LoadBalancerConfigurations (a Gateway's
	// infrastructure.parametersRef is a local reference: same namespace). No pod runs in it.
	Namespace = "dataplatform-edge"
	// ALBClass and NLBClass are the GatewayClasses; ALBGateway and NLBGateway the Gateways.
	ALBClass   = "dataplatform-alb"
	NLBClass   = "dataplatform-nlb"
	ALBGateway = "dataplatform-alb"
	NLBGateway = "dataplatform-nlb"
	// HTTPListener is the ALB's port-80 listener: its only route redirects to HTTPS.
	HTTPListener = "http"
	// SSLPolicy is every listener's TLS policy: TLS 1.3 and 1.2 only (Elastic Load Balancing's
	// recommended policy; the controller's own default, ELBSecurityPolicy-2016-08, allows TLS 1.0:
	// loadbalancerconfig.md@v3.5.0 "SslPolicy … Default ELBSecurityPolicy-2016-08").
	SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	// ALBController and NLBController are the controller names of the AWS Load Balancer Controller's
	// two Gateway implementations (l7gateway.md, l4gateway.md@v3.5.0).
	ALBController = "gateway.k8s.aws/alb"
	NLBController = "gateway.k8s.aws/nlb"

	gatewayAPI = "gateway.networking.k8s.io/v1"
	lbcAPI     = "gateway.k8s.aws/v1"
)

// EdgeArgs are the inputs of the edge.
type EdgeArgs struct {
	// Domain is dataplatform:domain; every route is served under it.
	Domain string
	// Routes are what the engine publishes.
	Routes []edge.Route
	// HealthCheckPaths maps each HTTP route's name to the path its backend answers 200 on when
	// ready (the target group's health check; the ALB's default "/" may redirect or need a login).
	HealthCheckPaths map[string]string
	// SourceRanges are the client CIDR blocks the load balancers' security groups admit.
	SourceRanges []string
	// Internal puts both load balancers on the internal scheme (config Edge.InternalOnly: every
	// source range private); otherwise they are internet-facing.
	Internal bool
	// SubnetIDs are the subnets the load balancers are placed in (both schemes may use public
	// subnets: an internal load balancer takes private addresses only). Their ranges are what pods
	// must admit.
	SubnetIDs pulumi.StringArrayInput
	// DNSZoneID is an existing public Route 53 hosted zone for Domain or a parent of it; empty: the
	// edge creates a public hosted zone named Domain (its name servers are NameServers).
	DNSZoneID string
	// LoadBalancerPrefix names the load balancers (<prefix>-alb, <prefix>-nlb): unique per account
	// and region, e.g. the stack's base name. Longer prefixes are shortened with a hash.
	LoadBalancerPrefix string
	// Controller is what the Gateway API objects wait for (the CRDs and the controller's chart).
	Controller []pulumi.Resource
	// Protect protects the hosted zone the edge creates (its name servers are delegated from the
	// parent zone: a new zone means a new delegation).
	Protect bool
	// Tags are added to the AWS resources and to the load balancers.
	Tags map[string]string
}

// Edge is the component.
type Edge struct {
	pulumi.ResourceState

	// Info is what users connect to.
	Info edge.Info
	// ZoneID is the hosted zone; NameServers its name servers when the edge created it (else empty).
	ZoneID      pulumi.StringOutput
	NameServers pulumi.StringArrayOutput
	// CertificateArn is the issued ACM certificate every listener serves.
	CertificateArn pulumi.StringOutput
}

var (
	healthPathRE = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
	zoneIDRE     = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	prefixRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	tagKeyRE     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
)

func (a *EdgeArgs) validate() error {
	if a == nil {
		return fmt.Errorf("awsgateway: args are required")
	}
	if err := edge.Validate(a.Domain, a.Routes); err != nil {
		return fmt.Errorf("awsgateway: %w", err)
	}
	names := map[string]bool{}
	for _, r := range a.Routes {
		names[r.Name] = true
		if r.Protocol == edge.HTTP {
			p := a.HealthCheckPaths[r.Name]
			if !healthPathRE.MatchString(p) || len(p) > 1024 {
				return fmt.Errorf("awsgateway: HealthCheckPaths[%q] = %q; every HTTP route needs the path (\"/…\", ≤1024 characters) its backend answers 200 on when ready", r.Name, p)
			}
		}
	}
	for n := range a.HealthCheckPaths {
		if !names[n] {
			return fmt.Errorf("awsgateway: HealthCheckPaths names route %q, which is not routed", n)
		}
	}
	// A TCP route's own name becomes a host: it must not collide with an L7 host.
	hosts := map[string]bool{}
	for _, r := range a.Routes {
		if r.Protocol != edge.TCP {
			hosts[r.Host] = true
		}
	}
	for _, r := range a.Routes {
		if r.Protocol == edge.TCP && hosts[r.Name] {
			return fmt.Errorf("awsgateway: TCP route %q is served at %s.%s, which an HTTP or gRPC route's host already uses", r.Name, r.Name, a.Domain)
		}
	}
	if len(a.SourceRanges) == 0 {
		return fmt.Errorf("awsgateway: SourceRanges is empty; name the client CIDR blocks allowed to connect (0.0.0.0/0 for anyone)")
	}
	for _, c := range a.SourceRanges {
		if p, err := netip.ParsePrefix(c); err != nil || p.Masked() != p {
			return fmt.Errorf("awsgateway: SourceRanges entry %q is not a CIDR block with its host bits zero", c)
		}
	}
	switch {
	case a.SubnetIDs == nil:
		return fmt.Errorf("awsgateway: SubnetIDs is nil; pass the public (internet-facing) or private (internal) subnets")
	case a.DNSZoneID != "" && !zoneIDRE.MatchString(a.DNSZoneID):
		return fmt.Errorf("awsgateway: DNSZoneID = %q; must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ, or empty", a.DNSZoneID)
	case !prefixRE.MatchString(a.LoadBalancerPrefix):
		return fmt.Errorf("awsgateway: LoadBalancerPrefix = %q; must be lower-case letters, digits and '-'", a.LoadBalancerPrefix)
	case len(a.Controller) == 0:
		return fmt.Errorf("awsgateway: Controller is empty; pass what the AWS Load Balancer Controller add-on gives (its CRDs and chart)")
	}
	for k := range a.Tags {
		if !tagKeyRE.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fmt.Errorf("awsgateway: Tags key %q; must be an AWS tag key and must not start with \"aws:\"", k)
		}
	}
	return nil
}

// lbName is a load balancer's name: at most 32 characters (Elastic Load Balancing's limit), the
// prefix shortened with a hash of itself when needed.
func lbName(prefix, kind string) string {
	const max = 32 - 4 // "-alb"
	if len(prefix) > max {
		sum := sha256.Sum256([]byte(prefix))
		prefix = strings.TrimRight(prefix[:max-7], "-") + "-" + hex.EncodeToString(sum[:])[:6]
	}
	return prefix + "-" + kind
}

// servedHost is where a route is served: its Host on the ALB, its own name on the NLB.
func servedHost(r edge.Route, domain string) string {
	if r.Protocol == edge.TCP {
		return r.Name + "." + domain
	}
	return r.FQDN(domain)
}

// hostsOf lists the distinct served hosts of the routes on one load balancer (l4 or not), sorted.
func hostsOf(domain string, routes []edge.Route, l4 bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range routes {
		if (r.Protocol == edge.TCP) != l4 {
			continue
		}
		if h := servedHost(r, domain); !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// Hosts lists every name the edge serves, sorted: the certificate covers them all.
func Hosts(domain string, routes []edge.Route) []string {
	out := append(hostsOf(domain, routes, false), hostsOf(domain, routes, true)...)
	sort.Strings(out)
	return out
}

// NewEdge builds the platform's edge on AWS from the routes. Its children need an aws and a
// kubernetes provider: pass both with pulumi.Providers.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := args
	comp := &Edge{}
	scheme := "internet-facing"
	if a.Internal {
		scheme = "internal"
	}
	if err := ctx.RegisterComponentResourceV2(EdgeType, name, pulumi.Map{
		"domain":       pulumi.String(a.Domain),
		"hosts":        pulumi.ToStringArray(Hosts(a.Domain, a.Routes)),
		"scheme":       pulumi.String(scheme),
		"sourceRanges": pulumi.ToStringArray(a.SourceRanges),
		"dnsZoneId":    pulumi.String(a.DNSZoneID),
		"protect":      pulumi.Bool(a.Protect),
	}, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, a: a, comp: comp, child: pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false)), scheme: scheme}

	zone, err := b.zone()
	if err != nil {
		return nil, err
	}
	cert, err := b.certificate(zone)
	if err != nil {
		return nil, err
	}
	if err := b.gateways(zone, cert); err != nil {
		return nil, err
	}

	info := edge.Info{URLs: map[string]pulumi.StringOutput{}, Endpoints: map[string]pulumi.StringOutput{}}
	outputs := pulumi.Map{}
	for _, r := range a.Routes {
		v := fmt.Sprintf("%s:%d", servedHost(r, a.Domain), r.PublicPort())
		if r.Protocol == edge.HTTP {
			v = "https://" + servedHost(r, a.Domain)
		}
		// The address is live once its alias record exists.
		out := b.records[servedHost(r, a.Domain)].ApplyT(func(string) string { return v }).(pulumi.StringOutput)
		if r.Protocol == edge.HTTP {
			info.URLs[r.Name] = out
		} else {
			info.Endpoints[r.Name] = out
		}
		outputs[r.Name] = out
	}
	info.CACertificate = pulumi.String("").ToStringOutput() // ACM certificates chain to public roots
	comp.Info = info
	comp.ZoneID = zone.id
	comp.NameServers = zone.nameServers
	comp.CertificateArn = cert
	outputs["zoneId"] = zone.id
	outputs["nameServers"] = zone.nameServers
	outputs["certificateArn"] = cert
	if err := ctx.RegisterResourceOutputs(comp, outputs); err != nil {
		return nil, err
	}
	return comp, nil
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	a      *EdgeArgs
	comp   *Edge
	child  pulumi.ResourceOption
	scheme string
	// records are the alias records' FQDNs by served host, resolved once they exist.
	records map[string]pulumi.StringOutput
}

// tags are the AWS tags of a resource.
func (b *builder) tags(resourceName string) pulumi.StringMap {
	m := pulumi.ToStringMap(b.a.Tags)
	m["Name"] = pulumi.String(resourceName)
	return m
}
