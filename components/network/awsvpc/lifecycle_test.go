package awsvpc

import (
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProtectOnlyTheVPC: Protect marks the VPC alone; subnets, gateways, routes, endpoints and the
// flow log stay replaceable (issue 9, class 1). The old component took pulumi.Protect from the stack
// and every child inherited it.
func TestProtectOnlyTheVPC(t *testing.T) {
	for _, protect := range []bool{true, false} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := prodArgs()
			args.Protect = protect
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			var protected []string
			for _, r := range m.Resources() {
				if r.Protect {
					protected = append(protected, r.Type)
				}
			}
			if protect {
				assert.Equal(t, []string{"aws:ec2/vpc:Vpc"}, protected)
			} else {
				assert.Empty(t, protected)
			}
		})
	}
}

// TestZonesAreStable: the zone lookup asks for standard zones without a state filter, and the choice
// does not depend on the order of the answer, an impaired zone, or a zone added later (class 8).
func TestZonesAreStable(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, net, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		var found bool
		for _, inv := range m.Invokes() {
			if inv.Token != "aws:index/getAvailabilityZones:getAvailabilityZones" {
				continue
			}
			found = true
			_, hasState := inv.Args["state"]
			assert.False(t, hasState)
			filters := map[string][]string{}
			for _, f := range inv.Args["filters"].ArrayValue() {
				filters[inspect.Str(f.ObjectValue(), "name")] = inspect.Strs(f.ObjectValue(), "values")
			}
			assert.Equal(t, map[string][]string{"zone-type": {"availability-zone"}, "opt-in-status": {"opt-in-not-required"}}, filters)
		}
		assert.True(t, found)
		assert.Equal(t, []string{"eu-north-1a", "eu-north-1b", "eu-north-1c"}, inspect.Await(t, net.AvailabilityZones).Value)
	})

	first, err := pickZones([]string{"us-east-1c", "us-east-1a", "us-east-1b", "us-east-1d"}, nil, 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, first)
	// During an incident the answer (no state filter) still lists the impaired zone, maybe reordered.
	again, err := pickZones([]string{"us-east-1d", "us-east-1b", "us-east-1c", "us-east-1a"}, nil, 3)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	// A zone added to the region later sorts after the ones in use.
	later, err := pickZones([]string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"}, nil, 3)
	require.NoError(t, err)
	assert.Equal(t, first, later)
	_, err = pickZones([]string{"eu-north-1a", "eu-north-1b"}, nil, 3)
	assert.ErrorContains(t, err, "only 2 standard zones")
}

// TestExplicitZones: Zones pins the VPC's zones; one the region does not offer is an error.
func TestExplicitZones(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.Zones = []string{"eu-north-1c", "eu-north-1a", "eu-north-1b"}
		m, net, err := run(t, preview, args)
		require.NoError(t, err)
		assert.Equal(t, []string{"eu-north-1c", "eu-north-1a", "eu-north-1b"}, inspect.Await(t, net.AvailabilityZones).Value)
		s := m.Named(subnetType, "net-private-c")
		require.NotNil(t, s)
		assert.Equal(t, "eu-north-1c", inspect.Str(s.Inputs, "availabilityZone"))
		assert.Equal(t, "10.40.0.0/18", inspect.Str(s.Inputs, "cidrBlock"), "the first zone listed gets the first block")
	})
	for _, tc := range []struct {
		zones []string
		want  string
	}{
		{[]string{"eu-north-1a", "eu-north-1b"}, "exactly AvailabilityZones (3)"},
		{[]string{"eu-north-1a", "eu-north-1a", "eu-north-1b"}, `Zones[1] = "eu-north-1a"`},
		{[]string{"eu-north-1a", "eu-north-1b", "eu-north-1-lax-1a"}, `Zones[2]`},
	} {
		args := prodArgs()
		args.Zones = tc.zones
		_, _, err := run(t, false, args)
		assert.ErrorContains(t, err, tc.want)
	}
	args := prodArgs()
	args.Zones = []string{"eu-north-1a", "eu-north-1b", "eu-north-1d"}
	_, _, err := run(t, false, args)
	assert.ErrorContains(t, err, `Zones[2] = "eu-north-1d" is not a standard Availability Zone`)
}

// TestNodeSecurityGroup: the VPC owns the nodes' security group, with no rules of its own and no
// kubernetes.io/cluster tag, so data services can admit it without waiting for EKS (class 7).
func TestNodeSecurityGroup(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, net, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		sg := m.Named(sgType, "net-node-sg")
		require.NotNil(t, sg)
		assert.Empty(t, sg.Inputs["ingress"].ArrayValue())
		assert.Empty(t, sg.Inputs["egress"].ArrayValue())
		for k := range inspect.Obj(sg.Inputs["tags"]) {
			assert.NotContains(t, string(k), "kubernetes.io/cluster/")
		}
		assert.True(t, m.DependsOn(sg, m.Named("aws:ec2/vpc:Vpc", "net-vpc")))
		if !preview {
			assert.Equal(t, sg.ID, inspect.Await(t, net.NodeSecurityGroupID).Value)
		}
	})
}
