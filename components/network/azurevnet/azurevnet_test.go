package azurevnet

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tRG     = "azure-native:resources:ResourceGroup"
	tVNet   = "azure-native:network:VirtualNetwork"
	tSubnet = "azure-native:network:Subnet"
	tNSG    = "azure-native:network:NetworkSecurityGroup"
	tNAT    = "azure-native:network:NatGateway"
	tPIP    = "azure-native:network:PublicIPAddress"
	tZone   = "azure-native:network:PrivateZone"
	tLink   = "azure-native:network:VirtualNetworkLink"
)

func testArgs() *NetworkArgs {
	return &NetworkArgs{
		Location:          "swedencentral",
		ResourceGroupName: "dataplatform-prod",
		CIDR:              "10.40.0.0/16",
		PodCIDR:           "10.64.0.0/14",
		Tags:              map[string]string{"environment": "prod"},
	}
}

// deploy runs NewNetwork under the harness and returns the recorder and the component.
func deploy(t *testing.T, preview bool, args *NetworkArgs) (*mockcloud.Mocks, *Network) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var net *Network
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		net, err = NewNetwork(ctx, "net", args, pulumi.Provider(p))
		return err
	}, nil)
	require.NoError(t, err)
	require.NotNil(t, net)
	return m, net
}

func TestCarveSubnets(t *testing.T) {
	cases := []struct {
		cidr                    string
		aks, postgres, endpoint string
	}{
		{"10.40.0.0/16", "10.40.0.0/17", "10.40.128.0/24", "10.40.129.0/24"},
		{"10.40.0.0/18", "10.40.0.0/19", "10.40.32.0/24", "10.40.33.0/24"},
		{"172.16.16.0/20", "172.16.16.0/21", "172.16.24.0/24", "172.16.25.0/24"},
	}
	for _, c := range cases {
		t.Run(c.cidr, func(t *testing.T) {
			s, err := CarveSubnets(c.cidr)
			require.NoError(t, err)
			assert.Equal(t, Subnets{AKS: c.aks, Postgres: c.postgres, Endpoints: c.endpoint}, s)
		})
	}
}

func TestCarveSubnetsInvariants(t *testing.T) {
	for bits := minVNetPrefix; bits <= maxVNetPrefix; bits++ {
		vnet := netip.PrefixFrom(netip.MustParseAddr("10.128.0.0"), bits)
		s, err := CarveSubnets(vnet.String())
		require.NoError(t, err, vnet)
		ps := []netip.Prefix{netip.MustParsePrefix(s.AKS), netip.MustParsePrefix(s.Postgres), netip.MustParsePrefix(s.Endpoints)}
		for i, p := range ps {
			assert.True(t, vnet.Contains(p.Addr()) && p.Bits() >= vnet.Bits(), "%s outside %s", p, vnet)
			last := p.Addr()
			for n := 0; n < 1<<(32-p.Bits())-1; n++ {
				last = last.Next()
			}
			assert.True(t, vnet.Contains(last), "%s ends outside %s", p, vnet)
			for _, q := range ps[i+1:] {
				assert.False(t, p.Overlaps(q), "%s overlaps %s in %s", p, q, vnet)
			}
		}
		assert.Less(t, ps[0].Bits(), ps[1].Bits(), "aks subnet must be the largest")
		assert.Less(t, ps[0].Bits(), ps[2].Bits(), "aks subnet must be the largest")
	}
}

func TestCarveSubnetsErrors(t *testing.T) {
	for cidr, want := range map[string]string{
		"10.40.0.0/15":    "out of range",
		"10.40.0.0/21":    "out of range",
		"10.40.1.0/16":    "host bits",
		"fd00::/48":       "IPv6",
		"10.40.0.0":       "not a CIDR",
		"":                "not a CIDR",
		"10.400.0.0/16":   "not a CIDR",
		"192.168.0.0/255": "not a CIDR",
	} {
		_, err := CarveSubnets(cidr)
		require.Error(t, err, cidr)
		assert.Contains(t, err.Error(), want, cidr)
		assert.Contains(t, err.Error(), "CIDR", cidr)
	}
}

func TestNetworkResources(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, testArgs())
		comp := inspect.MustNamed(t, m, NetworkType, "net")
		assert.Equal(t, "10.40.0.0/16", inspect.RequireStr(t, comp.Inputs, "cidr"), "component inputs are recorded")

		rg := inspect.MustNamed(t, m, tRG, "net-rg")
		assert.Equal(t, "dataplatform-prod", inspect.RequireStr(t, rg.Inputs, "resourceGroupName"))
		assert.Equal(t, "swedencentral", inspect.RequireStr(t, rg.Inputs, "location"))
		assert.Equal(t, "prod", inspect.RequireStr(t, inspect.RequireObj(t, rg.Inputs, "tags"), "environment"))

		vnet := inspect.MustNamed(t, m, tVNet, "net-vnet")
		assert.Equal(t, "net-vnet", inspect.RequireStr(t, vnet.Inputs, "virtualNetworkName"))
		prefixes := inspect.RequireObj(t, vnet.Inputs, "addressSpace")["addressPrefixes"].ArrayValue()
		require.Len(t, prefixes, 1)
		assert.Equal(t, "10.40.0.0/16", prefixes[0].StringValue())
		_, inline := vnet.Inputs["subnets"]
		assert.False(t, inline, "subnets must not be inline on the VNet, or the VNet and Subnet resources fight")
		assert.True(t, inspect.DependsOnInput(vnet, "resourceGroupName", rg))

		subnets := m.ByType(tSubnet)
		require.Len(t, subnets, 3)
		want := map[string]string{"net-aks": "10.40.0.0/17", "net-postgres": "10.40.128.0/24", "net-endpoints": "10.40.129.0/24"}
		for _, s := range subnets {
			assert.Equal(t, want[s.Name], inspect.RequireStr(t, s.Inputs, "addressPrefix"), s.Name)
			assert.True(t, inspect.DependsOnInput(s, "virtualNetworkName", vnet), "%s is in the VNet", s.Name)
		}

		// Every child is parented to the component and none uses anything but the inherited provider.
		for _, r := range m.Resources() {
			if r.Custom && r.Type != "pulumi:providers:azure-native" {
				assert.Equal(t, comp.URN, r.Parent, "%s %s parent", r.Type, r.Name)
				assert.Contains(t, r.Provider, "pulumi:providers:azure-native::azure", "%s %s provider", r.Type, r.Name)
			}
		}
	})
}

func TestSubnetSettings(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, testArgs())
		aks := inspect.MustNamed(t, m, tSubnet, "net-aks")
		pg := inspect.MustNamed(t, m, tSubnet, "net-postgres")
		ep := inspect.MustNamed(t, m, tSubnet, "net-endpoints")
		nat := inspect.MustNamed(t, m, tNAT, "net-nat")

		// Delegation: only the postgres subnet, to Flexible Server.
		dl := pg.Inputs["delegations"].ArrayValue()
		require.Len(t, dl, 1)
		assert.Equal(t, "Microsoft.DBforPostgreSQL/flexibleServers", inspect.RequireStr(t, dl[0].ObjectValue(), "serviceName"))
		for _, s := range []*mockcloud.Resource{aks, ep} {
			_, has := s.Inputs["delegations"]
			assert.False(t, has, "%s must not be delegated", s.Name)
		}

		assert.Equal(t, "Enabled", inspect.RequireStr(t, ep.Inputs, "privateEndpointNetworkPolicies"))

		// NAT: the aks subnet egresses through the gateway; the others do not.
		assert.True(t, inspect.DependsOnInput(aks, "natGateway", nat))
		_, pgNAT := pg.Inputs["natGateway"]
		_, epNAT := ep.Inputs["natGateway"]
		assert.False(t, pgNAT || epNAT, "only the aks subnet uses the NAT gateway")

		// Each subnet carries its own NSG.
		for role, s := range map[string]*mockcloud.Resource{"aks": aks, "postgres": pg, "endpoints": ep} {
			nsg := inspect.MustNamed(t, m, tNSG, "net-nsg-"+role)
			assert.True(t, inspect.DependsOnInput(s, "networkSecurityGroup", nsg), "%s uses %s", s.Name, nsg.Name)
			if !preview {
				assert.Equal(t, nsg.ID, inspect.RequireStr(t, inspect.RequireObj(t, s.Inputs, "networkSecurityGroup"), "id"))
			}
		}
		if !preview {
			assert.Equal(t, nat.ID, inspect.RequireStr(t, inspect.RequireObj(t, aks.Inputs, "natGateway"), "id"))
		}

		// Subnet writes to one VNet are serialised, aks first.
		assert.True(t, m.DependsOn(pg, aks))
		assert.True(t, m.DependsOn(ep, pg))
		assert.False(t, m.DependsOn(aks, pg), "the aks subnet must not wait for the postgres subnet")
		assert.False(t, m.DependsOn(aks, ep))
	})
}

type nsgRule struct {
	name, access, protocol, src, dst, port string
	priority                               float64
}

func rulesOf(t *testing.T, nsg *mockcloud.Resource) []nsgRule {
	t.Helper()
	var out []nsgRule
	for _, v := range nsg.Inputs["securityRules"].ArrayValue() {
		r := v.ObjectValue()
		assert.Equal(t, "Inbound", inspect.RequireStr(t, r, "direction"))
		// A rule names its sources and ports one (…Prefix, …Range) or several (…Prefixes, …Ranges) at
		// a time; several are joined with commas here.
		one := func(single, several string) string {
			if v, ok := r[resource.PropertyKey(single)]; ok && v.IsString() {
				return v.StringValue()
			}
			var parts []string
			for _, e := range r[resource.PropertyKey(several)].ArrayValue() {
				parts = append(parts, e.StringValue())
			}
			require.NotEmpty(t, parts, "rule %v has neither %s nor %s", r["name"], single, several)
			return strings.Join(parts, ",")
		}
		out = append(out, nsgRule{
			name: inspect.RequireStr(t, r, "name"), access: inspect.RequireStr(t, r, "access"), protocol: inspect.RequireStr(t, r, "protocol"),
			src: one("sourceAddressPrefix", "sourceAddressPrefixes"), dst: inspect.RequireStr(t, r, "destinationAddressPrefix"),
			port: one("destinationPortRange", "destinationPortRanges"), priority: r["priority"].NumberValue(),
		})
	}
	return out
}

func TestNSGRules(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, net := deploy(t, preview, testArgs())
		s := net.Subnets
		for _, role := range []string{"aks", "postgres", "endpoints"} {
			rules := rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-"+role))
			var denyInternet *nsgRule
			prios := map[float64]bool{}
			for i, r := range rules {
				assert.False(t, prios[r.priority], "%s: duplicate priority %v", role, r.priority)
				prios[r.priority] = true
				if r.src == "Internet" && r.access == "Deny" && r.port == "*" && r.dst == "*" {
					denyInternet = &rules[i]
				}
				// Without an edge (testArgs has none) no NSG lets the internet in; TestNSGEdgeIngress
				// covers the one rule the edge adds.
				if r.access == "Allow" {
					assert.NotEqual(t, "Internet", r.src, "%s allows internet in", role)
					assert.NotEqual(t, "*", r.src, "%s allows any source in", role)
				}
			}
			require.NotNil(t, denyInternet, "%s has no deny-internet rule", role)
			assert.Less(t, denyInternet.priority, float64(65000), "must win over Azure's default rules")
		}

		pg := rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-postgres"))
		var allow5432 []nsgRule
		var denyVNet *nsgRule
		for i, r := range pg {
			if r.access == "Allow" && (r.port == "5432" || r.port == "*") && r.src != s.Postgres && r.src != "AzureLoadBalancer" {
				allow5432 = append(allow5432, r)
			}
			if r.access == "Deny" && r.src == "VirtualNetwork" {
				denyVNet = &pg[i]
			}
		}
		require.Len(t, allow5432, 1, "postgres must be reachable from exactly one source: %v", allow5432)
		assert.Equal(t, nsgRule{name: "allow-postgres-from-aks", access: "Allow", protocol: "Tcp", src: s.AKS, dst: s.Postgres, port: "5432", priority: 100}, allow5432[0])
		require.NotNil(t, denyVNet, "the rest of the VNet must be denied")
		assert.Greater(t, denyVNet.priority, allow5432[0].priority)

		aks := rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-aks"))
		assert.Contains(t, aks, nsgRule{name: "allow-pod-overlay-in", access: "Allow", protocol: "*", src: "10.64.0.0/14", dst: "*", port: "*", priority: 100})

		ep := rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-endpoints"))
		assert.Contains(t, ep, nsgRule{name: "allow-https-from-aks", access: "Allow", protocol: "Tcp", src: s.AKS, dst: s.Endpoints, port: "443", priority: 100})
	})
}

// TestNSGEdgeIngress: with the edge's public load balancer, the aks NSG lets in the edge's ports from
// the edge's ranges, and nothing else from the internet (this replaces "no NSG allows Internet in"
// for the aks subnet when the edge is public); the other subnets stay shut.
func TestNSGEdgeIngress(t *testing.T) {
	cases := []struct {
		in        EdgeIngress
		src, port string
	}{
		{EdgeIngress{SourceRanges: []string{"Internet"}, Ports: []int{31010, 32010}}, "Internet", "31010,32010"},
		{EdgeIngress{SourceRanges: []string{"203.0.113.0/24", "198.51.100.7/32"}, Ports: []int{80, 443, 31010, 32010}}, "203.0.113.0/24,198.51.100.7/32", "80,443,31010,32010"},
	}
	for _, c := range cases {
		inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
			args := testArgs()
			args.EdgeIngress = &c.in
			m, net := deploy(t, preview, args)
			var deny float64
			var edge []nsgRule
			for _, r := range rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-aks")) {
				if r.name == "deny-internet-in" {
					deny = r.priority
				}
				public := r.src == "Internet" || r.src == "*" || !strings.HasPrefix(r.src, "10.")
				if r.access == "Allow" && public && r.src != "AzureLoadBalancer" {
					edge = append(edge, r)
				}
			}
			require.Len(t, edge, 1, "exactly one rule lets public clients in: %v", edge)
			assert.Equal(t, nsgRule{name: "allow-edge-in", access: "Allow", protocol: "Tcp", src: c.src, dst: "*", port: c.port, priority: 200}, edge[0])
			assert.Less(t, edge[0].priority, deny, "the allow must come before deny-internet-in")
			for _, role := range []string{"postgres", "endpoints"} {
				for _, r := range rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-"+role)) {
					assert.False(t, r.access == "Allow" && (r.src == "Internet" || strings.Contains(r.src, "203.0.113.0/24")), "%s lets edge clients in: %v", role, r)
				}
			}
			_ = net
		})
	}
	for _, bad := range []EdgeIngress{
		{SourceRanges: []string{"Internet", "203.0.113.0/24"}, Ports: []int{443}},
		{SourceRanges: []string{"::/0"}, Ports: []int{443}},
		{SourceRanges: []string{"203.0.113.1/24"}, Ports: []int{443}},
		{SourceRanges: []string{"203.0.113.0/24"}, Ports: []int{0}},
		{SourceRanges: []string{"203.0.113.0/24"}},
	} {
		args := testArgs()
		args.EdgeIngress = &bad
		m := mockcloud.New("dataplatform", "prod", false)
		err := m.Run(func(ctx *pulumi.Context) error { _, err := NewNetwork(ctx, "net", args); return err }, nil)
		require.Error(t, err, "%+v", bad)
		assert.Contains(t, err.Error(), "EdgeIngress")
		assert.Len(t, m.Resources(), 1, "nothing but the stack may be registered")
	}
}

func TestNSGWithoutPodCIDR(t *testing.T) {
	args := testArgs()
	args.PodCIDR = ""
	m, _ := deploy(t, false, args)
	for _, r := range rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-aks")) {
		assert.NotEqual(t, "allow-pod-overlay-in", r.name)
	}
}

func TestNATGateway(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, testArgs())
		nat := inspect.MustNamed(t, m, tNAT, "net-nat")
		pip := inspect.MustNamed(t, m, tPIP, "net-nat-ip")
		assert.Equal(t, "Standard", inspect.RequireStr(t, inspect.RequireObj(t, nat.Inputs, "sku"), "name"))
		assert.Equal(t, "Standard", inspect.RequireStr(t, inspect.RequireObj(t, pip.Inputs, "sku"), "name"))
		assert.Equal(t, "Static", inspect.RequireStr(t, pip.Inputs, "publicIPAllocationMethod"))
		assert.True(t, inspect.DependsOnInput(nat, "publicIpAddresses", pip))
		if !preview {
			ips := nat.Inputs["publicIpAddresses"].ArrayValue()
			require.Len(t, ips, 1)
			assert.Equal(t, pip.ID, inspect.RequireStr(t, ips[0].ObjectValue(), "id"))
		}
	})
}

func TestPrivateDNSZones(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, net := deploy(t, preview, testArgs())
		vnet := inspect.MustNamed(t, m, tVNet, "net-vnet")
		zones := map[string]string{
			"postgres": "net.private.postgres.database.azure.com",
			"blob":     "privatelink.blob.core.windows.net",
			"dfs":      "privatelink.dfs.core.windows.net",
			// The registry's private endpoint resolves through this zone (class 10: nodes pull the
			// dbt image from a registry without public access).
			"acr": "privatelink.azurecr.io",
		}
		require.Len(t, m.ByType(tZone), 4)
		require.Len(t, m.ByType(tLink), 4)
		for role, zoneName := range zones {
			z := inspect.MustNamed(t, m, tZone, "net-dns-"+role)
			link := inspect.MustNamed(t, m, tLink, "net-dns-"+role+"-link")
			assert.Equal(t, zoneName, inspect.RequireStr(t, z.Inputs, "privateZoneName"))
			assert.Equal(t, "global", inspect.RequireStr(t, z.Inputs, "location"))
			assert.Equal(t, "global", inspect.RequireStr(t, link.Inputs, "location"))
			assert.False(t, link.Inputs["registrationEnabled"].BoolValue())
			assert.True(t, inspect.DependsOnInput(link, "virtualNetwork", vnet), "%s link points at the VNet", role)
			assert.True(t, inspect.DependsOnInput(link, "privateZoneName", z), "%s link belongs to its zone", role)
			if !preview {
				assert.Equal(t, vnet.ID, inspect.RequireStr(t, inspect.RequireObj(t, link.Inputs, "virtualNetwork"), "id"))
				assert.Equal(t, zoneName, inspect.RequireStr(t, link.Inputs, "privateZoneName"))
			}
		}
		if !preview {
			// The exported zone IDs wait for the links: a consumer cannot race the VNet link.
			res := inspect.Await(t, net.PostgresPrivateDNSZoneID)
			assert.Equal(t, inspect.MustNamed(t, m, tZone, "net-dns-postgres").ID, res.Value)
			var deps []string
			for _, d := range res.Dependencies {
				u := inspect.Await(t, d.URN())
				deps = append(deps, fmt.Sprint(u.Value))
			}
			assert.Contains(t, deps, inspect.MustNamed(t, m, tLink, "net-dns-postgres-link").URN)
		}
	})
}

func TestOutputs(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, net := deploy(t, preview, testArgs())
		await := func(o pulumi.Output) internals.UnsafeAwaitOutputResult {
			t.Helper()
			res := inspect.Await(t, o)
			return res
		}
		assert.Equal(t, "azure", net.Info.Cloud)
		assert.Equal(t, "swedencentral", net.Info.Region)
		assert.Equal(t, "10.40.0.0/16", net.Info.CIDR)
		ids := map[string]pulumi.StringOutput{
			"net-aks": net.AksSubnetID, "net-postgres": net.PostgresSubnetID, "net-endpoints": net.EndpointsSubnetID,
		}
		if preview {
			for name, o := range ids {
				assert.False(t, await(o).Known, "%s ID is unknown in preview", name)
			}
			assert.False(t, await(net.VnetID).Known)
			return
		}
		for name, o := range ids {
			assert.Equal(t, inspect.MustNamed(t, m, tSubnet, name).ID, await(o).Value, name)
		}
		vnet := inspect.MustNamed(t, m, tVNet, "net-vnet")
		assert.Equal(t, vnet.ID, await(net.VnetID).Value)
		assert.Equal(t, vnet.ID, await(net.Info.NetworkID).Value)
		assert.Equal(t, "net-vnet", await(net.VnetName).Value)
		assert.Equal(t, "dataplatform-prod", await(net.ResourceGroupName).Value)
		assert.Equal(t, inspect.MustNamed(t, m, tRG, "net-rg").ID, await(net.ResourceGroupID).Value)
		assert.Equal(t, inspect.MustNamed(t, m, tNAT, "net-nat").ID, await(net.NatGatewayID).Value)
		assert.Equal(t, inspect.MustNamed(t, m, tZone, "net-dns-blob").ID, await(net.BlobPrivateDNSZoneID).Value)
		assert.Equal(t, inspect.MustNamed(t, m, tZone, "net-dns-dfs").ID, await(net.DfsPrivateDNSZoneID).Value)
		assert.Equal(t, inspect.MustNamed(t, m, tZone, "net-dns-acr").ID, await(net.RegistryPrivateDNSZoneID).Value)
		assert.Equal(t, []string{inspect.MustNamed(t, m, tSubnet, "net-aks").ID}, await(net.Info.PrivateSubnetIDs).Value)
		assert.Equal(t, []string{inspect.MustNamed(t, m, tSubnet, "net-postgres").ID}, await(net.Info.DatabaseSubnetIDs).Value)
	})
}

func TestPhysicalNames(t *testing.T) {
	assert.Equal(t, "dataplatform-prod", baseName("DataPlatform_Prod"))
	assert.Equal(t, "a-b", baseName("--a!!b--"))
	assert.Len(t, baseName(strings.Repeat("x", 100)), 40)
	assert.Equal(t, "", baseName("!!!"))

	args := testArgs()
	m := mockcloud.New("dataplatform", "prod", false)
	require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "Data Platform", args)
		return err
	}, nil))
	assert.Equal(t, "data-platform-vnet", inspect.RequireStr(t, inspect.MustNamed(t, m, tVNet, "Data Platform-vnet").Inputs, "virtualNetworkName"))
	assert.Equal(t, "data-platform.private.postgres.database.azure.com",
		inspect.RequireStr(t, inspect.MustNamed(t, m, tZone, "Data Platform-dns-postgres").Inputs, "privateZoneName"))
}

func TestValidation(t *testing.T) {
	mod := func(f func(a *NetworkArgs)) *NetworkArgs {
		a := testArgs()
		f(a)
		return a
	}
	cases := map[string]struct {
		name string
		args *NetworkArgs
		want []string
	}{
		"nil args":         {"net", nil, []string{"args are nil"}},
		"bad name":         {"!!!", testArgs(), []string{"name", "!!!"}},
		"empty location":   {"net", mod(func(a *NetworkArgs) { a.Location = "" }), []string{"Location", `""`}},
		"display location": {"net", mod(func(a *NetworkArgs) { a.Location = "Sweden Central" }), []string{"Location", "Sweden Central", "swedencentral"}},
		"empty rg":         {"net", mod(func(a *NetworkArgs) { a.ResourceGroupName = "" }), []string{"ResourceGroupName"}},
		"rg trailing dot":  {"net", mod(func(a *NetworkArgs) { a.ResourceGroupName = "rg." }), []string{"ResourceGroupName", "rg."}},
		"rg bad char":      {"net", mod(func(a *NetworkArgs) { a.ResourceGroupName = "rg/x" }), []string{"ResourceGroupName", "rg/x"}},
		"cidr too big":     {"net", mod(func(a *NetworkArgs) { a.CIDR = "10.0.0.0/8" }), []string{"CIDR", "10.0.0.0/8", "/16 to /20"}},
		"cidr too small":   {"net", mod(func(a *NetworkArgs) { a.CIDR = "10.0.0.0/24" }), []string{"CIDR", "/16 to /20"}},
		"pod overlaps":     {"net", mod(func(a *NetworkArgs) { a.PodCIDR = "10.40.0.0/14" }), []string{"PodCIDR", "10.40.0.0/14", "overlaps"}},
		"pod not cidr":     {"net", mod(func(a *NetworkArgs) { a.PodCIDR = "10.64.0.1" }), []string{"PodCIDR", "10.64.0.1"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := mockcloud.New("dataplatform", "prod", false)
			err := m.Run(func(ctx *pulumi.Context) error {
				_, err := NewNetwork(ctx, c.name, c.args)
				return err
			}, nil)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, m.Resources(), 1, "nothing but the stack may be registered")
		})
	}
}

// With Protect, the resource group (deleting it deletes everything in it) and the VNet are the only
// protected resources; without it, none is.
func TestProtectsOnlyResourceGroupAndVNet(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			a := testArgs()
			a.Protect = protect
			m, net := deploy(t, preview, a)
			got := inspect.ProtectedTypes(m)
			if protect {
				assert.Equal(t, []string{tVNet, tRG}, got) // sorted
			} else {
				assert.Empty(t, got)
			}
			// The NAT gateway's address is an output, for a public API server's authorized ranges.
			pip := inspect.MustNamed(t, m, "azure-native:network:PublicIPAddress", "net-nat-ip")
			assert.Equal(t, "Static", inspect.RequireStr(t, pip.Inputs, "publicIPAllocationMethod"))
			assert.Equal(t, preview, !inspect.Await(t, net.NatPublicIP).Known)
		}
	})
}
