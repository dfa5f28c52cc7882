package config

import "net/netip"

// DefaultAPIServerCIDRs is the default of network.apiServerCidrs: the private (RFC 1918) ranges.
// Narrower than "any host on 443/6443" — no egress to the internet — but wider than the API server;
// production stacks name its endpoints.
func DefaultAPIServerCIDRs() []string {
	return []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
}

// inCluster checks the settings of the in-cluster data services (kubernetes target).
func (v *validator) inCluster() {
	if v.p.Cloud != Kubernetes {
		return
	}
	const key = "network.apiServerCidrs"
	cidrs := v.p.Network.APIServerCIDRs
	if len(cidrs) == 0 {
		v.add(key, "[]", "a list of the Kubernetes API server's addresses as CIDR blocks (kubectl get endpoints kubernetes -n default), e.g. [\"172.18.0.2/32\"]")
	}
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		switch {
		case err != nil || p.Masked() != p:
			v.add(key, c, "a CIDR block with its host bits zero, e.g. 172.18.0.2/32")
		case p.Bits() == 0:
			v.add(key, c, "the API server's addresses, not every address")
		}
	}
}
