package airbyte

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestConfigChangeRollsPods (review M1): a value that reaches only the hook ConfigMap (here JobDefaults →
// global.jobs/global.workloads resources) changes the pod annotation of every service, so the
// Deployments roll after the pre-upgrade hook rewrote the ConfigMap; an unchanged input keeps it.
func TestConfigChangeRollsPods(t *testing.T) {
	hashes := func(j Compute) map[string]string {
		args := baseArgs(objectstore.S3, true)
		args.JobDefaults = j
		r := run(t, false, args)
		require.NoError(t, r.err)
		v := values(t, r)
		out := map[string]string{}
		for _, key := range podAnnotationServices {
			out[key] = inspect.Str(v, key, "podAnnotations", ConfigHashAnnotation)
			require.NotEmpty(t, out[key], key)
		}
		return out
	}
	a, same, b := hashes(Compute{CPU: 1, MemoryGiB: 2}), hashes(Compute{CPU: 1, MemoryGiB: 2}), hashes(Compute{CPU: 1, MemoryGiB: 3})
	for _, key := range podAnnotationServices {
		assert.Equal(t, a[key], same[key], "%s: same values, same digest", key)
		assert.NotEqual(t, a[key], b[key], "%s: JobDefaults changed, the pods must roll", key)
	}
	for _, d := range deployments {
		assert.Contains(t, podAnnotationServices, d.key, "every long-running Deployment carries the digest")
	}
}

// TestMigrationDocumented (review B1): stacks that had the helm/v4 Chart need a one-time step that no
// mock can exercise; docs/airbyte.md must name the old Chart's URN and the targeted destroy.
func TestMigrationDocumented(t *testing.T) {
	raw, err := os.ReadFile("../../docs/airbyte.md")
	require.NoError(t, err)
	for _, want := range []string{"kubernetes:helm.sh/v4:Chart::airbyte-chart", "pulumi destroy --target '<URN>' --target-dependents"} {
		assert.Contains(t, string(raw), want)
	}
}
