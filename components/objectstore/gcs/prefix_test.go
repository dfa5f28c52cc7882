package gcs

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// prefixArgs adds Elasticsearch's access: the backups bucket, under elasticsearch/ only.
func prefixArgs() *ObjectStoreArgs {
	a := devArgs()
	a.Access = append(a.Access, objectstore.Access{Workload: "elasticsearch", Namespace: "dataplatform-data",
		ServiceAccount: "elasticsearch", Buckets: []objectstore.Bucket{objectstore.Backups}, Prefix: "elasticsearch"})
	return a
}

// TestPrefixCondition: a workload with a Prefix gets its object role under an IAM condition that
// admits objects under "<prefix>/" and, on the bucket, only lists under that prefix; a workload
// without one keeps its unconditional grant. Before, GCS refused Prefix outright.
func TestPrefixCondition(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prefixArgs())
		require.NoError(t, err)
		es := inspect.MustNamed(t, m, tBucketIAM, "store-elasticsearch-backups")
		assert.Equal(t, ObjectRole, inspect.Str(es.Inputs, "role"))
		assert.Equal(t, "elasticsearch under elasticsearch/", inspect.Str(es.Inputs, "condition", "title"))
		if !preview {
			bucket := inspect.Str(es.Inputs, "bucket")
			require.NotEmpty(t, bucket)
			expr := inspect.Str(es.Inputs, "condition", "expression")
			assert.Equal(t, `resource.name.startsWith("projects/_/buckets/`+bucket+`/objects/elasticsearch/") || `+
				`(resource.type == "storage.googleapis.com/Bucket" && api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("elasticsearch/"))`, expr)
		}
		backup := inspect.MustNamed(t, m, tBucketIAM, "store-postgres-backup-backups")
		assert.False(t, inspect.Has(backup.Inputs, "condition"), "a workload without a prefix keeps the whole bucket")
		assert.True(t, strings.HasPrefix(inspect.Str(backup.Inputs, "member"), "serviceAccount:") || preview)
	})
}

// TestPrefixValidation: a prefix that is not a lower-case label is refused before anything exists.
func TestPrefixValidation(t *testing.T) {
	for _, p := range []string{"Elastic", "es/snapshots", "-es", strings.Repeat("a", 64)} {
		a := prefixArgs()
		a.Access[len(a.Access)-1].Prefix = p
		m, _, err := run(t, false, a)
		require.Error(t, err, p)
		assert.Contains(t, err.Error(), "Prefix")
		for _, r := range m.Resources() {
			if r.Type == tBucket || r.Type == tBucketIAM || r.Type == tAccount {
				t.Errorf("%s: %s %s registered", p, r.Type, r.Name)
			}
		}
	}
}

// TestIdentityReady: a workload identity's Ready lists its bucket grant and its Workload Identity
// binding, which its Principal (the service account's email) does not wait for, so a workload can
// depend on them. Before, nothing exposed them.
func TestIdentityReady(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		_, s, err := run(t, preview, prefixArgs())
		require.NoError(t, err)
		ready := s.Info.Identities["elasticsearch"].Ready
		var grants, bindings int
		for _, r := range ready {
			switch r.(type) {
			case *storage.BucketIAMMember:
				grants++
			case *serviceaccount.IAMMember:
				bindings++
			default:
				t.Errorf("unexpected %T in Ready", r)
			}
		}
		assert.Equal(t, 1, grants, "the backups grant")
		assert.Equal(t, 1, bindings, "the roles/iam.workloadIdentityUser binding")
	})
}
