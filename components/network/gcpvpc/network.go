// Package gcpvpc is the Google Cloud implementation of the platform network: a custom-mode VPC with one
// regional subnet for the GKE nodes (secondary ranges for pods and Services), Cloud NAT for egress from
// private nodes, firewall rules, and private service access so Cloud SQL gets a private IP in the VPC.
package gcpvpc

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"

	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
	"github.com/opendataplatform/dataplatform/components/network"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/servicenetworking"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkType is the component's type token.
const NetworkType = "dataplatform:gcp:Network"

const (
	// PodRangeName names the subnet's secondary range for pod IPs.
	PodRangeName = "pods"
	// ServiceRangeName names the subnet's secondary range for Service ClusterIPs.
	ServiceRangeName = "services"
	// defaultPSAPrefixLength reserves a /16 for Google-managed services (Cloud SQL and later ones).
	defaultPSAPrefixLength = 16
)

// NetworkArgs configures the VPC.
type NetworkArgs struct {
	// Project is the Google Cloud project ID that holds the network.
	Project string
	// Region is where the subnet, Cloud Router and Cloud NAT live, e.g. "europe-north1".
	Region string
	// CIDR is the primary range of the nodes subnet, e.g. "10.40.0.0/16".
	CIDR string
	// PodCIDR is the subnet's secondary range for pods ("pods"), e.g. "10.64.0.0/14".
	PodCIDR string
	// ServiceCIDR is the subnet's secondary range for Services ("services"), e.g. "172.20.0.0/16".
	ServiceCIDR string
	// MasterCIDR is the /28 of the GKE control plane; the firewall lets it reach the nodes' admission
	// webhook and kubelet ports. It must match the cluster's MasterCIDR.
	MasterCIDR string
	// PrivateServiceAccessPrefixLength sizes the range reserved for private service access (Cloud SQL);
	// 0 means 16. Allowed: 8 to 24. Ignored when PrivateServiceAccessCIDR is set.
	PrivateServiceAccessPrefixLength int
	// PrivateServiceAccessCIDR pins the reserved range (e.g. "10.96.0.0/16"), so that network policies
	// can name the database's addresses; empty lets Google choose.
	PrivateServiceAccessCIDR string
	// FlowLogs turns on VPC flow logs for the nodes subnet.
	FlowLogs bool
	// ProxyOnlyCIDR, when set, adds the region's proxy-only subnet (purpose REGIONAL_MANAGED_PROXY,
	// role ACTIVE), where Google runs the Envoy proxies of regional Application Load Balancers (the
	// GKE Gateway classes gke-l7-rilb and gke-l7-regional-external-managed), and a firewall rule that
	// lets those proxies reach the nodes and pods (cloud.google.com/load-balancing/docs/firewall-rules,
	// "Regional internal Application Load Balancer": the proxy-only subnet). /26 or larger; /23
	// recommended (cloud.google.com/load-balancing/docs/proxy-only-subnets).
	ProxyOnlyCIDR string
	// Labels are applied to the resources that take labels (the reserved peering range).
	Labels map[string]string
	// Name is the VPC's name, unique in the project, e.g. "dataplatform-prod"; the subnet, router,
	// NAT, firewall rules and reserved range are named after it ("<Name>-nodes", …), so two stacks
	// in one project never collide. Empty derives it from the component name. At most 40 characters
	// (RFC 1035), leaving room for the suffixes within Compute Engine's 63.
	Name string
	// Protect marks the stateful resources (the VPC network) protected: destroy and replacement stop at it.
	// Disposable children (subnet, router, NAT, firewall rules, reserved range, peering) are never protected.
	Protect bool
}

// Network is a custom-mode VPC prepared for a private GKE cluster and Cloud SQL.
type Network struct {
	pulumi.ResourceState

	// NetworkID is the VPC's ID, "projects/<project>/global/networks/<name>".
	NetworkID pulumi.StringOutput
	// NetworkSelfLink is the VPC's self link, what GKE's network argument takes.
	NetworkSelfLink pulumi.StringOutput
	// NetworkName is the VPC's name.
	NetworkName pulumi.StringOutput
	// SubnetID is the nodes subnet's ID.
	SubnetID pulumi.StringOutput
	// SubnetSelfLink is the nodes subnet's self link, what GKE's subnetwork argument takes.
	SubnetSelfLink pulumi.StringOutput
	// PodRangeName is the secondary range for pods, "pods".
	PodRangeName string
	// ServiceRangeName is the secondary range for Services, "services".
	ServiceRangeName string
	// PrivateServiceAccessConnectionID is the service networking connection's ID. Cloud SQL instances
	// with a private IP must be created after it; take it as an input to get that ordering.
	PrivateServiceAccessConnectionID pulumi.StringOutput
	// RouterName is the Cloud Router that carries Cloud NAT.
	RouterName pulumi.StringOutput
	// ProxyOnlySubnet is the proxy-only subnet with ProxyOnlyCIDR; nil without.
	ProxyOnlySubnet *compute.Subnetwork
	// Info is the cloud-neutral view of the network.
	Info network.Info
}

func (a *NetworkArgs) validate(name string) error {
	if a == nil {
		return errors.New("gcpvpc: args are nil; pass a *NetworkArgs with Project, Region and the CIDRs")
	}
	if name == "" {
		return errors.New("gcpvpc: name is empty; resource names are derived from it")
	}
	if err := gcpnaming.ValidProject(a.Project); err != nil {
		return fmt.Errorf("gcpvpc %s: %w", name, err)
	}
	if err := gcpnaming.ValidRegion("Region", a.Region); err != nil {
		return fmt.Errorf("gcpvpc %s: %w", name, err)
	}
	ranges := []struct{ field, value string }{
		{"CIDR", a.CIDR}, {"PodCIDR", a.PodCIDR}, {"ServiceCIDR", a.ServiceCIDR}, {"MasterCIDR", a.MasterCIDR},
	}
	parsed := make([]netip.Prefix, len(ranges))
	for i, r := range ranges {
		p, err := gcpnaming.ParseCIDR(r.field, r.value)
		if err != nil {
			return fmt.Errorf("gcpvpc %s: %w", name, err)
		}
		parsed[i] = p
		for j := 0; j < i; j++ {
			if p.Overlaps(parsed[j]) {
				return fmt.Errorf("gcpvpc %s: %s = %q overlaps %s = %q; the node, pod, Service and control-plane ranges must be disjoint",
					name, r.field, r.value, ranges[j].field, ranges[j].value)
			}
		}
	}
	if bits := parsed[0].Bits(); bits < 8 || bits > 29 {
		return fmt.Errorf("gcpvpc %s: CIDR = %q; the subnet prefix must be between /8 and /29", name, a.CIDR)
	}
	if bits := parsed[3].Bits(); bits != 28 {
		return fmt.Errorf("gcpvpc %s: MasterCIDR = %q; GKE needs a /28 for the control plane", name, a.MasterCIDR)
	}
	if a.PrivateServiceAccessCIDR != "" {
		psa, err := gcpnaming.ParseCIDR("PrivateServiceAccessCIDR", a.PrivateServiceAccessCIDR)
		if err != nil {
			return fmt.Errorf("gcpvpc %s: %w", name, err)
		}
		if psa.Bits() < 8 || psa.Bits() > 24 {
			return fmt.Errorf("gcpvpc %s: PrivateServiceAccessCIDR = %q; the prefix must be /8 to /24", name, a.PrivateServiceAccessCIDR)
		}
	}
	if a.ProxyOnlyCIDR != "" {
		p, err := gcpnaming.ParseCIDR("ProxyOnlyCIDR", a.ProxyOnlyCIDR)
		if err != nil {
			return fmt.Errorf("gcpvpc %s: %w", name, err)
		}
		if p.Bits() > 26 {
			return fmt.Errorf("gcpvpc %s: ProxyOnlyCIDR = %q; a proxy-only subnet needs /26 or larger (/23 recommended)", name, a.ProxyOnlyCIDR)
		}
		for i, r := range ranges {
			if p.Overlaps(parsed[i]) {
				return fmt.Errorf("gcpvpc %s: ProxyOnlyCIDR = %q overlaps %s = %q", name, a.ProxyOnlyCIDR, r.field, r.value)
			}
		}
		if a.PrivateServiceAccessCIDR != "" {
			if psa, _ := gcpnaming.ParseCIDR("PrivateServiceAccessCIDR", a.PrivateServiceAccessCIDR); p.Overlaps(psa) {
				return fmt.Errorf("gcpvpc %s: ProxyOnlyCIDR = %q overlaps PrivateServiceAccessCIDR = %q", name, a.ProxyOnlyCIDR, a.PrivateServiceAccessCIDR)
			}
		}
	}
	if l := a.PrivateServiceAccessPrefixLength; l != 0 && (l < 8 || l > 24) {
		return fmt.Errorf("gcpvpc %s: PrivateServiceAccessPrefixLength = %d; must be 0 (meaning 16) or between 8 and 24", name, l)
	}
	if err := gcpnaming.ValidLabels(a.Labels); err != nil {
		return fmt.Errorf("gcpvpc %s: %w", name, err)
	}
	if a.Name != "" && (!vpcNameRe.MatchString(a.Name) || len(a.Name) > 40) {
		return fmt.Errorf("gcpvpc %s: Name = %q; must be 1–40 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen", name, a.Name)
	}
	return nil
}

var vpcNameRe = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// vpcName is the network's name: Name, or one derived from the component name.
func (a *NetworkArgs) vpcName(component string) string {
	if a.Name != "" {
		return a.Name
	}
	return gcpnaming.ResourceName(component, "", 40)
}

// NewNetwork creates the VPC, the nodes subnet, Cloud NAT, the firewall rules and private service access.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if err := args.validate(name); err != nil {
		return nil, err
	}
	psaPrefix := args.PrivateServiceAccessPrefixLength
	if psaPrefix == 0 {
		psaPrefix = defaultPSAPrefixLength
	}
	var psaAddress pulumi.StringPtrInput
	if args.PrivateServiceAccessCIDR != "" {
		pinned, _ := gcpnaming.ParseCIDR("PrivateServiceAccessCIDR", args.PrivateServiceAccessCIDR) // validated above
		psaPrefix, psaAddress = pinned.Bits(), pulumi.String(pinned.Addr().String())
	}

	comp := &Network{PodRangeName: PodRangeName, ServiceRangeName: ServiceRangeName}
	props := pulumi.Map{
		"project":                          pulumi.String(args.Project),
		"region":                           pulumi.String(args.Region),
		"cidr":                             pulumi.String(args.CIDR),
		"podCidr":                          pulumi.String(args.PodCIDR),
		"serviceCidr":                      pulumi.String(args.ServiceCIDR),
		"masterCidr":                       pulumi.String(args.MasterCIDR),
		"privateServiceAccessPrefixLength": pulumi.Int(psaPrefix),
		"flowLogs":                         pulumi.Bool(args.FlowLogs),
		"proxyOnlyCidr":                    pulumi.String(args.ProxyOnlyCIDR),
		"labels":                           pulumi.ToStringMap(args.Labels),
		"name":                             pulumi.String(args.vpcName(name)),
		"protect":                          pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(NetworkType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	// Every child states its protection: only the VPC follows Protect (a component-level protect would
	// be inherited by the subnet, NAT and firewall rules, and any replacement of them would fail).
	parent := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	project := pulumi.String(args.Project)
	region := pulumi.String(args.Region)
	base := args.vpcName(name)

	vpc, err := compute.NewNetwork(ctx, name+"-vpc", &compute.NetworkArgs{
		Project:     project,
		Name:        pulumi.String(base),
		Description: pulumi.String("Data platform VPC, managed by Pulumi"),
		// Custom mode: only the subnet below exists, so no range in another region can clash.
		AutoCreateSubnetworks: pulumi.Bool(false),
		RoutingMode:           pulumi.String("REGIONAL"),
		// The default internet route stays: Cloud NAT needs it for egress.
		DeleteDefaultRoutesOnCreate: pulumi.Bool(false),
	}, pulumi.Parent(comp), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	var logConfig compute.SubnetworkLogConfigPtrInput
	if args.FlowLogs {
		logConfig = &compute.SubnetworkLogConfigArgs{
			AggregationInterval: pulumi.String("INTERVAL_5_SEC"),
			FlowSampling:        pulumi.Float64(0.5), // half the flows: enough for forensics at half the log cost
			Metadata:            pulumi.String("INCLUDE_ALL_METADATA"),
		}
	}
	subnet, err := compute.NewSubnetwork(ctx, name+"-nodes", &compute.SubnetworkArgs{
		Project:     project,
		Region:      region,
		Name:        pulumi.String(gcpnaming.ResourceName(base, "-nodes", 63)),
		Description: pulumi.String("GKE nodes, with secondary ranges for pods and Services"),
		Network:     vpc.ID(),
		IpCidrRange: pulumi.String(args.CIDR),
		// Private nodes have no external IP; this lets them reach Google APIs (Artifact Registry,
		// Cloud Storage, Cloud Logging) without going through NAT.
		PrivateIpGoogleAccess: pulumi.Bool(true),
		SecondaryIpRanges: compute.SubnetworkSecondaryIpRangeArray{
			&compute.SubnetworkSecondaryIpRangeArgs{RangeName: pulumi.String(PodRangeName), IpCidrRange: pulumi.String(args.PodCIDR)},
			&compute.SubnetworkSecondaryIpRangeArgs{RangeName: pulumi.String(ServiceRangeName), IpCidrRange: pulumi.String(args.ServiceCIDR)},
		},
		LogConfig: logConfig,
	}, parent)
	if err != nil {
		return nil, err
	}

	router, err := compute.NewRouter(ctx, name+"-router", &compute.RouterArgs{
		Project:     project,
		Region:      region,
		Name:        pulumi.String(gcpnaming.ResourceName(base, "-router", 63)),
		Description: pulumi.String("Carries Cloud NAT for the private GKE nodes"),
		Network:     vpc.ID(),
	}, parent)
	if err != nil {
		return nil, err
	}
	_, err = compute.NewRouterNat(ctx, name+"-nat", &compute.RouterNatArgs{
		Project: project,
		Region:  region,
		Name:    pulumi.String(gcpnaming.ResourceName(base, "-nat", 63)),
		Router:  router.Name,
		// Private nodes and pods pull images and reach SaaS sources (Airbyte) through NAT.
		NatIpAllocateOption:           pulumi.String("AUTO_ONLY"),
		SourceSubnetworkIpRangesToNat: pulumi.String("ALL_SUBNETWORKS_ALL_IP_RANGES"),
		// Airbyte syncs open many connections per node: let busy nodes grow their port share instead
		// of dropping connections (dynamic allocation needs endpoint-independent mapping off).
		EnableDynamicPortAllocation:      pulumi.Bool(true),
		EnableEndpointIndependentMapping: pulumi.Bool(false),
		MinPortsPerVm:                    pulumi.Int(64),
		MaxPortsPerVm:                    pulumi.Int(4096),
		LogConfig: &compute.RouterNatLogConfigArgs{
			Enable: pulumi.Bool(true),
			Filter: pulumi.String("ERRORS_ONLY"), // port exhaustion and drops, not every translation
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	if err := firewallRules(ctx, name, base, args, vpc, parent); err != nil {
		return nil, err
	}

	// Private service access: Cloud SQL's private IP comes from this reserved range, reached over a
	// peering that Google's service producer network sets up.
	psaRange, err := compute.NewGlobalAddress(ctx, name+"-psa-range", &compute.GlobalAddressArgs{
		Project:      project,
		Name:         pulumi.String(gcpnaming.ResourceName(base, "-psa", 63)),
		Description:  pulumi.String("Reserved for private service access (Cloud SQL)"),
		Purpose:      pulumi.String("VPC_PEERING"),
		AddressType:  pulumi.String("INTERNAL"),
		PrefixLength: pulumi.Int(psaPrefix),
		Address:      psaAddress,
		Network:      vpc.ID(),
		Labels:       pulumi.ToStringMap(args.Labels),
	}, parent)
	if err != nil {
		return nil, err
	}
	psa, err := servicenetworking.NewConnection(ctx, name+"-psa", &servicenetworking.ConnectionArgs{
		Network:               vpc.ID(),
		Service:               pulumi.String("servicenetworking.googleapis.com"),
		ReservedPeeringRanges: pulumi.StringArray{psaRange.Name},
		// Deleting the connection fails for days after a Cloud SQL instance is deleted ("producer
		// services are still using this connection"); abandoning it lets `pulumi destroy` finish, and
		// the peering goes away with the VPC.
		DeletionPolicy: pulumi.String("ABANDON"),
	}, parent)
	if err != nil {
		return nil, err
	}

	// The regional subnet spans every zone of the region; report them for the neutral contract. No
	// status filter: a zone that is DOWN during an incident is still one of the region's zones, and the
	// list must not change from one run to the next (issue 9, class 8).
	zones, err := compute.GetZones(ctx, &compute.GetZonesArgs{
		Project: &args.Project, Region: &args.Region,
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, fmt.Errorf("gcpvpc %s: listing the zones of %s: %w", name, args.Region, err)
	}
	zoneNames := append([]string(nil), zones.Names...)
	sort.Strings(zoneNames)

	if args.ProxyOnlyCIDR != "" {
		if comp.ProxyOnlySubnet, err = proxyOnlySubnet(ctx, name, base, args, vpc, parent); err != nil {
			return nil, err
		}
	}

	comp.NetworkID = vpc.ID().ToStringOutput()
	comp.NetworkSelfLink = vpc.SelfLink
	comp.NetworkName = vpc.Name
	comp.SubnetID = subnet.ID().ToStringOutput()
	comp.SubnetSelfLink = subnet.SelfLink
	comp.PrivateServiceAccessConnectionID = psa.ID().ToStringOutput()
	comp.RouterName = router.Name
	comp.Info = network.Info{
		Cloud:             "gcp",
		Region:            args.Region,
		CIDR:              args.CIDR,
		NetworkID:         comp.NetworkID,
		PrivateSubnetIDs:  pulumi.StringArray{comp.SubnetID}.ToStringArrayOutput(),
		DatabaseSubnetIDs: pulumi.StringArray{}.ToStringArrayOutput(),
		Zones:             pulumi.ToStringArray(zoneNames).ToStringArrayOutput(),
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"networkId":                        comp.NetworkID,
		"networkSelfLink":                  comp.NetworkSelfLink,
		"networkName":                      comp.NetworkName,
		"subnetId":                         comp.SubnetID,
		"subnetSelfLink":                   comp.SubnetSelfLink,
		"podRangeName":                     pulumi.String(PodRangeName),
		"serviceRangeName":                 pulumi.String(ServiceRangeName),
		"privateServiceAccessConnectionId": comp.PrivateServiceAccessConnectionID,
		"routerName":                       comp.RouterName,
		"zones":                            comp.Info.Zones,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// firewallRules lets the nodes and pods talk to each other and the control plane reach webhooks, and
// logs everything else that is dropped. GKE adds its own rules (priority 1000) for its health checks
// and load balancers; the explicit deny sits below them.
func firewallRules(ctx *pulumi.Context, name, base string, args *NetworkArgs, vpc *compute.Network, parent pulumi.ResourceOption) error {
	project := pulumi.String(args.Project)
	allProtocols := compute.FirewallAllowArray{
		&compute.FirewallAllowArgs{Protocol: pulumi.String("tcp")},
		&compute.FirewallAllowArgs{Protocol: pulumi.String("udp")},
		&compute.FirewallAllowArgs{Protocol: pulumi.String("icmp")},
	}
	if _, err := compute.NewFirewall(ctx, name+"-allow-internal", &compute.FirewallArgs{
		Project:      project,
		Name:         pulumi.String(gcpnaming.ResourceName(base, "-allow-internal", 63)),
		Description:  pulumi.String("Node-to-node and pod-to-pod traffic; NetworkPolicy (Dataplane V2) narrows it in-cluster"),
		Network:      vpc.ID(),
		Direction:    pulumi.String("INGRESS"),
		Priority:     pulumi.Int(1000),
		SourceRanges: pulumi.ToStringArray([]string{args.CIDR, args.PodCIDR}),
		Allows:       allProtocols,
	}, parent); err != nil {
		return err
	}
	if _, err := compute.NewFirewall(ctx, name+"-allow-master-webhooks", &compute.FirewallArgs{
		Project: project,
		Name:    pulumi.String(gcpnaming.ResourceName(base, "-allow-master-webhooks", 63)),
		// GKE opens only 443 and 10250 from the control plane; cert-manager, gateway and operator
		// webhooks listen on 8443/9443 and time out without this rule.
		Description:  pulumi.String("GKE control plane to admission webhooks and kubelets"),
		Network:      vpc.ID(),
		Direction:    pulumi.String("INGRESS"),
		Priority:     pulumi.Int(1000),
		SourceRanges: pulumi.ToStringArray([]string{args.MasterCIDR}),
		Allows: compute.FirewallAllowArray{&compute.FirewallAllowArgs{
			Protocol: pulumi.String("tcp"),
			Ports:    pulumi.ToStringArray([]string{"443", "8443", "9443", "10250"}),
		}},
	}, parent); err != nil {
		return err
	}
	_, err := compute.NewFirewall(ctx, name+"-deny-all-ingress", &compute.FirewallArgs{
		Project: project,
		Name:    pulumi.String(gcpnaming.ResourceName(base, "-deny-all-ingress", 63)),
		// The implied deny (65535) is not logged; this one is, so dropped traffic is visible.
		Description:  pulumi.String("Explicit, logged default deny for ingress"),
		Network:      vpc.ID(),
		Direction:    pulumi.String("INGRESS"),
		Priority:     pulumi.Int(65534),
		SourceRanges: pulumi.ToStringArray([]string{"0.0.0.0/0"}),
		Denies:       compute.FirewallDenyArray{&compute.FirewallDenyArgs{Protocol: pulumi.String("all")}},
		LogConfig:    &compute.FirewallLogConfigArgs{Metadata: pulumi.String("INCLUDE_ALL_METADATA")},
	}, parent)
	return err
}

// proxyOnlySubnet creates the region's proxy-only subnet (pulumi-gcp@v7.38.0 compute/subnetwork.go
// purpose REGIONAL_MANAGED_PROXY, role ACTIVE; no secondary ranges, no private Google access) and the
// firewall rule that admits its proxies to the nodes and pods (TCP: the load balancers speak HTTP).
func proxyOnlySubnet(ctx *pulumi.Context, name, base string, args *NetworkArgs, vpc *compute.Network, parent pulumi.ResourceOption) (*compute.Subnetwork, error) {
	sub, err := compute.NewSubnetwork(ctx, name+"-proxy-only", &compute.SubnetworkArgs{
		Project:     pulumi.String(args.Project),
		Region:      pulumi.String(args.Region),
		Name:        pulumi.String(gcpnaming.ResourceName(base, "-proxy-only", 63)),
		Description: pulumi.String("Envoy proxies of the region's managed Application Load Balancers (GKE Gateway)"),
		Network:     vpc.ID(),
		IpCidrRange: pulumi.String(args.ProxyOnlyCIDR),
		Purpose:     pulumi.String("REGIONAL_MANAGED_PROXY"),
		Role:        pulumi.String("ACTIVE"),
	}, parent)
	if err != nil {
		return nil, err
	}
	_, err = compute.NewFirewall(ctx, name+"-allow-proxy-only", &compute.FirewallArgs{
		Project:      pulumi.String(args.Project),
		Name:         pulumi.String(gcpnaming.ResourceName(base, "-allow-proxy-only", 63)),
		Description:  pulumi.String("Regional load balancers' proxies to the pods; NetworkPolicy admits them on the routed ports only"),
		Network:      vpc.ID(),
		Direction:    pulumi.String("INGRESS"),
		Priority:     pulumi.Int(1000),
		SourceRanges: pulumi.ToStringArray([]string{args.ProxyOnlyCIDR}),
		Allows:       compute.FirewallAllowArray{&compute.FirewallAllowArgs{Protocol: pulumi.String("tcp")}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{sub}))
	return sub, err
}
