package gke

import (
	"testing"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 9, class 1: exactly the cluster, the key ring and the secrets key are protected, never the
// node pools, service account, IAM members, provider or StorageClasses.
func TestProtectOnlyStatefulLeaves(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			args := prodArgs()
			args.Protect = protect
			args.Admins = []string{"group:platform-admins@example.com"}
			m, _, err := run(t, preview, "gke", args)
			require.NoError(t, err)
			var protected []string
			for _, r := range m.Resources() {
				if r.Protect {
					protected = append(protected, r.Type)
				}
			}
			if protect {
				assert.ElementsMatch(t, []string{tCluster, tKeyRing, tCryptoKey}, protected)
			} else {
				assert.Empty(t, protected)
			}
		}
	})
}

// Issue 9, class 3: the cluster and the node service account take the stack's project-scoped names,
// so two stacks in one project do not collide (before: "cluster" and "cluster-nodes" in every stack).
func TestNamesFromArgs(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		seen := map[string]string{}
		for _, base := range []string{"dataplatform-dev", "dataplatform-staging"} {
			args := devArgs()
			args.Name = base
			args.NodeServiceAccountID = base + "-nodes"
			m, c, err := run(t, preview, "cluster", args)
			require.NoError(t, err)
			name := inspect.Str(inspect.One(t, m, tCluster).Inputs, "name")
			id := inspect.Str(inspect.One(t, m, tAccount).Inputs, "accountId")
			assert.Equal(t, base, name)
			assert.Equal(t, base+"-nodes", id)
			assert.Empty(t, seen[name]+seen[id], "names collide between stacks")
			seen[name], seen[id] = base, base
			assert.Equal(t, base, inspect.Await(t, c.Name).Value)
		}
	})
	for _, c := range []struct {
		mut  func(a *ClusterArgs)
		want string
	}{
		{func(a *ClusterArgs) { a.Name = "Prod_Cluster" }, `Name = "Prod_Cluster"`},
		{func(a *ClusterArgs) { a.Name = "dataplatform-production-europe-north-one-x" }, "40 lower-case"},
		{func(a *ClusterArgs) { a.NodeServiceAccountID = "dataplatform-production-europe-nodes" }, "NodeServiceAccountID"},
		{func(a *ClusterArgs) { a.NodeServiceAccountID = "gke" }, "6–30"},
	} {
		args := prodArgs()
		c.mut(args)
		_, _, err := run(t, false, "gke", args)
		require.ErrorContains(t, err, c.want)
	}
}

// Issue 9, class 8: a configured zone is used as is, with no zone lookup at all; a zone of another
// region is refused before anything is registered.
func TestConfiguredZone(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := devArgs()
		args.Zone = "europe-north1-b"
		m, _, err := run(t, preview, "gke", args)
		require.NoError(t, err)
		assert.Equal(t, "europe-north1-b", inspect.Str(inspect.One(t, m, tCluster).Inputs, "location"))
		for _, inv := range m.Invokes() {
			assert.NotEqual(t, "gcp:compute/getZones:getZones", inv.Token, "a configured zone needs no lookup")
		}
	})
	args := devArgs()
	args.Zone = "europe-west1-b"
	_, _, err := run(t, false, "gke", args)
	require.ErrorContains(t, err, `Zone = "europe-west1-b"`)
}

// Issue 9, class 6: the configured admins get roles/container.admin on the project, keyed by member;
// a malformed member is refused.
func TestAdmins(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.Admins = []string{"serviceAccount:deployer@acme-ci.iam.gserviceaccount.com", "group:platform-admins@example.com"}
		m, _, err := run(t, preview, "gke", args)
		require.NoError(t, err)
		got := map[string]string{}
		for _, r := range m.ByType(tIAMMember) {
			if inspect.Str(r.Inputs, "role") == AdminRole {
				got[inspect.Str(r.Inputs, "member")] = r.Name
				assert.Equal(t, testProject, inspect.Str(r.Inputs, "project"))
				assert.False(t, r.Protect)
			}
		}
		assert.Len(t, got, 2)
		assert.Contains(t, got, "group:platform-admins@example.com")
		assert.Contains(t, got, "serviceAccount:deployer@acme-ci.iam.gserviceaccount.com")

		// Reordering the list keeps every resource name (no replacement).
		args.Admins = []string{args.Admins[1], args.Admins[0]}
		m2, _, err := run(t, preview, "gke", args)
		require.NoError(t, err)
		for _, r := range m2.ByType(tIAMMember) {
			if inspect.Str(r.Inputs, "role") == AdminRole {
				assert.Equal(t, got[inspect.Str(r.Inputs, "member")], r.Name)
			}
		}
	})
	args := prodArgs()
	args.Admins = []string{"ops@example.com"}
	_, _, err := run(t, false, "gke", args)
	require.ErrorContains(t, err, `Admins[0] = "ops@example.com"`)
}

// Issue 9, class 4: GKE taints none of the pools, so platform pods carry no toleration; the node
// selector keeps them on the workload pool, which autoscales (totals across zones).
func TestSchedulingAndAutoscaling(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, "gke", devArgs())
		require.NoError(t, err)
		assert.Equal(t, cluster.Scheduling{NodeSelector: map[string]string{PoolLabel: "workloads"}}, c.Info.Scheduling)
		assert.Empty(t, c.Info.Scheduling.Tolerations)
		var workloads *mockcloud.Resource
		for _, p := range m.ByType(tNodePool) {
			assert.True(t, inspect.At(p.Inputs, "nodeConfig", "taints").IsNull(), "pool %s carries no taint", p.Name)
			if inspect.Str(p.Inputs, "name") == "workloads" {
				workloads = p
			}
		}
		require.NotNil(t, workloads)
		assert.Equal(t, "workloads", inspect.Str(workloads.Inputs, "nodeConfig", "labels", PoolLabel), "the selector matches the pool's label")
		assert.EqualValues(t, 1, inspect.At(workloads.Inputs, "autoscaling", "totalMinNodeCount").NumberValue())
		assert.EqualValues(t, 3, inspect.At(workloads.Inputs, "autoscaling", "totalMaxNodeCount").NumberValue())
		assert.True(t, inspect.At(workloads.Inputs, "autoscaling", "minNodeCount").IsNull(), "per-zone counts would multiply on a regional pool")
	})
}

// Issue 9, class 7: a Workload Identity member built from Cluster.WorkloadPool depends on the cluster,
// so the binding waits for the pool to exist.
func TestWorkloadPoolComesFromTheCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := newProvider(ctx)
			if err != nil {
				return err
			}
			c, err := NewCluster(ctx, "gke", prodArgs(), pulumi.Provider(p))
			if err != nil {
				return err
			}
			_, err = serviceaccount.NewIAMMember(ctx, "binding", &serviceaccount.IAMMemberArgs{
				ServiceAccountId: pulumi.String("projects/acme-data-prod/serviceAccounts/x@acme-data-prod.iam.gserviceaccount.com"),
				Role:             pulumi.String("roles/iam.workloadIdentityUser"),
				Member:           pulumi.Sprintf("serviceAccount:%s[apps/dremio]", c.WorkloadPool),
			}, pulumi.Provider(p))
			return err
		}, nil)
		require.NoError(t, err)
		binding := inspect.One(t, m, "gcp:serviceaccount/iAMMember:IAMMember")
		assert.True(t, inspect.DependsOnInput(binding, "member", inspect.One(t, m, tCluster)))
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[apps/dremio]", inspect.Str(binding.Inputs, "member"))
	})
}
