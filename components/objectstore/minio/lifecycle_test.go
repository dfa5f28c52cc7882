package minio

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const pvcPatchType = "kubernetes:core/v1:PersistentVolumeClaimPatch"

// TestProtectOnlyStatefulLeaves: with Protect, exactly the StatefulSet and the generated credentials
// are protected; the setup Job, Secrets and the rest stay replaceable.
func TestProtectOnlyStatefulLeaves(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Prod)
		a.Protect = true
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		protected := inspect.Protected(m)
		want := []string{
			"kubernetes:apps/v1:StatefulSet store-server",
			"random:index/randomPassword:RandomPassword store-root-password",
			"random:index/randomPassword:RandomPassword store-root-user",
		}
		for _, acc := range a.Access {
			want = append(want, "random:index/randomPassword:RandomPassword store-"+acc.Workload+"-secret-key")
		}
		sort.Strings(protected)
		sort.Strings(want)
		assert.Equal(t, want, protected)
	})
}

// setupHash returns the setup Job's pod-template hash for the given args.
func setupHash(t *testing.T, a *ObjectStoreArgs) string {
	t.Helper()
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	job := inspect.MustNamed(t, m, jobType, "store-setup-job")
	return inspect.Str(job.Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256")
}

// TestSetupJobRerunsOnChange: a new bucket grant, a changed lifecycle or a new workload changes the
// Job's pod template, which pulumi-kubernetes replaces; nothing changed, nothing re-runs.
func TestSetupJobRerunsOnChange(t *testing.T) {
	base := setupHash(t, envArgs(config.Prod))
	require.NotEmpty(t, base)
	assert.Equal(t, base, setupHash(t, envArgs(config.Prod)), "stable across runs")

	a := envArgs(config.Prod)
	a.NoncurrentVersionDays = 30
	assert.NotEqual(t, base, setupHash(t, a), "a changed lifecycle re-runs the Job")

	a = envArgs(config.Prod)
	a.Access = append(a.Access, objectstore.Access{Workload: "superset", Namespace: "dataplatform", Buckets: []objectstore.Bucket{objectstore.Lake}})
	assert.NotEqual(t, base, setupHash(t, a), "a new workload's user re-runs the Job")

	a = envArgs(config.Prod)
	a.Access[0].Buckets = append(a.Access[0].Buckets, objectstore.Backups)
	assert.NotEqual(t, base, setupHash(t, a), "a new bucket grant re-runs the Job")
}

// TestSetupJobLifecycle: the fixed name makes pulumi-kubernetes delete the old Job before creating
// the new one; no TTL, so refresh never drops a finished Job and re-runs it.
func TestSetupJobLifecycle(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Dev))
		inspect.RequireRan(t, preview, err)
		job := inspect.MustNamed(t, m, jobType, "store-setup-job")
		assert.Equal(t, "minio-setup", inspect.Str(job.Inputs, "metadata", "name"))
		assert.True(t, job.DeleteBeforeReplace)
		assert.False(t, inspect.Has(job.Inputs, "spec", "ttlSecondsAfterFinished"))
	})
}

// TestVolumeResizeInPlace: the claim templates are immutable, so a size change must neither
// replace the StatefulSet nor be lost: the StatefulSet ignores its templates and every claim is
// patched to the size.
func TestVolumeResizeInPlace(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Prod)
		a.VolumeSizeGiB = 750
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		sts := inspect.MustNamed(t, m, stsType, "store-server")
		assert.Contains(t, sts.IgnoreChanges, "spec.volumeClaimTemplates")
		patches := m.ByType(pvcPatchType)
		require.Len(t, patches, a.Replicas*a.drives(), "one patch per drive of every pod")
		for i := 0; i < a.Replicas; i++ {
			for d := 1; d <= a.drives(); d++ {
				p := inspect.MustNamed(t, m, pvcPatchType, fmt.Sprintf("store-data%d-minio-%d-size", d, i))
				assert.Equal(t, fmt.Sprintf("data%d-minio-%d", d, i), inspect.Str(p.Inputs, "metadata", "name"))
				assert.Equal(t, "dataplatform-data", inspect.Str(p.Inputs, "metadata", "namespace"))
				assert.Equal(t, "750Gi", inspect.Str(p.Inputs, "spec", "resources", "requests", "storage"))
				assert.Equal(t, "true", inspect.Str(p.Inputs, "metadata", "annotations", "pulumi.com/patchForce"))
				assert.True(t, m.DependsOn(p, sts), "the claims exist once the StatefulSet does")
				assert.False(t, p.Protect)
			}
		}
	})
}

// TestScheduling: the server and the setup pods carry the workload pool's tolerations and selector.
func TestScheduling(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Staging)
		a.Scheduling = cluster.Scheduling{
			Tolerations:  []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}},
			NodeSelector: map[string]string{"dataplatform.io/pool": "workload"},
		}
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		for typ, name := range map[string]string{stsType: "store-server", jobType: "store-setup-job"} {
			pod := inspect.At(inspect.MustNamed(t, m, typ, name).Inputs, "spec", "template", "spec").ObjectValue()
			assert.Equal(t, "spot", inspect.Str(pod, "tolerations", 0, "value"), name)
			assert.Equal(t, "workload", inspect.Str(pod, "nodeSelector", "dataplatform.io/pool"), name)
		}
	})
}
