package eks

import (
	"encoding/json"
	"testing"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProtectOnlyClusterAndKey: Protect marks the EKS cluster and its KMS key, nothing else (issue 9,
// class 1: node groups, launch templates, add-ons, roles all inherited the stack's protect).
func TestProtectOnlyClusterAndKey(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.Protect = true
		m, _, err := run(t, preview, args)
		require.NoError(t, err)
		protected := inspect.ProtectedTypes(m)
		assert.Equal(t, []string{clusterType, "aws:kms/key:Key"}, protected)
	})
}

// TestVPCCNIEnforcesNetworkPolicies: the VPC CNI add-on runs its network policy agent (class 5).
func TestVPCCNIEnforcesNetworkPolicies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		cni := inspect.MustNamed(t, m, addonType, "k8s-addon-vpc-cni")
		var values map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(cni.Inputs, "configurationValues")), &values))
		assert.Equal(t, "true", values["enableNetworkPolicy"], "the add-on schema takes the string \"true\"")
		prov := inspect.MustNamed(t, m, "pulumi:providers:kubernetes", "k8s-k8s")
		assert.True(t, m.DependsOn(prov, cni), "NetworkPolicies are created once the agent is configured")
	})
}

// TestFirstRunAccess: Admins get access entries with the cluster-admin policy, the creator's
// bootstrap access follows CreatorIsAdmin, and the Kubernetes provider waits for the entries (class 6).
func TestFirstRunAccess(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.CreatorIsAdmin = false
		args.Admins = []string{"arn:aws:iam::123456789012:role/platform-ci", "arn:aws:iam::123456789012:role/ops/oncall"}
		args.PrivateAccessCIDRs = []string{"10.40.0.0/16", "10.8.0.0/16"}
		m, _, err := run(t, preview, args)
		require.NoError(t, err)
		eksR := inspect.MustNamed(t, m, clusterType, "k8s-eks")
		v, ok := inspect.Bool(eksR.Inputs, "accessConfig", "bootstrapClusterCreatorAdminPermissions")
		assert.True(t, ok)
		assert.False(t, v)
		prov := inspect.MustNamed(t, m, "pulumi:providers:kubernetes", "k8s-k8s")
		entries := m.ByType("aws:eks/accessEntry:AccessEntry")
		require.Len(t, entries, 2)
		// Registration order follows the outputs the entries wait on, so compare as a set.
		var principals []string
		for _, e := range entries {
			principals = append(principals, inspect.Str(e.Inputs, "principalArn"))
			assert.Equal(t, "STANDARD", inspect.Str(e.Inputs, "type"))
			assert.True(t, m.DependsOn(e, eksR))
		}
		assert.ElementsMatch(t, args.Admins, principals)
		assocs := m.ByType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
		require.Len(t, assocs, 2)
		for _, a := range assocs {
			assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", inspect.Str(a.Inputs, "policyArn"))
			assert.Equal(t, "cluster", inspect.Str(a.Inputs, "accessScope", "type"))
			assert.True(t, m.DependsOn(prov, a), "the provider must wait until the deployer is an admin")
		}
		sg := inspect.MustNamed(t, m, "aws:ec2/securityGroup:SecurityGroup", "k8s-api-sg")
		assert.Equal(t, []string{"10.40.0.0/16", "10.8.0.0/16"}, inspect.Strs(inspect.Obj(inspect.Arr(sg.Inputs["ingress"])[0]), "cidrBlocks"))
	})
	for _, tc := range []struct {
		mutate func(*ClusterArgs)
		want   string
	}{
		{func(a *ClusterArgs) { a.CreatorIsAdmin = false }, "nobody could administer"},
		{func(a *ClusterArgs) { a.Admins = []string{"arn:aws:sts::123456789012:assumed-role/ci/s"} }, "Admins[0]"},
		{func(a *ClusterArgs) {
			a.Admins = []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"}
		}, "Admins[1]"},
	} {
		args := prodArgs()
		tc.mutate(args)
		_, _, err := run(t, false, args)
		assert.ErrorContains(t, err, tc.want)
	}
}

// TestNodeGroupSizing: desiredSize starts at the minimum and is then the autoscaler's; a new minimum
// (or any input the provider replaces the group for) renames the node group, so it is created anew
// before the old one is drained, instead of failing with "Minimum capacity can't be greater than
// desired size" (class 4). The nodes carry the network's node security group next to the cluster's.
func TestNodeGroupSizing(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.NodeSecurityGroupID = pulumi.String("sg-0node")
		m, c, err := run(t, preview, args)
		require.NoError(t, err)
		for _, pool := range []struct {
			name string
			spec cluster.NodePool
		}{{"system", args.SystemPool}, {"workloads", args.WorkloadPool}} {
			ng := inspect.MustNamed(t, m, nodeGroupType, "k8s-"+pool.name)
			assert.Contains(t, ng.IgnoreChanges, "scalingConfig.desiredSize")
			suffix := inspect.MustNamed(t, m, "random:index/randomString:RandomString", "k8s-"+pool.name+"-name")
			assert.Contains(t, ng.PropertyDependencies["nodeGroupName"], suffix.URN)
			keepers := inspect.Obj(suffix.Inputs["keepers"])
			assert.Equal(t, map[string]bool{"minNodes": true, "instanceTypes": true, "capacityType": true, "amiType": true, "subnetIds": true}, keysOf(keepers))
			assert.Equal(t, "3", inspect.Str(keepers, "minNodes"))
			if !preview {
				assert.Equal(t, "subnet-0a,subnet-0b,subnet-0c", inspect.Str(keepers, "subnetIds"))
			}
			lt := inspect.MustNamed(t, m, ltType, "k8s-"+pool.name+"-lt")
			assert.True(t, m.DependsOn(lt, inspect.MustNamed(t, m, clusterType, "k8s-eks")), "the cluster security group comes from the cluster")
			if !preview {
				sgs := inspect.Strs(lt.Inputs, "vpcSecurityGroupIds")
				require.Len(t, sgs, 2)
				assert.Equal(t, "sg-0node", sgs[1])
				assert.Contains(t, sgs[0], "sg-")
			}
		}
		assert.Equal(t, cluster.Scheduling{NodeSelector: map[string]string{PoolLabel: "workloads"}}, c.Info.Scheduling)
		assert.Equal(t, "1.34", c.KubernetesVersion)
		assert.Equal(t, 12, c.Pools["workloads"].MaxNodes)
	})
	a, b := prodArgs().WorkloadPool, prodArgs().WorkloadPool
	b.MinNodes++
	assert.NotEqual(t, inspect.Await(t, nodeGroupKeepers(a, pulumi.ToStringArray(nil))["minNodes"].ToStringOutput()).Value,
		inspect.Await(t, nodeGroupKeepers(b, pulumi.ToStringArray(nil))["minNodes"].ToStringOutput()).Value)
}

func keysOf[M ~map[K]V, K ~string, V any](m M) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[string(k)] = true
	}
	return out
}

// An admin's access entry is named by its principal: removing another admin from the list leaves it
// untouched, where a position-named entry would be re-pointed (delete, then a create that EKS refuses
// while the other principal's entry still exists).
func TestAdminEntriesAreNamedByPrincipal(t *testing.T) {
	ci, ops := "arn:aws:iam::123456789012:role/platform-ci", "arn:aws:iam::123456789012:role/ops/oncall"
	names := func(admins ...string) map[string]string {
		args := prodArgs()
		args.CreatorIsAdmin = false
		args.Admins = admins
		m, _, err := run(t, false, args)
		require.NoError(t, err)
		out := map[string]string{}
		for _, e := range m.ByType("aws:eks/accessEntry:AccessEntry") {
			out[inspect.Str(e.Inputs, "principalArn")] = e.Name
		}
		return out
	}
	before, after := names(ci, ops), names(ops)
	assert.Equal(t, before[ops], after[ops], "removing the first admin renamed the second's entry")
	assert.NotEqual(t, before[ci], before[ops])
}
