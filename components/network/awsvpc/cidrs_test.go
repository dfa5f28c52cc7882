package awsvpc

import (
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSubnetCIDRsAreExported: the public and private ranges the network gives the edge (the addresses
// its load balancers reach pods from) are those of the subnets it creates, in zone order.
func TestSubnetCIDRsAreExported(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, n, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		require.Len(t, n.PublicCIDRs, 3)
		require.Len(t, n.PrivateCIDRs, 3)
		for i, z := range []string{"a", "b", "c"} {
			assert.Equal(t, inspect.Str(m.Named(subnetType, "net-public-"+z).Inputs, "cidrBlock"), n.PublicCIDRs[i])
			assert.Equal(t, inspect.Str(m.Named(subnetType, "net-private-"+z).Inputs, "cidrBlock"), n.PrivateCIDRs[i])
		}
		assert.Equal(t, "10.40.0.0/18", n.PrivateCIDRs[0])
	})
}
