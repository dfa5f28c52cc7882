package dremio

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/config"
)

// TestMemorySplit checks the heap/direct split against Dremio's chart steps
// (dremio-cloud-tools@7c352d5 charts/dremio_v2/templates/_helpers_coordinator.tpl and
// _helpers_executor.tpl), worked by hand for each size.
func TestMemorySplit(t *testing.T) {
	for _, tc := range []struct {
		role         Role
		gib          float64
		heap, direct int
	}{
		// 8192 MiB: reserve 409 (5 %), 7783 left.
		{CoordinatorRole, 8, 5735, 2048}, // < 18432 left: all but 2048 heap
		{ExecutorRole, 8, 4096, 3687},    // ≥ 6144 left: 4096 heap (the old split gave 2048)
		// 16384 MiB: reserve 819, 15565 left.
		{CoordinatorRole, 16, 13517, 2048},
		{ExecutorRole, 16, 4096, 11469}, // design table 8 CPU/16 GB
		// 32768 MiB: reserve 1638, 31130 left (< 32786).
		{ExecutorRole, 32, 4096, 27034},
		// 40960 MiB: reserve 2048, 38912 left: 8192 heap.
		{ExecutorRole, 40, 8192, 30720},
		// 65536 MiB (≥ 64000): reserve 6000, 59536 left.
		{ExecutorRole, 64, 8192, 51344},
		{CoordinatorRole, 64, 16384, 43152},
		// 24576 MiB: reserve 1228, 23348 left (≥ 18432): 16384 heap.
		{CoordinatorRole, 24, 16384, 6964},
		// 4096 MiB: reserve 204, 3892 left.
		{CoordinatorRole, 4, 1844, 2048},
		{ExecutorRole, 4, 2048, 1844},
	} {
		got, err := MemorySplit(tc.role, mib(tc.gib))
		require.NoError(t, err)
		assert.Equal(t, Memory{tc.heap, tc.direct}, got, "%s %g GiB", tc.role, tc.gib)
		assert.LessOrEqual(t, got.HeapMiB+got.DirectMiB, mib(tc.gib))
	}
	_, err := MemorySplit(ExecutorRole, 3*1024)
	assert.ErrorContains(t, err, "minimum")
}

// TestMemorySplitEveryProfile renders every profile's coordinator and executor and checks the
// env the JVM sizes itself from, against the chart's steps for that size.
func TestMemorySplitEveryProfile(t *testing.T) {
	want := map[Role]map[float64]Memory{
		CoordinatorRole: {8: {5735, 2048}, 16: {13517, 2048}},
		ExecutorRole:    {8: {4096, 3687}, 16: {4096, 11469}},
	}
	for _, cloud := range []config.Cloud{config.Kubernetes, config.AWS, config.Azure, config.GCP} {
		for _, envName := range []config.Environment{config.Dev, config.Staging, config.Prod} {
			d := config.Defaults(cloud, envName).Dremio
			a := prodArgs(objectstore.GCS)
			a.Coordinator, a.Executor, a.Executors, a.ZooKeeperReplicas = d.Coordinator, d.Executor, max(d.Executors, 3), 3
			m, _, err := run(t, false, a)
			require.NoError(t, err, "%s/%s", cloud, envName)
			for role, size := range map[Role]float64{CoordinatorRole: d.Coordinator.MemoryGiB, ExecutorRole: d.Executor.MemoryGiB} {
				w, ok := want[role][size]
				require.True(t, ok, "%s/%s: no expected split for a %g GiB %s; add it", cloud, envName, size, role)
				e := env(container(t, statefulSet(t, m, "dremio-"+string(role)).Spec.Template.Spec, "dremio"))
				assert.Equal(t, fmt.Sprint(w.HeapMiB), e["DREMIO_MAX_HEAP_MEMORY_SIZE_MB"].Value, "%s/%s %s", cloud, envName, role)
				assert.Equal(t, fmt.Sprint(w.DirectMiB), e["DREMIO_MAX_DIRECT_MEMORY_SIZE_MB"].Value, "%s/%s %s", cloud, envName, role)
			}
		}
	}
}
