package gcpvpc

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 9, class 3: every project-scoped name (VPC, subnet, router, NAT, firewall rules, reserved
// range) comes from Name, so two stacks in one project never collide. Before, the VPC was named after
// the component ("network") in every stack.
func TestNetworkNamesFollowName(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		names := map[string][]string{}
		for _, stack := range []string{"dataplatform-dev", "dataplatform-staging"} {
			args := prodArgs()
			args.Name = stack
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			assert.Equal(t, stack, inspect.Str(inspect.One(t, m, tNetwork).Inputs, "name"))
			for _, typ := range []string{tNetwork, tSubnet, tRouter, tNat, tFirewall, tAddress} {
				for _, r := range m.ByType(typ) {
					n := inspect.Str(r.Inputs, "name")
					assert.True(t, strings.HasPrefix(n, stack), "%s %s is named after the stack's VPC: %s", typ, r.Name, n)
					names[stack] = append(names[stack], n)
				}
			}
		}
		for _, n := range names["dataplatform-dev"] {
			assert.NotContains(t, names["dataplatform-staging"], n, "two stacks in one project share the name %s", n)
		}
	})
	args := prodArgs()
	args.Name = "Network_1"
	_, _, err := run(t, false, args)
	require.ErrorContains(t, err, `Name = "Network_1"`)
}

// Issue 9, class 1: only the VPC is protected; the subnet, NAT, router, firewall rules, reserved range
// and peering are not, whatever the component's own protect.
func TestNetworkProtectsOnlyTheVPC(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			args := prodArgs()
			args.Protect = protect
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			comp := inspect.One(t, m, NetworkType)
			assert.False(t, comp.Protect, "the component itself is not protected (its children would inherit it)")
			for _, r := range m.Children(comp.URN) {
				assert.Equal(t, protect && r.Type == tNetwork, r.Protect, "%s (%s) protect", r.Name, r.Type)
			}
		}
	})
}

// Issue 9, class 8: the zone list is the region's zones, not the ones that happen to be UP this run.
func TestNetworkZonesIgnoreStatus(t *testing.T) {
	m, net, err := run(t, false, prodArgs())
	require.NoError(t, err)
	var lookups int
	for _, inv := range m.Invokes() {
		if inv.Token == "gcp:compute/getZones:getZones" {
			lookups++
			assert.True(t, inspect.At(inv.Args, "status").IsNull(), "no status filter: %v", inv.Args["status"])
		}
	}
	assert.Equal(t, 1, lookups)
	assert.Equal(t, []string{"europe-north1-a", "europe-north1-b", "europe-north1-c"}, inspect.Await(t, net.Info.Zones).Value)
}
