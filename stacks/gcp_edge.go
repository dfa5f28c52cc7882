package stacks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/dns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/gke"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/edge/gkegateway"
	"github.com/opendataplatform/dataplatform/components/network/gcpvpc"
	"github.com/opendataplatform/dataplatform/config"
)

// gcpStreamHostSuffix renames the hosts of the GRPC and TCP routes on gcp: the HTTP routes' names
// (dremio.<domain>) resolve to the GKE Gateway's address, so Flight and JDBC are served by Envoy
// Gateway behind a passthrough Network Load Balancer at dremio-data.<domain>:32010 and :31010
// (envoygateway.StreamRoutes).
const gcpStreamHostSuffix = "-data"

// gcpHealthPaths are the paths the load balancer's health checks request on each HTTP route's
// backend port (HealthCheckPolicy requestPath); both are what the backends' own readiness probes ask.
var gcpHealthPaths = map[string]string{
	// components/dremio/workloads.go: the coordinator's readiness probe, GET /apiv2/server_status on 9047.
	"dremio-ui": "/apiv2/server_status",
	// airbyte chart 2.0.19 templates/airbyte-server/deployment.yaml readinessProbe: GET /api/v1/health on 8001.
	"airbyte": "/api/v1/health",
}

// gcpEdgeInternal reports whether the stack's edge is on the internal load balancers (every source
// range private), which also needs the proxy-only subnet.
func gcpEdgeInternal(cfg *config.Platform) bool { return cfg.Edge.On() && cfg.Edge.InternalOnly() }

// gcpEdge wires the edge into the foundation: the Cloud DNS zone now (its name servers are the first
// thing a user delegates), the engine's admissions (Envoy Gateway's namespace; the ranges Google's load
// balancers reach the pods from), and the edge itself once the engine exists.
func gcpEdge(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, provider *gcp.Provider, net *gcpvpc.Network, c *gke.Cluster, apps *pulumi.StringOutput) error {
	prod := cfg.Environment == config.Prod
	internal := gcpEdgeInternal(cfg)
	zone, err := gkegateway.NewZone(ctx, "edge-dns", &gkegateway.ZoneArgs{
		Project: cfg.GCPProject, Domain: cfg.Domain, Existing: cfg.Edge.DNSZone, Labels: tags(cfg), Protect: prod,
	}, pulumi.Provider(provider))
	if err != nil {
		return fmt.Errorf("edge DNS zone: %w", err)
	}
	ctx.Export("dnsNameServers", zone.NameServers)

	f.edgeNamespace = envoygateway.Namespace
	// cloud.google.com/load-balancing/docs/firewall-rules: the global external Application Load
	// Balancer's front ends and every health check reach zonal-NEG backends from 35.191.0.0/16 and
	// 130.211.0.0/22; the regional internal one's proxies from the proxy-only subnet.
	f.edgeCIDRs = append([]string{}, gkegateway.GoogleFrontEndCIDRs...)
	if internal {
		f.edgeCIDRs = append(f.edgeCIDRs, cfg.Network.ProxyOnlyCIDR)
	} else {
		// cloud.google.com/load-balancing/docs/https "X-Forwarded-For header": the global external
		// Application Load Balancer appends two addresses, the client's and its forwarding rule's
		// (<supplied>,<client-ip>,<load-balancer-ip>). The regional internal one is left at one hop:
		// trusting a hop it does not add would let a client pick its own rate-limit address.
		f.edgeForwardedHops = 2
	}
	// cert-manager and Envoy Gateway (the stream edge's controllers) are installed with the
	// foundation, so that the engine's cert-manager objects (Valkey's certificate) can use them.
	pre, err := gcpStreamControllers(ctx, cfg, provider, net, c, zone)
	if err != nil {
		return err
	}
	f.certManager = []pulumi.Resource{pre.controllers.CertManager}
	f.edge = func(ctx *pulumi.Context, e *Engine) (*edge.Info, error) {
		return gcpEdgeBuild(ctx, cfg, provider, net, c, zone, pre, *apps, e)
	}
	return nil
}

// gcpStreamAddOns are what the stream edge needs from the foundation.
type gcpStreamAddOns struct {
	controllers *envoygateway.Controllers
	issuer      envoygateway.ACMEIssuer
	grants      []pulumi.Resource
	addr        *compute.Address
	annotations pulumi.StringMap
}

// gcpStreamControllers creates cert-manager's Cloud DNS grant (ACME), the passthrough Network Load
// Balancer's static address and the edge's controllers (cert-manager and Envoy Gateway).
func gcpStreamControllers(ctx *pulumi.Context, cfg *config.Platform, provider *gcp.Provider, net *gcpvpc.Network, c *gke.Cluster, zone *gkegateway.Zone) (*gcpStreamAddOns, error) {
	prod := cfg.Environment == config.Prod
	internal := gcpEdgeInternal(cfg)
	names := namesFor(cfg, cfg.GCPProject)
	gcpOpt := pulumi.Provider(provider)
	issuer := envoygateway.ACMEIssuer{}
	var grants []pulumi.Resource
	if cfg.Edge.Issuer == config.IssuerACME {
		// cert-manager's ServiceAccount as a direct Workload Identity Federation principal (GKE docs
		// "Authenticate to Google Cloud APIs from GKE workloads": principal://iam.googleapis.com/
		// projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/PROJECT_ID.svc.id.goog/subject/
		// ns/NAMESPACE/sa/KSA_NAME), with roles/dns.admin on the zone alone (Cloud DNS managed-zone IAM,
		// pulumi-gcp@v7.38.0 dns/dnsManagedZoneIamMember.go): it writes only the challenges' TXT records.
		// The pool comes from the cluster's output, so the binding waits for the pool to exist.
		member := pulumi.Sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/subject/ns/%s/sa/%s",
			c.ProjectNumber, c.WorkloadPool, envoygateway.CertManagerNamespace, envoygateway.CertManagerServiceAccount)
		grant, err := dns.NewDnsManagedZoneIamMember(ctx, "edge-cert-manager-dns", &dns.DnsManagedZoneIamMemberArgs{
			Project: pulumi.String(cfg.GCPProject), ManagedZone: zone.Name, Role: pulumi.String("roles/dns.admin"), Member: member,
		}, pulumi.Parent(zone))
		if err != nil {
			return nil, err
		}
		grants = append(grants, grant)
		a := cfg.Edge.ACME
		issuer = envoygateway.ACMEIssuer{
			Email: a.Email, Server: a.Server, Provider: envoygateway.DNS01CloudDNS,
			CloudDNS: &envoygateway.CloudDNSSolver{Project: pulumi.String(cfg.GCPProject), HostedZoneName: zone.Name},
		}
	}

	// The passthrough Network Load Balancer's regional static IP (pulumi-gcp@v7.38.0
	// compute/address.go): external, or internal in the nodes subnet, which GKE's internal
	// passthrough load balancer takes its address from (Service annotation
	// networking.gke.io/load-balancer-type: Internal).
	addrArgs := &compute.AddressArgs{
		Project: pulumi.String(cfg.GCPProject), Region: pulumi.String(cfg.Region),
		Name:        pulumi.String(gcpName(names.Base, "-edge-l4", 63)),
		Description: pulumi.String("Data platform edge: Dremio Flight and JDBC (Envoy Gateway)"),
		AddressType: pulumi.String("EXTERNAL"), NetworkTier: pulumi.String("PREMIUM"), Labels: pulumi.ToStringMap(tags(cfg)),
	}
	annotations := pulumi.StringMap{}
	if internal {
		// Its own name: edge.sourceRanges turning private (or public) flips addressType, which replaces
		// the address create-before-delete; under the same name the new one would collide (409).
		addrArgs.Name = pulumi.String(gcpName(names.Base, "-edge-l4-int", 63))
		addrArgs.AddressType, addrArgs.NetworkTier, addrArgs.Subnetwork = pulumi.String("INTERNAL"), nil, net.SubnetSelfLink
		// GKE "Create an internal load balancer", Requirements and limitations: GKE only preserves an
		// internal passthrough Network Load Balancer's IP address if the Service references an internal
		// address reserved with purpose SHARED_LOADBALANCER_VIP; otherwise it may change the address on
		// a Service update (pulumi-gcp@v7.38.0 compute/address.go purpose).
		addrArgs.Purpose = pulumi.String("SHARED_LOADBALANCER_VIP")
		annotations["networking.gke.io/load-balancer-type"] = pulumi.String("Internal")
		// GKE "LoadBalancer Service parameters", global access
		// (networking.gke.io/internal-load-balancer-allow-global-access: "true"): clients in every
		// region of the VPC and its connected networks reach the internal passthrough load balancer,
		// not only those in the cluster's region.
		annotations["networking.gke.io/internal-load-balancer-allow-global-access"] = pulumi.String("true")
	}
	addr, err := compute.NewAddress(ctx, "edge-l4-ip", addrArgs, gcpOpt, pulumi.Protect(prod))
	if err != nil {
		return nil, err
	}
	// Envoy Gateway for the GRPC and TCP routes; GKE owns the Gateway API CRDs (v1.5 standard, no
	// TCPRoute v1), so the chart installs none and the routes are TLSRoutes.
	var identity *envoygateway.CertManagerIdentity
	if cfg.Edge.Issuer == config.IssuerACME {
		identity = envoygateway.GKEWorkloadIdentity()
	}
	controllers, err := envoygateway.NewControllers(ctx, "edge-controllers", &envoygateway.ControllersArgs{
		HighAvailability: prod, Scheduling: c.Info.Scheduling, Labels: partOf(),
		ProviderGatewayAPI: true, CertManagerIdentity: identity,
	}, pulumi.Provider(c.Provider), pulumi.Transformations([]pulumi.ResourceTransformation{
		// cert-manager's chart waits for its Cloud DNS grant; a component's dependsOn does not reach
		// its children, so a transformation (as stacks/azure_edge.go) puts it on the chart.
		gcpWaitFor(func(typ, name string) bool {
			return typ == "kubernetes:helm.sh/v4:Chart" && name == "edge-controllers-cert-manager"
		}, grants),
		// Destroy: Envoy Gateway (not Pulumi) creates the proxies' LoadBalancer Service, whose
		// forwarding rule holds the static IP until GKE's service controller removes it (the
		// service.kubernetes.io/load-balancer-cleanup finalizer). The namespace depends on the
		// address, so it is deleted first and its deletion waits for the Service to be gone
		// (pulumi-kubernetes awaits a Namespace's deletion); only then is the address released.
		gcpWaitFor(func(typ, name string) bool {
			return typ == "kubernetes:core/v1:Namespace" && name == "edge-controllers-envoy-gateway-namespace"
		}, []pulumi.Resource{addr}),
	}))
	if err != nil {
		return nil, fmt.Errorf("edge controllers: %w", err)
	}
	if err := gcpScrapeCertManager(ctx, cfg, c, controllers); err != nil {
		return nil, err
	}
	return &gcpStreamAddOns{controllers: controllers, issuer: issuer, grants: grants, addr: addr, annotations: annotations}, nil
}

// gcpEdgeBuild creates the HTTP edge (GKE Gateway), then Envoy Gateway's edge for Flight and JDBC
// on the controllers of the foundation (gcpStreamControllers), and the records of their hosts.
func gcpEdgeBuild(ctx *pulumi.Context, cfg *config.Platform, provider *gcp.Provider, net *gcpvpc.Network, c *gke.Cluster, zone *gkegateway.Zone, pre *gcpStreamAddOns, apps pulumi.StringOutput, e *Engine) (*edge.Info, error) {
	prod := cfg.Environment == config.Prod
	internal := gcpEdgeInternal(cfg)
	names := namesFor(cfg, cfg.GCPProject)
	routes := engineRoutes(e)
	both := pulumi.Providers(provider, c.Provider)

	l7 := &gkegateway.EdgeArgs{
		Project: cfg.GCPProject, Region: cfg.Region, Domain: cfg.Domain, Routes: routes, HealthPaths: withSearchHealthPaths(e, withHealthPaths(e, gcpHealthPaths)),
		Internal: internal, SourceRanges: cfg.Edge.SourceRanges, Name: gcpName(names.Base, "", 40),
		Namespace: apps, NamespaceName: cfg.Network.Namespaces.Apps, Zone: zone,
		Backends: engineBackends(e), Labels: partOf(), CloudLabels: tags(cfg), Protect: prod,
	}
	if internal {
		l7.Subnetwork, l7.ProxyOnlySubnet = net.SubnetSelfLink, net.ProxyOnlySubnet
	}
	http, err := gkegateway.NewEdge(ctx, "edge", l7, both)
	if err != nil {
		return nil, err
	}

	controllers, issuer, grants, addr, annotations := pre.controllers, pre.issuer, pre.grants, pre.addr, pre.annotations
	streams := envoygateway.StreamRoutes(routes, gcpStreamHostSuffix)
	l4, err := envoygateway.NewEdge(ctx, "edge-l4", &envoygateway.EdgeArgs{
		Domain: cfg.Domain, Routes: streams, Issuer: cfg.Edge.Issuer, ACME: issuer,
		SourceRanges: cfg.Edge.SourceRanges, TLSRoutes: true,
		Service:          envoygateway.ProxyService{Annotations: annotations, LoadBalancerIP: addr.Address, EnforceSourceRanges: true},
		HighAvailability: prod, Scheduling: c.Info.Scheduling, Controllers: controllers,
		Labels: partOf(), Protect: prod,
	}, pulumi.Provider(c.Provider), pulumi.Transformations([]pulumi.ResourceTransformation{
		// The Issuer and the Certificates (cert-manager's first DNS-01 challenge) wait for the grant.
		gcpWaitFor(func(typ, _ string) bool { return strings.HasPrefix(typ, "kubernetes:cert-manager.io/") }, grants),
	}))
	if err != nil {
		return nil, fmt.Errorf("L4 edge: %w", err)
	}
	if err := zone.ARecords(ctx, "edge-l4", edge.Hosts(cfg.Domain, streams), addr.Address, pulumi.Parent(zone)); err != nil {
		return nil, err
	}
	ctx.Export("edgeAddresses", pulumi.StringMap{"http": http.Address, "streams": addr.Address})
	return &edge.Info{
		URLs: http.Info.URLs, Endpoints: l4.Info.Endpoints, CACertificate: l4.Info.CACertificate,
		Namespace: envoygateway.Namespace,
	}, nil
}

// gcpWaitFor makes the resources below a component that match (type token and Pulumi name) wait for
// deps: a transformation, run by the SDK so mocks and previews see it, because a component's
// dependsOn does not reach its children.
func gcpWaitFor(match func(typ, name string) bool, deps []pulumi.Resource) pulumi.ResourceTransformation {
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		if len(deps) == 0 || !match(args.Type, args.Name) {
			return nil
		}
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: append(append([]pulumi.ResourceOption{}, args.Opts...), pulumi.DependsOn(deps))}
	}
}
