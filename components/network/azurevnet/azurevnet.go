// Package azurevnet is the Azure implementation of the platform network: a resource group holding a
// VNet with three subnets (AKS nodes, a PostgreSQL Flexible Server delegation, private endpoints), one
// NSG per subnet, a NAT gateway for the nodes' egress, and the private DNS zones PostgreSQL and the
// storage private endpoints resolve through.
package azurevnet

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	platformnet "github.com/opendataplatform/dataplatform/components/network"
)

// NetworkType is the component's type token.
const NetworkType = "dataplatform:azure:Network"

// Private DNS zones. Flexible Server with private access (VNet integration) needs a zone ending in
// ".postgres.database.azure.com" and Azure recommends "<name>.private.postgres.database.azure.com";
// "privatelink.postgres.database.azure.com" is for Private Link endpoints, which a delegated subnet
// does not use. The storage zones are the fixed Private Link zones Azure resolves blob and dfs through.
const (
	postgresZoneSuffix = ".private.postgres.database.azure.com"
	// BlobPrivateDNSZone resolves storage blob private endpoints.
	BlobPrivateDNSZone = "privatelink.blob.core.windows.net"
	// DfsPrivateDNSZone resolves storage Data Lake (dfs) private endpoints.
	DfsPrivateDNSZone = "privatelink.dfs.core.windows.net"
	// RegistryPrivateDNSZone resolves container registry private endpoints: the zone group of a
	// registry endpoint writes both "<name>" (login server) and "<name>.<region>.data" (layer
	// downloads) into it (learn.microsoft.com/azure/container-registry/container-registry-private-link).
	RegistryPrivateDNSZone = "privatelink.azurecr.io"
)

// PostgresDelegation is the service the postgres subnet is delegated to.
const PostgresDelegation = "Microsoft.DBforPostgreSQL/flexibleServers"

// NetworkArgs configures the network.
type NetworkArgs struct {
	// Location is the Azure region, e.g. "swedencentral".
	Location string
	// ResourceGroupName is the resource group this component creates; everything else lives in it.
	ResourceGroupName string
	// CIDR is the VNet address space, an IPv4 block from /16 to /20 (e.g. "10.40.0.0/16").
	CIDR string
	// PodCIDR is the cluster's Azure CNI Overlay pod range (optional but recommended). Overlay pod
	// traffic between nodes is not encapsulated, so the aks subnet's NSG must let it in explicitly; it
	// is not part of the VNet space and would otherwise meet the deny rules.
	PodCIDR string
	// PrivateAccessCIDRs are operator and CI networks reaching the VNet through peering or VPN (e.g. to
	// push the dbt image through the registry's private endpoint): the endpoints subnet admits HTTPS
	// from them. IPv4 CIDRs.
	PrivateAccessCIDRs []string
	// FlowLogs, when set, records the VNet's flows to a keyless storage account.
	FlowLogs *FlowLogs
	// AGCSubnet adds the "agc" subnet (CarveAGCSubnet), delegated to Application Gateway for
	// Containers (AGCDelegation), which the edge's ALB Controller associates. No NSG: AGC's data plane
	// lives in the delegated subnet and reaches the pods from it (the overlay routing domain is
	// extended to it, container-networking.md). AGC has no client filter outside its preview WAF, so
	// the stacks use it only for an edge open to everyone.
	AGCSubnet bool
	// EdgeIngress, when set, lets the edge's clients reach Envoy Gateway's public load balancer on the
	// nodes through the aks subnet's NSG (an Allow rule below its deny-internet rule).
	EdgeIngress *EdgeIngress
	// Protect marks the stateful resources (the resource group, the VNet and the flow-log account) protected: destroy and
	// replacement stop at them. The resource group is protected because deleting it in Azure deletes
	// everything inside it, the database and storage accounts included, whatever Pulumi's protect says
	// about them. Disposable children (subnets, NSGs, NAT gateway and its IP, DNS zones and links) are
	// never protected.
	Protect bool
	// Tags are applied to every taggable resource.
	Tags map[string]string
}

// InternetTag is the NSG service tag for every public address, for EdgeIngress.SourceRanges.
const InternetTag = "Internet"

// EdgeIngress is what the edge's public load balancer serves: the client ranges (IPv4 CIDRs, or
// InternetTag alone) and the TCP ports it listens on.
type EdgeIngress struct {
	SourceRanges []string
	Ports        []int
}

// Network is the Azure network component.
type Network struct {
	pulumi.ResourceState

	// ResourceGroupName is the name of the resource group the component created.
	ResourceGroupName pulumi.StringOutput
	// ResourceGroupID is the resource group's ARM ID.
	ResourceGroupID pulumi.StringOutput
	// VnetID is the VNet's ARM ID.
	VnetID pulumi.StringOutput
	// VnetName is the VNet's name.
	VnetName pulumi.StringOutput
	// AksSubnetID is the node subnet, with its NSG and the NAT gateway attached.
	AksSubnetID pulumi.StringOutput
	// PostgresSubnetID is the subnet delegated to PostgreSQL Flexible Server.
	PostgresSubnetID pulumi.StringOutput
	// EndpointsSubnetID is the subnet for private endpoints (network policies enabled, so its NSG applies).
	EndpointsSubnetID pulumi.StringOutput
	// AGCSubnetID is the subnet delegated to Application Gateway for Containers (AGCSubnet only; an
	// empty output otherwise), and AGCSubnetCIDR its range, from which AGC reaches the pods.
	AGCSubnetID   pulumi.StringOutput
	AGCSubnetCIDR string
	// AGCSubnet is that subnet's resource (nil without AGCSubnet): the cluster whose ALB Controller
	// associates it depends on it, so a destroy deletes the cluster (and AGC with its node resource
	// group) before the subnet, which Azure refuses to delete while an association holds it (InUse).
	AGCSubnet pulumi.Resource
	// PostgresPrivateDNSZoneID is the Flexible Server private DNS zone; it resolves once its VNet link
	// exists, so the output waits for the link.
	PostgresPrivateDNSZoneID pulumi.StringOutput
	// BlobPrivateDNSZoneID is privatelink.blob.core.windows.net, linked to the VNet.
	BlobPrivateDNSZoneID pulumi.StringOutput
	// DfsPrivateDNSZoneID is privatelink.dfs.core.windows.net, linked to the VNet.
	DfsPrivateDNSZoneID pulumi.StringOutput
	// NatGatewayID is the NAT gateway the aks subnet egresses through (AKS outboundType
	// userAssignedNATGateway).
	NatGatewayID pulumi.StringOutput
	// NatPublicIP is the NAT gateway's static egress address: a public API server must authorize it,
	// or the nodes cannot reach the API and never join.
	NatPublicIP pulumi.StringOutput
	// RegistryPrivateDNSZoneID is privatelink.azurecr.io, linked to the VNet.
	RegistryPrivateDNSZoneID pulumi.StringOutput
	// Subnets are the address ranges of the three subnets.
	Subnets Subnets
	// Info is the cloud-neutral view of the network.
	Info platformnet.Info
}

var (
	locationRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	// Resource group names: 1-90 of letters, digits, '_', '-', '.', '(' and ')'; no trailing period.
	resourceGroupRE = regexp.MustCompile(`^[A-Za-z0-9_().-]{1,90}$`)
	invalidNameRE   = regexp.MustCompile(`[^a-z0-9-]+`)
)

// validate checks the args before anything is registered.
func (a *NetworkArgs) validate(name string) (Subnets, error) {
	if a == nil {
		return Subnets{}, fmt.Errorf("azurevnet %q: args are nil; pass *NetworkArgs with Location, ResourceGroupName and CIDR", name)
	}
	if baseName(name) == "" {
		return Subnets{}, fmt.Errorf("azurevnet: name %q has no letters or digits to derive Azure resource names from", name)
	}
	if !locationRE.MatchString(a.Location) {
		return Subnets{}, fmt.Errorf("azurevnet %q: Location = %q; use an Azure region name in lower case without spaces, e.g. \"swedencentral\"", name, a.Location)
	}
	if !resourceGroupRE.MatchString(a.ResourceGroupName) || strings.HasSuffix(a.ResourceGroupName, ".") {
		return Subnets{}, fmt.Errorf("azurevnet %q: ResourceGroupName = %q; allowed 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'", name, a.ResourceGroupName)
	}
	subnets, err := CarveSubnets(a.CIDR)
	if err != nil {
		return Subnets{}, fmt.Errorf("azurevnet %q: %w", name, err)
	}
	if a.PodCIDR != "" {
		if err := checkPodCIDR(a.CIDR, a.PodCIDR); err != nil {
			return Subnets{}, fmt.Errorf("azurevnet %q: %w", name, err)
		}
	}
	for _, c := range a.PrivateAccessCIDRs {
		if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
			return Subnets{}, fmt.Errorf("azurevnet %q: PrivateAccessCIDRs entry %q: use an IPv4 network address such as 10.8.0.0/16", name, c)
		}
	}
	if err := a.EdgeIngress.validate(); err != nil {
		return Subnets{}, fmt.Errorf("azurevnet %q: %w", name, err)
	}
	if err := a.FlowLogs.validate(); err != nil {
		return Subnets{}, fmt.Errorf("azurevnet %q: %w", name, err)
	}
	return subnets, nil
}

// baseName derives the stem of every physical name from the component name: lower case, letters,
// digits and single hyphens, at most 40 characters so suffixed names stay inside Azure's limits
// (NSG, NAT gateway, public IP and VNet names allow 64-80).
func baseName(name string) string {
	s := invalidNameRE.ReplaceAllString(strings.ToLower(name), "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

// NewNetwork creates the resource group, VNet, subnets, NSGs, NAT gateway and private DNS zones.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	subnets, err := args.validate(name)
	if err != nil {
		return nil, err
	}
	comp := &Network{Subnets: subnets}
	props := pulumi.Map{
		"location":           pulumi.String(args.Location),
		"resourceGroupName":  pulumi.String(args.ResourceGroupName),
		"cidr":               pulumi.String(args.CIDR),
		"podCidr":            pulumi.String(args.PodCIDR),
		"privateAccessCidrs": pulumi.ToStringArray(args.PrivateAccessCIDRs),
		"flowLogs":           pulumi.Bool(args.FlowLogs != nil),
		"agcSubnet":          pulumi.Bool(args.AGCSubnet),
		"edgeIngress":        pulumi.Bool(args.EdgeIngress != nil),
		"protect":            pulumi.Bool(args.Protect),
		"tags":               pulumi.ToStringMap(args.Tags),
	}
	if err := ctx.RegisterComponentResourceV2(NetworkType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	// Disposable children say so explicitly, so a Protect option on the component itself does not
	// reach them.
	disposable := pulumi.Protect(false)
	stateful := pulumi.Protect(args.Protect)
	base := baseName(name)
	location := pulumi.String(args.Location)
	tags := pulumi.ToStringMap(args.Tags)

	rg, err := resources.NewResourceGroup(ctx, name+"-rg", &resources.ResourceGroupArgs{
		ResourceGroupName: pulumi.String(args.ResourceGroupName),
		Location:          location,
		Tags:              tags,
	}, parent, stateful)
	if err != nil {
		return nil, err
	}

	var watcher []pulumi.Resource
	if args.FlowLogs != nil {
		if watcher, err = ensureNetworkWatcher(ctx, name, args, name+"@"+args.ResourceGroupName, parent); err != nil {
			return nil, err
		}
	}

	vnet, err := network.NewVirtualNetwork(ctx, name+"-vnet", &network.VirtualNetworkArgs{
		VirtualNetworkName: pulumi.String(base + "-vnet"),
		ResourceGroupName:  rg.Name,
		Location:           location,
		AddressSpace:       &network.AddressSpaceArgs{AddressPrefixes: pulumi.StringArray{pulumi.String(args.CIDR)}},
		// Subnets are separate resources; leaving this property unset keeps the VNet from fighting them.
		Tags: tags,
	}, parent, stateful, pulumi.DependsOn(watcher))
	if err != nil {
		return nil, err
	}

	pip, err := network.NewPublicIPAddress(ctx, name+"-nat-ip", &network.PublicIPAddressArgs{
		PublicIpAddressName:      pulumi.String(base + "-nat-ip"),
		ResourceGroupName:        rg.Name,
		Location:                 location,
		Sku:                      &network.PublicIPAddressSkuArgs{Name: pulumi.String("Standard"), Tier: pulumi.String("Regional")},
		PublicIPAllocationMethod: pulumi.String("Static"),
		PublicIPAddressVersion:   pulumi.String("IPv4"),
		Tags:                     tags,
	}, parent, disposable)
	if err != nil {
		return nil, err
	}
	nat, err := network.NewNatGateway(ctx, name+"-nat", &network.NatGatewayArgs{
		NatGatewayName:       pulumi.String(base + "-nat"),
		ResourceGroupName:    rg.Name,
		Location:             location,
		Sku:                  &network.NatGatewaySkuArgs{Name: pulumi.String("Standard")},
		PublicIpAddresses:    network.SubResourceArray{&network.SubResourceArgs{Id: pip.ID()}},
		IdleTimeoutInMinutes: pulumi.Int(4),
		Tags:                 tags,
	}, parent, disposable)
	if err != nil {
		return nil, err
	}

	nsg := func(role string, rules network.SecurityRuleTypeArray) (*network.NetworkSecurityGroup, error) {
		return network.NewNetworkSecurityGroup(ctx, name+"-nsg-"+role, &network.NetworkSecurityGroupArgs{
			NetworkSecurityGroupName: pulumi.String(base + "-nsg-" + role),
			ResourceGroupName:        rg.Name,
			Location:                 location,
			SecurityRules:            rules,
			Tags:                     tags,
		}, parent, disposable)
	}
	agcCIDR := ""
	if args.AGCSubnet {
		agcCIDR, _ = CarveAGCSubnet(args.CIDR) // validate checked the CIDR
	}
	aksNSG, err := nsg("aks", aksRules(args.PodCIDR, agcCIDR, args.EdgeIngress))
	if err != nil {
		return nil, err
	}
	pgNSG, err := nsg("postgres", postgresRules(subnets))
	if err != nil {
		return nil, err
	}
	epNSG, err := nsg("endpoints", endpointsRules(subnets, args.PrivateAccessCIDRs))
	if err != nil {
		return nil, err
	}

	aksSubnet, err := network.NewSubnet(ctx, name+"-aks", &network.SubnetArgs{
		SubnetName:           pulumi.String("aks"),
		ResourceGroupName:    rg.Name,
		VirtualNetworkName:   vnet.Name,
		AddressPrefix:        pulumi.String(subnets.AKS),
		NetworkSecurityGroup: &network.NetworkSecurityGroupTypeArgs{Id: aksNSG.ID()},
		NatGateway:           &network.SubResourceArgs{Id: nat.ID()},
	}, parent, disposable)
	if err != nil {
		return nil, err
	}
	// Subnets of one VNet are created one after the other: parallel subnet writes fail with
	// AnotherOperationInProgress. The aks subnet goes first so the cluster never waits on the others.
	pgSubnet, err := network.NewSubnet(ctx, name+"-postgres", &network.SubnetArgs{
		SubnetName:           pulumi.String("postgres"),
		ResourceGroupName:    rg.Name,
		VirtualNetworkName:   vnet.Name,
		AddressPrefix:        pulumi.String(subnets.Postgres),
		NetworkSecurityGroup: &network.NetworkSecurityGroupTypeArgs{Id: pgNSG.ID()},
		Delegations: network.DelegationArray{&network.DelegationArgs{
			Name:        pulumi.String("postgres-flexible-server"),
			ServiceName: pulumi.String(PostgresDelegation),
		}},
	}, parent, disposable, pulumi.DependsOn([]pulumi.Resource{aksSubnet}))
	if err != nil {
		return nil, err
	}
	epSubnet, err := network.NewSubnet(ctx, name+"-endpoints", &network.SubnetArgs{
		SubnetName:           pulumi.String("endpoints"),
		ResourceGroupName:    rg.Name,
		VirtualNetworkName:   vnet.Name,
		AddressPrefix:        pulumi.String(subnets.Endpoints),
		NetworkSecurityGroup: &network.NetworkSecurityGroupTypeArgs{Id: epNSG.ID()},
		// Enabled makes the subnet's NSG apply to private endpoint traffic too.
		PrivateEndpointNetworkPolicies: pulumi.String("Enabled"),
	}, parent, disposable, pulumi.DependsOn([]pulumi.Resource{pgSubnet}))
	if err != nil {
		return nil, err
	}

	comp.AGCSubnetID = pulumi.String("").ToStringOutput()
	if args.AGCSubnet {
		comp.AGCSubnetCIDR = agcCIDR
		agc, err := network.NewSubnet(ctx, name+"-agc", &network.SubnetArgs{
			SubnetName:         pulumi.String("agc"),
			ResourceGroupName:  rg.Name,
			VirtualNetworkName: vnet.Name,
			AddressPrefix:      pulumi.String(comp.AGCSubnetCIDR),
			Delegations: network.DelegationArray{&network.DelegationArgs{
				Name:        pulumi.String("application-gateway-for-containers"),
				ServiceName: pulumi.String(AGCDelegation),
			}},
		}, parent, disposable, pulumi.DependsOn([]pulumi.Resource{epSubnet}))
		if err != nil {
			return nil, err
		}
		comp.AGCSubnetID = agc.ID().ToStringOutput()
		comp.AGCSubnet = agc
	}

	// zone creates a private DNS zone linked to the VNet, and returns its ID once the link exists.
	zone := func(role, zoneName string) (pulumi.StringOutput, error) {
		z, err := network.NewPrivateZone(ctx, name+"-dns-"+role, &network.PrivateZoneArgs{
			PrivateZoneName:   pulumi.String(zoneName),
			ResourceGroupName: rg.Name,
			Location:          pulumi.String("global"),
			Tags:              tags,
		}, parent, disposable)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		link, err := network.NewVirtualNetworkLink(ctx, name+"-dns-"+role+"-link", &network.VirtualNetworkLinkArgs{
			VirtualNetworkLinkName: pulumi.String(base + "-vnet"),
			PrivateZoneName:        z.Name,
			ResourceGroupName:      rg.Name,
			Location:               pulumi.String("global"),
			VirtualNetwork:         &network.SubResourceArgs{Id: vnet.ID()},
			// Resolution only: no VM records are auto-registered into service zones.
			RegistrationEnabled: pulumi.Bool(false),
			Tags:                tags,
		}, parent, disposable)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		return pulumi.All(z.ID(), link.ID()).ApplyT(func(v []any) string {
			return string(v[0].(pulumi.ID))
		}).(pulumi.StringOutput), nil
	}
	pgZoneID, err := zone("postgres", base+postgresZoneSuffix)
	if err != nil {
		return nil, err
	}
	blobZoneID, err := zone("blob", BlobPrivateDNSZone)
	if err != nil {
		return nil, err
	}
	dfsZoneID, err := zone("dfs", DfsPrivateDNSZone)
	if err != nil {
		return nil, err
	}
	registryZoneID, err := zone("acr", RegistryPrivateDNSZone)
	if err != nil {
		return nil, err
	}

	if args.FlowLogs != nil {
		if err := newFlowLogs(ctx, name, args, rg.Name, vnet.ID().ToStringOutput(), watcher, parent, stateful, disposable); err != nil {
			return nil, err
		}
	}

	comp.ResourceGroupName = rg.Name
	comp.ResourceGroupID = rg.ID().ToStringOutput()
	comp.VnetID = vnet.ID().ToStringOutput()
	comp.VnetName = vnet.Name
	comp.AksSubnetID = aksSubnet.ID().ToStringOutput()
	comp.PostgresSubnetID = pgSubnet.ID().ToStringOutput()
	comp.EndpointsSubnetID = epSubnet.ID().ToStringOutput()
	comp.PostgresPrivateDNSZoneID = pgZoneID
	comp.BlobPrivateDNSZoneID = blobZoneID
	comp.DfsPrivateDNSZoneID = dfsZoneID
	comp.NatGatewayID = nat.ID().ToStringOutput()
	// pulumi-azure-native network v2.90.0 publicIPAddress.go: IpAddress is the allocated address.
	comp.NatPublicIP = pip.IpAddress.Elem()
	comp.RegistryPrivateDNSZoneID = registryZoneID
	comp.Info = platformnet.Info{
		Cloud:             "azure",
		Region:            args.Location,
		CIDR:              args.CIDR,
		NetworkID:         comp.VnetID,
		PrivateSubnetIDs:  pulumi.StringArray{comp.AksSubnetID}.ToStringArrayOutput(),
		DatabaseSubnetIDs: pulumi.StringArray{comp.PostgresSubnetID}.ToStringArrayOutput(),
		// A VNet is regional: it spans every zone of the region, and the cluster and database pick
		// their zones themselves.
		Zones: pulumi.StringArray{}.ToStringArrayOutput(),
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"resourceGroupName":        comp.ResourceGroupName,
		"resourceGroupId":          comp.ResourceGroupID,
		"vnetId":                   comp.VnetID,
		"vnetName":                 comp.VnetName,
		"aksSubnetId":              comp.AksSubnetID,
		"postgresSubnetId":         comp.PostgresSubnetID,
		"endpointsSubnetId":        comp.EndpointsSubnetID,
		"agcSubnetId":              comp.AGCSubnetID,
		"postgresPrivateDnsZoneId": comp.PostgresPrivateDNSZoneID,
		"blobPrivateDnsZoneId":     comp.BlobPrivateDNSZoneID,
		"dfsPrivateDnsZoneId":      comp.DfsPrivateDNSZoneID,
		"natGatewayId":             comp.NatGatewayID,
		"natPublicIp":              comp.NatPublicIP,
		"registryPrivateDnsZoneId": comp.RegistryPrivateDNSZoneID,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
