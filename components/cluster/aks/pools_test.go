package aks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// AKS refuses to change a pool's VM size, OS disk, zones or priority in place, so any of them changing
// must produce a new pool (new logical and physical name, created before the old one is deleted), and
// nothing else may: a count or bound change replacing the pool would cycle every node for nothing.
func TestWorkloadPoolIsRotatedOnlyForWhatAKSCannotChangeInPlace(t *testing.T) {
	base := cluster.NodePool{MachineType: "Standard_D16s_v5", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200}
	zones := []string{"1", "2", "3"}
	name := WorkloadPoolName(base, zones, false)
	assert.Regexp(t, `^[a-z][a-z0-9]{0,11}$`, name, "AgentPools_CreateOrUpdate agentPoolName pattern")

	rotating := map[string]func() string{
		"vm size":            func() string { p := base; p.MachineType = "Standard_D32s_v5"; return WorkloadPoolName(p, zones, false) },
		"os disk size":       func() string { p := base; p.DiskSizeGiB = 256; return WorkloadPoolName(p, zones, false) },
		"spot":               func() string { p := base; p.Spot = true; return WorkloadPoolName(p, zones, false) },
		"zones":              func() string { return WorkloadPoolName(base, []string{"1", "2"}, false) },
		"encryption at host": func() string { return WorkloadPoolName(base, zones, true) },
	}
	for what, rename := range rotating {
		assert.NotEqual(t, name, rename(), "a %s change must create a new pool", what)
	}
	inPlace := base
	inPlace.MinNodes, inPlace.MaxNodes = 4, 20
	assert.Equal(t, name, WorkloadPoolName(inPlace, zones, false), "count bounds change in place")

	// The logical name follows the pool name, so Pulumi creates the new pool and deletes the old one at
	// the end of the update, never delete-first.
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		resized := func(net *azurevnet.Network) *ClusterArgs {
			a := prodArgs(net)
			a.WorkloadPool.MachineType = "Standard_D32s_v5"
			return a
		}
		before, _ := deploy(t, preview, prodArgs)
		after, _ := deploy(t, preview, resized)
		old, next := workloadPool(t, before), workloadPool(t, after)
		assert.NotEqual(t, old.URN, next.URN)
		assert.NotEqual(t, inspect.Str(old.Inputs, "agentPoolName"), inspect.Str(next.Inputs, "agentPoolName"))
		assert.Equal(t, "workloads", inspect.Str(next.Inputs, "nodeLabels", "dataplatform.io/pool"), "pods follow the label, not the pool name")
		assert.Equal(t, "Ubuntu", inspect.Str(next.Inputs, "osSKU"), "a rotated pool must not pick up another default OS")

		// A stack created before pools were hash-named pins its pool's name and keeps it.
		pinned := func(net *azurevnet.Network) *ClusterArgs {
			a := resized(net)
			a.WorkloadPoolName = "workloads"
			return a
		}
		kept, _ := deploy(t, preview, pinned)
		pool := workloadPool(t, kept)
		assert.Equal(t, "aks-workloads", pool.Name)
		assert.Equal(t, "workloads", inspect.Str(pool.Inputs, "agentPoolName"))
	})
	bad := prodArgs(&azurevnet.Network{})
	bad.WorkloadPoolName = "Workloads-1"
	_, err := bad.validate("aks")
	assert.ErrorContains(t, err, `WorkloadPoolName = "Workloads-1"`)
}
