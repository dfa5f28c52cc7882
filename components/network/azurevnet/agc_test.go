package azurevnet

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestCarveAGCSubnet: the AGC subnet is the /24 after the endpoints subnet, inside the VNet and clear
// of every other subnet, for every VNet size the carving accepts.
func TestCarveAGCSubnet(t *testing.T) {
	got, err := CarveAGCSubnet("10.40.0.0/16")
	require.NoError(t, err)
	assert.Equal(t, "10.40.130.0/24", got)
	got, err = CarveAGCSubnet("172.16.16.0/20")
	require.NoError(t, err)
	assert.Equal(t, "172.16.26.0/24", got)
	for bits := minVNetPrefix; bits <= maxVNetPrefix; bits++ {
		vnet := netip.PrefixFrom(netip.MustParseAddr("10.128.0.0"), bits)
		agc, err := CarveAGCSubnet(vnet.String())
		require.NoError(t, err)
		p := netip.MustParsePrefix(agc)
		assert.Equal(t, 24, p.Bits(), "AGC with CNI Overlay needs exactly a /24")
		assert.True(t, vnet.Contains(p.Addr()), "%s inside %s", agc, vnet)
		s, _ := CarveSubnets(vnet.String())
		for _, other := range []string{s.AKS, s.Postgres, s.Endpoints} {
			assert.False(t, p.Overlaps(netip.MustParsePrefix(other)), "%s overlaps %s", agc, other)
		}
	}
	_, err = CarveAGCSubnet("10.40.0.0/22")
	assert.Error(t, err)
}

// TestAGCSubnet: with AGCSubnet the network adds a subnet delegated to
// Microsoft.ServiceNetworking/trafficControllers, written after the endpoints subnet; without it,
// none.
func TestAGCSubnet(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, net := deploy(t, preview, testArgs())
		assert.Nil(t, m.Named(tSubnet, "net-agc"))
		assert.Empty(t, net.AGCSubnetCIDR)
		for _, r := range rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-aks")) {
			assert.NotEqual(t, "allow-agc-in", r.name)
		}

		args := testArgs()
		args.AGCSubnet = true
		m, net = deploy(t, preview, args)
		agc := inspect.MustNamed(t, m, tSubnet, "net-agc")
		assert.Equal(t, "10.40.130.0/24", inspect.RequireStr(t, agc.Inputs, "addressPrefix"))
		assert.Equal(t, "10.40.130.0/24", net.AGCSubnetCIDR)
		dl := agc.Inputs["delegations"].ArrayValue()
		require.Len(t, dl, 1)
		assert.Equal(t, "Microsoft.ServiceNetworking/trafficControllers", inspect.RequireStr(t, dl[0].ObjectValue(), "serviceName"))
		assert.True(t, m.DependsOn(agc, inspect.MustNamed(t, m, tSubnet, "net-endpoints")), "subnet writes to one VNet are serialised")
		assert.False(t, agc.Protect)

		// The aks subnet admits AGC's subnet (TCP); without AGC it has no such rule.
		found := false
		for _, r := range rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-aks")) {
			if r.name == "allow-agc-in" {
				found = true
				assert.Equal(t, nsgRule{"allow-agc-in", "Allow", "Tcp", "10.40.130.0/24", "*", "*", 110}, r)
			}
		}
		assert.True(t, found, "the aks NSG admits the AGC subnet")
	})
}
