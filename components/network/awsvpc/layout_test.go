package awsvpc

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCarveDefaultLayout(t *testing.T) {
	got, err := carve(netip.MustParsePrefix("10.40.0.0/16"), 3)
	require.NoError(t, err)
	want := []zoneSubnets{
		{Private: netip.MustParsePrefix("10.40.0.0/18"), Public: netip.MustParsePrefix("10.40.192.0/21"), Database: netip.MustParsePrefix("10.40.224.0/21")},
		{Private: netip.MustParsePrefix("10.40.64.0/18"), Public: netip.MustParsePrefix("10.40.200.0/21"), Database: netip.MustParsePrefix("10.40.232.0/21")},
		{Private: netip.MustParsePrefix("10.40.128.0/18"), Public: netip.MustParsePrefix("10.40.208.0/21"), Database: netip.MustParsePrefix("10.40.240.0/21")},
	}
	assert.Equal(t, want, got)
}

func TestCarveProperties(t *testing.T) {
	for _, base := range []string{"10.40.0.0/16", "172.16.0.0/17", "192.168.0.0/18", "10.0.16.0/20", "10.255.240.0/20"} {
		cidr := netip.MustParsePrefix(base)
		three, err := carve(cidr, 3)
		require.NoError(t, err, base)
		two, err := carve(cidr, 2)
		require.NoError(t, err, base)
		// Growing from 2 to 3 zones must not move existing subnets.
		assert.Equal(t, three[:2], two, "%s: 2-zone layout must be the start of the 3-zone layout", base)

		var all []netip.Prefix
		for _, z := range three {
			assert.Equal(t, cidr.Bits()+2, z.Private.Bits(), base)
			assert.Greater(t, z.Public.Bits(), z.Private.Bits(), "%s: private subnets must be the largest", base)
			assert.Greater(t, z.Database.Bits(), z.Private.Bits(), "%s: private subnets must be the largest", base)
			all = append(all, z.Private, z.Public, z.Database)
		}
		for i, a := range all {
			assert.True(t, cidr.Contains(a.Addr()) && a.Bits() >= cidr.Bits(), "%s: %s outside the VPC", base, a)
			assert.Equal(t, a.Masked(), a, "%s: %s has host bits", base, a)
			assert.LessOrEqual(t, a.Bits(), 25, "%s: %s is too small for load balancers", base, a)
			for _, b := range all[i+1:] {
				assert.False(t, a.Overlaps(b), "%s: %s overlaps %s", base, a, b)
			}
		}
	}
}

func TestCarveRejects(t *testing.T) {
	for _, tc := range []struct {
		cidr  string
		zones int
		want  string
	}{
		{"10.40.0.0/21", 3, "/16 to /20"},
		{"10.0.0.0/15", 3, "/16 to /20"},
		{"10.40.1.0/16", 3, "host bits"},
		{"10.40.0.0/16", 4, "zones = 4"},
		{"10.40.0.0/16", 0, "zones = 0"},
	} {
		_, err := carve(netip.MustParsePrefix(tc.cidr), tc.zones)
		require.Error(t, err, tc.cidr)
		assert.Contains(t, err.Error(), tc.want)
	}
}
