package s3

import (
	"sort"
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProtectOnlyBucketsAndKeys: Protect marks buckets and KMS keys only (issue 9, class 1); before,
// the stack's Protect option was inherited by every policy, configuration, role and association.
func TestProtectOnlyBucketsAndKeys(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := prodArgs()
		a.Protect = true
		m, _, err := run(t, "prod", preview, a)
		require.NoError(t, err)
		types := map[string]bool{}
		for _, r := range m.Resources() {
			if r.Protect {
				types[r.Type] = true
			}
		}
		var got []string
		for k := range types {
			got = append(got, k)
		}
		sort.Strings(got)
		assert.Equal(t, []string{"aws:kms/key:Key", "aws:s3/bucketV2:BucketV2"}, got)
		for _, b := range m.ByType(bucketType) {
			assert.True(t, b.Protect, b.Name)
		}
	})
}

// TestForceDestroyOutsideProd: a dev store can be destroyed with objects and versions in it
// (class 9); prod keeps the default, so a non-empty bucket refuses deletion.
func TestForceDestroyOutsideProd(t *testing.T) {
	for _, force := range []bool{true, false} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			a := prodArgs()
			a.ForceDestroy = force
			m, _, err := run(t, "prod", preview, a)
			require.NoError(t, err)
			for _, b := range m.ByType(bucketType) {
				v, ok := inspect.Bool(b.Inputs, "forceDestroy")
				assert.True(t, ok, b.Name)
				assert.Equal(t, force, v, b.Name)
			}
		})
	}
}

// TestBucketNamesFollowThePrefix: the bucket name is the (globally unique) prefix and the role, so a
// stack-level suffix decides uniqueness (class 3).
func TestBucketNamesFollowThePrefix(t *testing.T) {
	a := prodArgs()
	a.NamePrefix = "dataplatform-prod-1a2b3c"
	m, _, err := run(t, "prod", false, a)
	require.NoError(t, err)
	var names []string
	for _, b := range m.ByType(bucketType) {
		names = append(names, inspect.Str(b.Inputs, "bucket"))
	}
	assert.Contains(t, names, "dataplatform-prod-1a2b3c-lake")
	assert.Contains(t, names, "dataplatform-prod-1a2b3c-logs")
	assert.Contains(t, names, "dataplatform-prod-1a2b3c-backups-dr")
}
