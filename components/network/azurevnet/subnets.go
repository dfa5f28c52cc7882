package azurevnet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// VNet sizes the carving supports: /16 leaves room for growth, /20 is the smallest space whose node
// subnet (/21, 2,043 usable addresses) still fits a large overlay cluster plus surge nodes.
const (
	minVNetPrefix = 16
	maxVNetPrefix = 20
	// smallSubnetPrefix sizes the postgres and endpoints subnets: Flexible Server needs at least a /28
	// per server (HA standby included), and a /24 of private endpoints outlives any realistic count.
	smallSubnetPrefix = 24
)

// Subnets are the address ranges carved out of the VNet space.
type Subnets struct {
	// AKS holds the cluster nodes: the first half of the space. With Azure CNI Overlay only nodes take
	// VNet addresses, so half the space is ample and leaves the rest for the other subnets.
	AKS string
	// Postgres is delegated to Azure Database for PostgreSQL Flexible Server.
	Postgres string
	// Endpoints holds private endpoints (storage blob/dfs and later services).
	Endpoints string
}

// CarveSubnets splits an IPv4 VNet space (/16 to /20, written as its network address) into the aks,
// postgres and endpoints subnets. The aks subnet is the first half; the two /24s follow at the start
// of the second half, and the rest of that half stays free for later subnets. It is pure, so the
// layout is the same on every run and is unit-tested.
func CarveSubnets(cidr string) (Subnets, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return Subnets{}, fmt.Errorf("CIDR = %q: not a CIDR block; use an IPv4 block such as 10.40.0.0/16", cidr)
	}
	if !p.Addr().Is4() {
		return Subnets{}, fmt.Errorf("CIDR = %q: IPv6 is not supported; use an IPv4 block such as 10.40.0.0/16", cidr)
	}
	if p.Bits() < minVNetPrefix || p.Bits() > maxVNetPrefix {
		return Subnets{}, fmt.Errorf("CIDR = %q: prefix /%d is out of range; allowed /%d to /%d", cidr, p.Bits(), minVNetPrefix, maxVNetPrefix)
	}
	if p.Masked() != p {
		return Subnets{}, fmt.Errorf("CIDR = %q: host bits are set; write the network address %s", cidr, p.Masked())
	}
	a4 := p.Addr().As4()
	base := binary.BigEndian.Uint32(a4[:])
	half := base + 1<<(32-(p.Bits()+1))
	return Subnets{
		AKS:       prefixAt(base, p.Bits()+1),
		Postgres:  prefixAt(half, smallSubnetPrefix),
		Endpoints: prefixAt(half+1<<(32-smallSubnetPrefix), smallSubnetPrefix),
	}, nil
}

func prefixAt(addr uint32, bits int) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], addr)
	return netip.PrefixFrom(netip.AddrFrom4(b), bits).String()
}

// AGCDelegation is the service the edge subnet is delegated to: Application Gateway for Containers
// joins it (MicrosoftDocs/azure-docs articles/application-gateway/for-containers/
// quickstart-create-application-gateway-for-containers-managed-by-alb-controller.md: "az network vnet
// subnet create ... --delegations 'Microsoft.ServiceNetworking/trafficControllers'").
const AGCDelegation = "Microsoft.ServiceNetworking/trafficControllers"

// CarveAGCSubnet is the /24 after the endpoints subnet, for Application Gateway for Containers. With
// Azure CNI Overlay the subnet "must be a /24 prefix; only one deployment is supported per subnet. A
// larger or smaller prefix isn't supported" (azure-docs articles/application-gateway/for-containers/
// container-networking.md, Limitations), and it needs "at least 250 available IP addresses" (the
// managed-by-ALB-controller quickstart). Every VNet size CarveSubnets accepts (/16 to /20) has room for
// it: the second half is at least a /21, eight /24s.
func CarveAGCSubnet(cidr string) (string, error) {
	s, err := CarveSubnets(cidr)
	if err != nil {
		return "", err
	}
	ep := netip.MustParsePrefix(s.Endpoints).Addr().As4()
	return prefixAt(binary.BigEndian.Uint32(ep[:])+1<<(32-smallSubnetPrefix), smallSubnetPrefix), nil
}
