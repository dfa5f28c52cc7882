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
func aksRules(podCIDR, agcCIDR string) network.SecurityRuleTypeArray {
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
