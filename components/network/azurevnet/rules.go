package azurevnet

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NSG priorities. Allows sit low, the explicit denies sit just above Azure's defaults (65000+) so
// that any later, narrower allow can slot in between.
const (
	prioAllowFirst   = 100
	prioAllowEdge    = 200
	prioAllowLB      = 4000
	prioDenyVNet     = 4050
	prioDenyInternet = 4096
)

func rule(name, access string, priority int, protocol, src, dst, port string) *network.SecurityRuleTypeArgs {
	return &network.SecurityRuleTypeArgs{
		Name:                     pulumi.String(name),
		Direction:                pulumi.String("Inbound"),
		Access:                   pulumi.String(access),
		Priority:                 pulumi.Int(priority),
		Protocol:                 pulumi.String(protocol),
		SourceAddressPrefix:      pulumi.String(src),
		SourcePortRange:          pulumi.String("*"),
		DestinationAddressPrefix: pulumi.String(dst),
		DestinationPortRange:     pulumi.String(port),
	}
}

// commonRules end every NSG: health probes stay reachable (the deny below would otherwise shadow
// Azure's default AllowAzureLoadBalancerInBound), and nothing comes in from the internet.
func commonRules() network.SecurityRuleTypeArray {
	return network.SecurityRuleTypeArray{
		rule("allow-azure-load-balancer-in", "Allow", prioAllowLB, "*", "AzureLoadBalancer", "*", "*"),
		rule("deny-internet-in", "Deny", prioDenyInternet, "*", "Internet", "*", "*"),
	}
}

// aksRules: nodes talk to each other through Azure's default VNet rule; overlay pod traffic is not
// encapsulated, so the pod range is let in explicitly when known.
func aksRules(podCIDR, agcCIDR string, ingress *EdgeIngress) network.SecurityRuleTypeArray {
	rules := network.SecurityRuleTypeArray{}
	if podCIDR != "" {
		rules = append(rules, rule("allow-pod-overlay-in", "Allow", prioAllowFirst, "*", podCIDR, "*", "*"))
	}
	// Application Gateway for Containers proxies to the pods from its subnet (the overlay routing
	// domain is extended to it: azure-docs articles/application-gateway/for-containers/
	// container-networking.md); stated rather than left to the VirtualNetwork default rule, whose
	// destination tag need not cover overlay pod addresses. The pods' NetworkPolicies narrow it to
	// the routed ports.
	if agcCIDR != "" {
		rules = append(rules, rule("allow-agc-in", "Allow", prioAllowFirst+10, "Tcp", agcCIDR, "*", "*"))
	}
	if ingress != nil {
		rules = append(rules, edgeRule(ingress))
	}
	return append(rules, commonRules()...)
}

// postgresRules: only the nodes reach PostgreSQL (overlay pods leave their node SNATed to its IP), the
// subnet talks to itself for HA replication, and the rest of the VNet is shut out.
func postgresRules(s Subnets) network.SecurityRuleTypeArray {
	return append(network.SecurityRuleTypeArray{
		rule("allow-postgres-from-aks", "Allow", prioAllowFirst, "Tcp", s.AKS, s.Postgres, "5432"),
		rule("allow-postgres-intra-subnet", "Allow", prioAllowFirst+10, "*", s.Postgres, s.Postgres, "*"),
		rule("deny-vnet-in", "Deny", prioDenyVNet, "*", "VirtualNetwork", "*", "*"),
	}, commonRules()...)
}

// endpointsRules: private endpoints (storage, key vault, registry) speak HTTPS to the nodes, and to
// the operator and CI networks that reach the VNet privately (the "VirtualNetwork" tag the deny below
// matches includes peered and VPN-connected ranges, so they need their own allow).
func endpointsRules(s Subnets, privateAccess []string) network.SecurityRuleTypeArray {
	rules := network.SecurityRuleTypeArray{
		rule("allow-https-from-aks", "Allow", prioAllowFirst, "Tcp", s.AKS, s.Endpoints, "443"),
	}
	for i, cidr := range privateAccess {
		rules = append(rules, rule(fmt.Sprintf("allow-https-from-private-access-%d", i+1), "Allow", prioAllowFirst+10+i, "Tcp", cidr, s.Endpoints, "443"))
	}
	return append(append(rules,
		rule("deny-vnet-in", "Deny", prioDenyVNet, "*", "VirtualNetwork", "*", "*")), commonRules()...)
}

// checkPodCIDR requires an IPv4 network address outside the VNet space: overlay pod addresses must not
// collide with anything routable in the VNet.
func checkPodCIDR(vnetCIDR, podCIDR string) error {
	p, err := netip.ParsePrefix(podCIDR)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return fmt.Errorf("PodCIDR = %q: use an IPv4 network address such as 10.64.0.0/14", podCIDR)
	}
	if p.Overlaps(netip.MustParsePrefix(vnetCIDR)) {
		return fmt.Errorf("PodCIDR = %q overlaps the VNet space %s; choose a range outside it", podCIDR, vnetCIDR)
	}
	return nil
}

// edgeRule lets the edge's clients reach Envoy Gateway's public load balancer. An Azure Standard Load
// Balancer keeps the client's address ("Azure Load Balancer doesn't … change the source IP",
// azure-docs articles/load-balancer/load-balancer-overview.md), and the AzureLoadBalancer service tag
// covers only its health probes (articles/virtual-network/service-tags-overview.md: "This tag … the
// virtual IP address of the host (168.63.129.16) where the Azure health probes originate"), so the
// deny-internet rule would drop the clients. cloud-provider-azure opens a Service's ports in the
// AKS-managed NSG only (kubernetes-sigs/cloud-provider-azure pkg/provider/azure_loadbalancer.go
// reconcileSecurityGroup works on the NSG named by securityGroupName, the cluster's own), not in a
// subnet NSG of ours. With floating IP (the default for LoadBalancer Services) the packet reaches
// the node addressed to the frontend IP on the Service's port, so the rule matches the Service
// (listener) ports.
func edgeRule(in *EdgeIngress) *network.SecurityRuleTypeArgs {
	ports := make(pulumi.StringArray, len(in.Ports))
	for i, p := range in.Ports {
		ports[i] = pulumi.String(fmt.Sprint(p))
	}
	r := &network.SecurityRuleTypeArgs{
		Name:                     pulumi.String("allow-edge-in"),
		Direction:                pulumi.String("Inbound"),
		Access:                   pulumi.String("Allow"),
		Priority:                 pulumi.Int(prioAllowEdge),
		Protocol:                 pulumi.String("Tcp"),
		SourcePortRange:          pulumi.String("*"),
		DestinationAddressPrefix: pulumi.String("*"),
		DestinationPortRanges:    ports,
	}
	// pulumi-azure-native network v2.90.0 pulumiTypes.go SecurityRuleType: sourceAddressPrefix takes a
	// CIDR or a tag ("Internet"); sourceAddressPrefixes takes CIDRs only.
	if len(in.SourceRanges) == 1 {
		r.SourceAddressPrefix = pulumi.String(in.SourceRanges[0])
	} else {
		r.SourceAddressPrefixes = pulumi.ToStringArray(in.SourceRanges)
	}
	return r
}

// validate: IPv4 CIDRs or the Internet tag alone, ports 1–65535.
func (in *EdgeIngress) validate() error {
	if in == nil {
		return nil
	}
	if len(in.SourceRanges) == 0 || len(in.Ports) == 0 {
		return fmt.Errorf("EdgeIngress needs SourceRanges and Ports (got %v, %v)", in.SourceRanges, in.Ports)
	}
	for _, r := range in.SourceRanges {
		if r == InternetTag {
			if len(in.SourceRanges) != 1 {
				return fmt.Errorf("EdgeIngress.SourceRanges: %q stands alone (it covers every public range), got %v", InternetTag, in.SourceRanges)
			}
			continue
		}
		if p, err := netip.ParsePrefix(r); err != nil || !p.Addr().Is4() || p.Masked() != p {
			return fmt.Errorf("EdgeIngress.SourceRanges entry %q: use an IPv4 network address such as 203.0.113.0/24, or %q", r, InternetTag)
		}
	}
	for _, p := range in.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("EdgeIngress.Ports entry %d: must be 1–65535", p)
		}
	}
	return nil
}
