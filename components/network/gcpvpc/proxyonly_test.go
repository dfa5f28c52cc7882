package gcpvpc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestProxyOnlySubnet: with ProxyOnlyCIDR the region gets its REGIONAL_MANAGED_PROXY subnet (ACTIVE)
// and a rule admitting its proxies; without it, neither.
func TestProxyOnlySubnet(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := prodArgs()
		a.ProxyOnlyCIDR = "10.41.0.0/23"
		m, net, err := run(t, preview, a)
		require.NoError(t, err)
		require.NotNil(t, net.ProxyOnlySubnet)
		sub := inspect.MustNamed(t, m, tSubnet, "net-proxy-only")
		assert.Equal(t, "REGIONAL_MANAGED_PROXY", inspect.Str(sub.Inputs, "purpose"))
		assert.Equal(t, "ACTIVE", inspect.Str(sub.Inputs, "role"))
		assert.Equal(t, "10.41.0.0/23", inspect.Str(sub.Inputs, "ipCidrRange"))
		assert.Equal(t, testRegion, inspect.Str(sub.Inputs, "region"))
		assert.False(t, sub.Protect)
		fw := inspect.MustNamed(t, m, tFirewall, "net-allow-proxy-only")
		assert.Equal(t, []string{"10.41.0.0/23"}, inspect.Strs(fw.Inputs, "sourceRanges"))
		assert.Equal(t, float64(1000), inspect.Num(fw.Inputs, "priority"))

		m, net, err = run(t, preview, prodArgs())
		require.NoError(t, err)
		assert.Nil(t, net.ProxyOnlySubnet)
		assert.Nil(t, m.Named(tSubnet, "net-proxy-only"))
		assert.Nil(t, m.Named(tFirewall, "net-allow-proxy-only"))
	})
}

func TestProxyOnlyCIDRValidation(t *testing.T) {
	for cidr, want := range map[string]string{
		"10.41.0.0/27":  "needs /26 or larger",
		"10.40.4.0/23":  `overlaps CIDR = "10.40.0.0/16"`,
		"10.41.0.1/23":  "ProxyOnlyCIDR",
		"10.96.0.0/23":  "overlaps PrivateServiceAccessCIDR",
		"172.20.0.0/24": "overlaps ServiceCIDR",
	} {
		a := prodArgs()
		a.PrivateServiceAccessCIDR = "10.96.0.0/16"
		a.ProxyOnlyCIDR = cidr
		_, _, err := run(t, false, a)
		require.ErrorContains(t, err, want, cidr)
	}
}
