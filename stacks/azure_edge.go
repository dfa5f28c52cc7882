package stacks

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/externaldns"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/edge/agc"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/config"
)

// The Azure edge.
//
//   - HTTP routes (Dremio UI, Airbyte): Application Gateway for Containers (package agc) when the edge
//     is open to everyone (edge.sourceRanges holds 0.0.0.0/0, the dev and staging default). AGC has
//     no client-address filter of its own outside its Web Application Firewall, which is in preview
//     on AGC (azure-docs articles/application-gateway/for-containers/web-application-firewall.md:
//     "Application Gateway for Containers + WAF is in PREVIEW"), and an AGC frontend is public. So
//     with narrower ranges — prod's private default above all — Envoy Gateway serves the HTTP routes
//     too, where its SecurityPolicy enforces the ranges, on an internal load balancer when every
//     range is private (config Edge.InternalOnly).
//   - GRPC and TCP routes (Arrow Flight 32010, JDBC 31010): AGC listens on 80 and 443 only
//     (overview.md), so Envoy Gateway serves them behind an Azure Standard Load Balancer on a static
//     address: a public IP of the platform's, or a fixed private address of the node subnet. Beside
//     AGC their hosts carry streamHostSuffix (dremio-data.<domain>), since dremio.<domain> names the
//     AGC frontend.
//   - Certificates: cert-manager (with Envoy Gateway's add-ons) issues every listener's certificate
//     from one Issuer: ACME DNS-01 into the edge's Azure DNS zone under workload identity, or the
//     platform's self-signed CA.
//   - DNS: the zone named the domain (created, its name servers exported as dnsNameServers) or
//     edge.dnsZone. A records for Envoy Gateway's hosts point at its static address; the AGC hosts'
//     records follow the AGC frontend, which exists only once the ALB Controller has created it, so
//     ExternalDNS writes them from the HTTPRoutes.

// streamHostSuffix renames the GRPC and TCP routes' hosts beside AGC.
const streamHostSuffix = "-data"

// Built-in role: DNS Zone Contributor ("Lets you manage DNS zones and record sets in Azure DNS, but
// does not let you control who has access to them"; azure-docs articles/role-based-access-control/
// built-in-roles.md). cert-manager and ExternalDNS get it on the edge's zone only.
const dnsZoneContributorRole = "befefa01-2a29-4197-83a8-272ff33ce314"

// edgeIssuerName is the Issuer the Envoy Gateway edge creates in its namespace (envoygateway
// issuerName): the AGC certificates come from it too, so one CA or one ACME account serves the edge.
const edgeIssuerName = "dataplatform-edge"

var azureZoneID = regexp.MustCompile(`(?i)^/subscriptions/([0-9a-f-]{36})/resourceGroups/([^/]+)/providers/Microsoft\.Network/dnszones/([^/]+)$`)

// azureEdgeOptions is what the foundation decides before the network exists.
type azureEdgeOptions struct {
	// agc serves the HTTP routes through Application Gateway for Containers.
	agc bool
	// ingress lets the clients reach Envoy Gateway's public load balancer through the aks subnet's
	// NSG (nil when the load balancer is internal).
	ingress *azurevnet.EdgeIngress
}

// azureEdgePorts are the ports Envoy Gateway's load balancer listens on: 80 (redirect) and 443 when it
// serves the HTTP routes, and the GRPC and TCP routes' ports (Dremio's Flight and JDBC, dremio.go
// edgeRoutes ListenPort). The network exists before the engine's routes, so the edge checks its routes
// against these (checkAzureEdgePorts).
func azureEdgePorts(agc bool) []int {
	ports := []int{dremio.ClientPort, dremio.FlightPort}
	if !agc {
		ports = append([]int{edge.HTTPPort, edge.HTTPSPort}, ports...)
	}
	return ports
}

// checkAzureEdgePorts fails when a route listens on a port the aks NSG does not open.
func checkAzureEdgePorts(opt azureEdgeOptions, routes []edge.Route) error {
	if opt.ingress == nil {
		return nil
	}
	open := map[int]bool{}
	for _, p := range opt.ingress.Ports {
		open[p] = true
	}
	for _, r := range routes {
		if !open[r.PublicPort()] {
			return fmt.Errorf("edge route %q listens on %d, which the aks subnet's NSG does not open (%v): add it to azureEdgePorts", r.Name, r.PublicPort(), opt.ingress.Ports)
		}
	}
	return nil
}

func azureEdgePlan(cfg *config.Platform) azureEdgeOptions {
	if !cfg.Edge.On() {
		return azureEdgeOptions{}
	}
	open := false
	for _, r := range cfg.Edge.SourceRanges {
		if r == "0.0.0.0/0" {
			open = true
		}
	}
	opt := azureEdgeOptions{agc: open}
	if !cfg.Edge.InternalOnly() {
		// The public IP is IPv4 (azureProxyAddress): only the IPv4 ranges reach it.
		var v4 []string
		for _, r := range cfg.Edge.SourceRanges {
			if p, err := netip.ParsePrefix(r); err == nil && p.Addr().Is4() {
				v4 = append(v4, p.Masked().String())
			}
		}
		if open {
			v4 = []string{azurevnet.InternetTag}
		}
		if len(v4) > 0 {
			opt.ingress = &azurevnet.EdgeIngress{SourceRanges: v4, Ports: azureEdgePorts(open)}
		}
	}
	return opt
}

// azureZone is the edge's DNS zone.
type azureZone struct {
	// rgID is the zone's resource group's ARM ID.
	id, resourceGroup, rgID pulumi.StringOutput
	name, subscription      string
}

// relative is a host's record name inside the zone.
func (z azureZone) relative(fqdn string) string {
	if fqdn == z.name {
		return "@"
	}
	return strings.TrimSuffix(fqdn, "."+z.name)
}

// azureEdgeSetup creates what the edge needs before the engine: the DNS zone, cert-manager and Envoy
// Gateway with cert-manager's identity, the ALB Controller and ExternalDNS, and the static address of
// Envoy Gateway's load balancer. It fills f.edge, f.edgeNamespace and f.edgeCIDRs.
func azureEdgeSetup(ctx *pulumi.Context, cfg *config.Platform, names Names, provider *azurenative.Provider,
	client *authorization.GetClientConfigResult, net *azurevnet.Network, c *aks.Cluster, opt azureEdgeOptions, f *Foundation,
) error {
	prod := cfg.Environment == config.Prod
	az := pulumi.Provider(provider)
	labels := tags(cfg)

	zone := azureZone{name: cfg.Domain, subscription: client.SubscriptionId, resourceGroup: net.ResourceGroupName, rgID: net.ResourceGroupID}
	// dns writes the zone's record sets: a record set is addressed in its provider's subscription
	// (pulumi-azure-native v2.90.0 network RecordSet has no subscription input; ProviderArgs.SubscriptionId
	// is the provider's), so a zone in another subscription gets a provider of its own, with the
	// platform provider's location and the same credentials (environment or Azure CLI).
	dns := az
	if m := azureZoneID.FindStringSubmatch(cfg.Edge.DNSZone); m != nil {
		zone = azureZone{
			id: pulumi.String(cfg.Edge.DNSZone).ToStringOutput(), subscription: m[1],
			resourceGroup: pulumi.String(m[2]).ToStringOutput(), name: strings.ToLower(m[3]),
			rgID: pulumi.String("/subscriptions/" + m[1] + "/resourceGroups/" + m[2]).ToStringOutput(),
		}
		if !strings.EqualFold(m[1], client.SubscriptionId) {
			p, err := azurenative.NewProvider(ctx, "edge-dns-subscription", &azurenative.ProviderArgs{
				SubscriptionId: pulumi.String(m[1]), Location: pulumi.String(cfg.Region),
			})
			if err != nil {
				return err
			}
			dns = pulumi.Provider(p)
		}
	} else {
		// A public zone named the domain; its name servers are assigned at creation, and the parent
		// zone delegates to them: a new zone means a new delegation, so it is protected in prod.
		z, err := network.NewZone(ctx, "edge-dns-zone", &network.ZoneArgs{
			ZoneName: pulumi.String(cfg.Domain), ResourceGroupName: net.ResourceGroupName,
			Location: pulumi.String("global"), ZoneType: network.ZoneTypePublic, Tags: pulumi.ToStringMap(labels),
		}, az, pulumi.Protect(prod))
		if err != nil {
			return err
		}
		zone.id = z.ID().ToStringOutput()
		ctx.Export("dnsNameServers", z.NameServers)
	}

	// zoneWriter is a managed identity federated with a ServiceAccount and allowed to write the zone.
	zoneWriter := func(role, namespace, serviceAccount string) (*managedidentity.UserAssignedIdentity, pulumi.Resource, error) {
		id, err := managedidentity.NewUserAssignedIdentity(ctx, "edge-"+role+"-identity", &managedidentity.UserAssignedIdentityArgs{
			ResourceName: pulumi.String(names.Base + "-" + role), ResourceGroupName: net.ResourceGroupName,
			Location: pulumi.String(cfg.Region), Tags: pulumi.ToStringMap(labels),
		}, az)
		if err != nil {
			return nil, nil, err
		}
		fic, err := managedidentity.NewFederatedIdentityCredential(ctx, "edge-"+role+"-federation", &managedidentity.FederatedIdentityCredentialArgs{
			FederatedIdentityCredentialResourceName: pulumi.String(role), ResourceName: id.Name, ResourceGroupName: net.ResourceGroupName,
			Issuer: c.OIDCIssuerURL, Subject: pulumi.String("system:serviceaccount:" + namespace + ":" + serviceAccount),
			Audiences: pulumi.StringArray{pulumi.String("api://AzureADTokenExchange")},
		}, az)
		if err != nil {
			return nil, nil, err
		}
		ra, err := agc.Grant(ctx, "edge-"+role+"-dns-zone-contributor", zone.id, id.PrincipalId, dnsZoneContributorRole, az, pulumi.DependsOn([]pulumi.Resource{fic}))
		return id, ra, err
	}

	controllersArgs := &envoygateway.ControllersArgs{HighAvailability: prod, Scheduling: c.Info.Scheduling, Labels: partOf()}
	var acme envoygateway.ACMEIssuer
	var certManagerReady []pulumi.Resource
	if cfg.Edge.Issuer == config.IssuerACME {
		id, ra, err := zoneWriter("cert-manager", envoygateway.CertManagerNamespace, envoygateway.CertManagerServiceAccount)
		if err != nil {
			return err
		}
		certManagerReady = append(certManagerReady, ra)
		controllersArgs.CertManagerIdentity = envoygateway.AzureWorkloadIdentity(id.ClientId)
		acme = envoygateway.ACMEIssuer{
			Email: cfg.Edge.ACME.Email, Server: cfg.Edge.ACME.Server, Provider: envoygateway.DNS01AzureDNS,
			AzureDNS: &envoygateway.AzureDNSSolver{
				SubscriptionID: pulumi.String(zone.subscription), ResourceGroupName: zone.resourceGroup,
				HostedZoneName: pulumi.String(zone.name), ClientID: id.ClientId,
			},
		}
	}
	k8s := pulumi.Provider(c.Provider)
	// cert-manager exchanges its token for the identity's at its first challenge: its chart waits for
	// the federation and the zone grant (a component's dependsOn does not reach its children).
	controllers, err := envoygateway.NewControllers(ctx, "edge-controllers", controllersArgs, k8s,
		pulumi.Transformations([]pulumi.ResourceTransformation{waitFor("kubernetes:helm.sh/v4:Chart", certManagerReady)}))
	if err != nil {
		return fmt.Errorf("edge controllers: %w", err)
	}
	f.edgeNamespace = envoygateway.Namespace
	f.certManager = []pulumi.Resource{controllers.CertManager}
	// cert-manager is scraped (observability_azure.go): its PodMonitor waits for its namespace.
	f.monitoringAfter = append(f.monitoringAfter, controllers)

	var albController *agc.Controller
	if opt.agc {
		albController, err = agc.NewController(ctx, "alb-controller", &agc.ControllerArgs{
			ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, Tags: labels,
			IdentityName: names.Base + "-alb-controller", NodeResourceGroupID: c.NodeResourceGroupID,
			SubnetID: net.AGCSubnetID, OIDCIssuerURL: c.OIDCIssuerURL, KubernetesProvider: c.Provider,
			GatewayAPICRDs: []pulumi.Resource{controllers.EnvoyGateway}, Scheduling: c.Info.Scheduling, Labels: partOf(),
		}, az)
		if err != nil {
			return fmt.Errorf("alb controller: %w", err)
		}
		// AGC proxies to the pods from its delegated subnet: with CNI Overlay "the Overlay routing
		// domain is further extended to the Application Gateway for Containers subnet, allowing
		// proxying of requests from Application Gateway for Containers directly to pods", and it
		// "supports … Cilium Kubernetes network policies" (container-networking.md).
		f.edgeCIDRs = []string{net.AGCSubnetCIDR}
		id, ra, err := zoneWriter("external-dns", externaldns.Namespace, externaldns.ServiceAccount)
		if err != nil {
			return err
		}
		// ExternalDNS lists the zones of its resource group before it writes (external-dns@v0.23.0
		// provider/azure/azure.go zones(): zonesClient.NewListByResourceGroupPager(p.resourceGroup)),
		// which needs Microsoft.Network/dnszones/read on the group: Reader there, writes stay on the zone.
		lister, err := agc.Grant(ctx, "edge-external-dns-rg-reader", zone.rgID, id.PrincipalId, agc.ReaderRole, az, pulumi.DependsOn([]pulumi.Resource{ra}))
		if err != nil {
			return err
		}
		// A zone named a parent of the domain must pass the domain filter too (zones() keeps a zone
		// only if DomainFilter.Match(zone.Name)).
		var zoneFilter []string
		if zone.name != cfg.Domain {
			zoneFilter = []string{zone.name}
		}
		if _, err := externaldns.New(ctx, "external-dns", &externaldns.Args{
			Provider: externaldns.Azure, Domain: cfg.Domain, Domains: zoneFilter, OwnerID: dnsLabel(names.Base),
			// Only the AGC Gateway's HTTPRoutes: Envoy Gateway's hosts have Pulumi-managed A records.
			Sources: []externaldns.Source{externaldns.HTTPRoute},
			Azure: &externaldns.AzureDNS{
				TenantID: client.TenantId, SubscriptionID: zone.subscription, ResourceGroup: zone.resourceGroup, ClientID: id.ClientId,
			},
			Scheduling: c.Info.Scheduling, Labels: partOf(),
		}, k8s, pulumi.Transformations([]pulumi.ResourceTransformation{waitFor("kubernetes:helm.sh/v4:Chart", []pulumi.Resource{ra, lister})})); err != nil {
			return fmt.Errorf("external-dns: %w", err)
		}
	}

	// Envoy Gateway's load balancer on a static address, so that its A records are written here.
	service, address, grant, err := azureProxyAddress(ctx, cfg, names, net, c, az)
	if err != nil {
		return err
	}
	f.edge = func(ctx *pulumi.Context, e *Engine) (*edge.Info, error) {
		// Grafana's route (observability) beside the engine's.
		routes := append(engineRoutes(e), f.extraRoutes...)
		// The routes' HTTPRoutes are created beside their backends: Grafana's in the monitoring
		// namespace, which must exist first.
		afterBackends := waitFor("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", f.edgeAfter)
		var http, envoy []edge.Route
		if opt.agc {
			for _, r := range routes {
				if r.Protocol == edge.HTTP {
					http = append(http, r)
				}
			}
			envoy = envoygateway.StreamRoutes(routes, streamHostSuffix)
		} else {
			envoy = routes
		}
		if err := checkAzureEdgePorts(opt, envoy); err != nil {
			return nil, err
		}
		issuer := envoygateway.SelfSigned
		if cfg.Edge.Issuer == config.IssuerACME {
			issuer = envoygateway.ACME
		}
		l4, err := envoygateway.NewEdge(ctx, "edge", &envoygateway.EdgeArgs{
			Domain: cfg.Domain, Routes: envoy, Issuer: issuer, ACME: acme, SourceRanges: cfg.Edge.SourceRanges,
			Service: service, HighAvailability: prod, Scheduling: c.Info.Scheduling, Controllers: controllers,
			Protect: prod, Labels: partOf(),
		}, k8s, pulumi.Transformations([]pulumi.ResourceTransformation{
			// Envoy Gateway creates the load balancer's Service for the Gateway: the cluster identity
			// must be allowed to join the public IP by then.
			waitFor("kubernetes:gateway.networking.k8s.io/v1:Gateway", grant), afterBackends,
		}))
		if err != nil {
			return nil, err
		}
		info := l4.Info
		for _, h := range edge.Hosts(cfg.Domain, envoy) {
			if _, err := network.NewRecordSet(ctx, "edge-dns-"+strings.ReplaceAll(h, ".", "-"), &network.RecordSetArgs{
				ZoneName: pulumi.String(zone.name), ResourceGroupName: zone.resourceGroup,
				RelativeRecordSetName: pulumi.String(zone.relative(h)), RecordType: pulumi.String("A"),
				Ttl: pulumi.Float64(300), ARecords: network.ARecordArray{&network.ARecordArgs{Ipv4Address: address}},
			}, dns); err != nil {
				return nil, err
			}
		}
		if opt.agc {
			front, err := agc.NewEdge(ctx, "agc", &agc.EdgeArgs{
				Domain: cfg.Domain, Routes: http, Controller: albController,
				Namespace: controllers.Namespace, NamespaceName: envoygateway.Namespace,
				IssuerName: edgeIssuerName, IssuerReady: []pulumi.Resource{l4}, Labels: partOf(),
			}, k8s, pulumi.Transformations([]pulumi.ResourceTransformation{afterBackends}))
			if err != nil {
				return nil, err
			}
			urls := map[string]pulumi.StringOutput{}
			for k, v := range front.URLs {
				urls[k] = v
			}
			info.URLs = urls
		}
		return &info, nil
	}
	return nil
}

// azureProxyAddress reserves the address of Envoy Gateway's load balancer and names it in the
// Service's annotations (cloud-provider-azure, learn.microsoft.com/azure/aks/static-ip and
// internal-lb):
//   - public: a Standard, static, zone-redundant (prod) public IP in the platform's resource group
//     (not protected, like the NAT gateway's: its A records follow a replacement),
//     named by service.beta.kubernetes.io/azure-pip-name with its group in
//     service.beta.kubernetes.io/azure-load-balancer-resource-group. The AKS docs grant the cluster
//     identity Network Contributor on that resource group; it is granted on the public IP alone,
//     which holds the read and join permissions the load balancer needs, rather than on the group
//     that holds the database and the lake.
//   - internal (every source range private): service.beta.kubernetes.io/azure-load-balancer-internal
//     with a fixed address of the node subnet (service.beta.kubernetes.io/azure-load-balancer-ipv4),
//     its last usable address, far from the nodes, which take addresses from the start; the cluster
//     identity already holds Network Contributor on that subnet.
func azureProxyAddress(ctx *pulumi.Context, cfg *config.Platform, names Names, net *azurevnet.Network, c *aks.Cluster, az pulumi.ResourceOption) (envoygateway.ProxyService, pulumi.StringOutput, []pulumi.Resource, error) {
	fail := func(err error) (envoygateway.ProxyService, pulumi.StringOutput, []pulumi.Resource, error) {
		return envoygateway.ProxyService{}, pulumi.StringOutput{}, nil, err
	}
	if cfg.Edge.InternalOnly() {
		ip := lastUsable(net.Subnets.AKS)
		return envoygateway.ProxyService{
			Annotations: pulumi.StringMap{
				"service.beta.kubernetes.io/azure-load-balancer-internal": pulumi.String("true"),
				"service.beta.kubernetes.io/azure-load-balancer-ipv4":     pulumi.String(ip),
			},
			EnforceSourceRanges: true,
		}, pulumi.String(ip).ToStringOutput(), nil, nil
	}
	pipName := names.Base + "-edge-ip"
	var zones pulumi.StringArrayInput
	if cfg.Environment == config.Prod {
		zones = pulumi.ToStringArray([]string{"1", "2", "3"}[:cfg.Network.AvailabilityZones])
	}
	pip, err := network.NewPublicIPAddress(ctx, "edge-ip", &network.PublicIPAddressArgs{
		PublicIpAddressName: pulumi.String(pipName), ResourceGroupName: net.ResourceGroupName, Location: pulumi.String(cfg.Region),
		Sku:                      &network.PublicIPAddressSkuArgs{Name: pulumi.String("Standard"), Tier: pulumi.String("Regional")},
		PublicIPAllocationMethod: pulumi.String("Static"), PublicIPAddressVersion: pulumi.String("IPv4"),
		Zones: zones, Tags: pulumi.ToStringMap(tags(cfg)),
		// The cluster's load balancer (in the node resource group) holds the IP as a frontend until
		// the cluster is gone: the IP and the grants cloud-provider-azure works under depend on the
		// cluster, so a destroy deletes them after it (a public IP in use cannot be deleted).
	}, az, pulumi.DependsOn([]pulumi.Resource{c}))
	if err != nil {
		return fail(err)
	}
	grant, err := agc.Grant(ctx, "edge-ip-network-contributor", pip.ID().ToStringOutput(), c.ControlPlanePrincipalID, aks.NetworkContributorRole, az, pulumi.DependsOn([]pulumi.Resource{c}))
	if err != nil {
		return fail(err)
	}
	// cloud-provider-azure finds the named IP by listing the group's public IPs
	// (sigs.k8s.io/cloud-provider-azure pkg/provider: findMatchedPIP → listPIP(pipResourceGroup) →
	// pipCache, a PublicIPAddresses List of the resource group), which needs
	// Microsoft.Network/publicIPAddresses/read at the group's scope: Reader on the group (read-only;
	// the write and join rights stay on the IP alone).
	lister, err := agc.Grant(ctx, "edge-ip-rg-reader", net.ResourceGroupID, c.ControlPlanePrincipalID, agc.ReaderRole, az, pulumi.DependsOn([]pulumi.Resource{c}))
	if err != nil {
		return fail(err)
	}
	return envoygateway.ProxyService{
		Annotations: pulumi.StringMap{
			"service.beta.kubernetes.io/azure-pip-name":                     pip.Name,
			"service.beta.kubernetes.io/azure-load-balancer-resource-group": net.ResourceGroupName,
		},
		EnforceSourceRanges: true,
	}, pip.IpAddress.Elem(), []pulumi.Resource{grant, lister}, nil
}

// clusterAfterAGCSubnet makes the managed cluster depend on the AGC subnet (when there is one): the
// ALB Controller in the cluster associates the subnet with AGC, whose resources live in the node
// resource group, so the subnet must outlive the cluster on destroy (a subnet with an association is
// InUse). A transformation, as a component's dependsOn does not reach its children.
// azureManagedClusterType is the AKS cluster's type token (components/cluster/aks: the 2024-09-01 API).
const azureManagedClusterType = "azure-native:containerservice/v20240901:ManagedCluster"

func clusterAfterAGCSubnet(net *azurevnet.Network) pulumi.ResourceOption {
	var deps []pulumi.Resource
	if net.AGCSubnet != nil {
		deps = []pulumi.Resource{net.AGCSubnet}
	}
	return pulumi.Transformations([]pulumi.ResourceTransformation{waitFor(azureManagedClusterType, deps)})
}

// waitFor makes every resource of a type below a component wait for deps. A transformation (run by
// the SDK, so mocks and previews see it too) rather than a component's dependsOn, which does not
// reach the children.
func waitFor(typ string, deps []pulumi.Resource) pulumi.ResourceTransformation {
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		if args.Type != typ || len(deps) == 0 {
			return nil
		}
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: append(append([]pulumi.ResourceOption{}, args.Opts...), pulumi.DependsOn(deps))}
	}
}

// lastUsable is a subnet's last address Azure hands out (it reserves the last one).
func lastUsable(cidr string) string {
	p := netip.MustParsePrefix(cidr)
	a := p.Addr().As4()
	n := binary.BigEndian.Uint32(a[:]) + 1<<(32-p.Bits()) - 2
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b).String()
}
