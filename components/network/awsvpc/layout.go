package awsvpc

import (
	"fmt"
	"net/netip"
)

// zoneSubnets are the three subnets of one availability zone.
type zoneSubnets struct {
	Public, Private, Database netip.Prefix
}

// maxZones is how many zones the layout reserves room for.
const maxZones = 3

// carve splits a VPC CIDR into per-zone subnets. The layout depends only on the CIDR, never on the
// zone count, so growing from 2 to 3 zones adds subnets without moving existing ones:
//
//   - quarters 0–2 (prefix+2) are the private subnets, one per zone: EKS' VPC CNI gives every pod a
//     VPC address, so they get most of the space;
//   - quarter 3 is cut into eighths (prefix+5): slots 0–2 are the public subnets (load balancers,
//     NAT gateways), slots 4–6 the database subnets; slots 3 and 7 stay free.
//
// A /16 yields /18 private and /21 public and database subnets; a /20 yields /22 and /25.
func carve(cidr netip.Prefix, zones int) ([]zoneSubnets, error) {
	if !cidr.Addr().Is4() || cidr.Bits() < 16 || cidr.Bits() > 20 {
		return nil, fmt.Errorf("CIDR %s: must be an IPv4 block from /16 to /20", cidr)
	}
	if cidr.Masked() != cidr {
		return nil, fmt.Errorf("CIDR %s: host bits must be zero (did you mean %s?)", cidr, cidr.Masked())
	}
	if zones < 1 || zones > maxZones {
		return nil, fmt.Errorf("zones = %d: must be 1 to %d", zones, maxZones)
	}
	rest := nth(cidr, cidr.Bits()+2, 3)
	out := make([]zoneSubnets, zones)
	for i := range out {
		out[i] = zoneSubnets{
			Private:  nth(cidr, cidr.Bits()+2, i),
			Public:   nth(rest, cidr.Bits()+5, i),
			Database: nth(rest, cidr.Bits()+5, 4+i),
		}
	}
	return out, nil
}

// nth returns the n-th sub-block of length bits inside p.
func nth(p netip.Prefix, bits, n int) netip.Prefix {
	a := p.Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	base += uint32(n) << (32 - bits)
	addr := netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), byte(base)})
	return netip.PrefixFrom(addr, bits)
}
