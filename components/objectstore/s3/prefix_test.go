package s3

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestPrefixScopedPolicy: a workload with a Prefix may read, write and delete only objects under
// "<prefix>/" and list only under it; the bucket-wide grants of the others are unchanged. Before,
// S3 refused Prefix.
func TestPrefixScopedPolicy(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := devArgs()
		a.Access = append(a.Access, objectstore.Access{Workload: "elasticsearch", Namespace: "dataplatform-data",
			ServiceAccount: "elasticsearch", Buckets: []objectstore.Bucket{objectstore.Backups}, Prefix: "elasticsearch"})
		m, _, err := run(t, "dev", preview, a)
		require.NoError(t, err)
		if preview {
			inspect.MustNamed(t, m, rolePolicyType, "store-elasticsearch-policy")
			return
		}
		bucketARN := "arn:aws:s3:::dataplatform-dev-backups"
		byID := map[string]parsedStatement{}
		for _, s := range parsePolicy(t, inspect.Str(inspect.MustNamed(t, m, rolePolicyType, "store-elasticsearch-policy").Inputs, "policy")) {
			byID[s.Sid] = s
		}
		assert.Equal(t, []string{bucketARN + "/elasticsearch/*"}, byID["Objects"].Resource)
		assert.Equal(t, []string{"s3:ListBucket"}, byID["ListPrefix"].Action)
		assert.Equal(t, []string{bucketARN}, byID["ListPrefix"].Resource)
		assert.Equal(t, []any{"elasticsearch/*"}, byID["ListPrefix"].Condition["StringLike"]["s3:prefix"])
		assert.NotContains(t, byID["Buckets"].Action, "s3:ListBucket", "no unconditioned listing")

		for _, s := range parsePolicy(t, inspect.Str(inspect.MustNamed(t, m, rolePolicyType, "store-dremio-policy").Inputs, "policy")) {
			if s.Sid == "Objects" {
				for _, r := range s.Resource {
					assert.True(t, strings.HasSuffix(r, "/*") && !strings.Contains(strings.TrimSuffix(r, "/*"), "/"), "dremio object grant %s is bucket-wide", r)
				}
			}
		}
	})
}

// TestPrefixRefused: a prefix that is not a lower-case label is refused.
func TestPrefixRefused(t *testing.T) {
	for _, p := range []string{"Elastic", "es/snapshots", "-es"} {
		a := devArgs()
		a.Access[0].Prefix = p
		_, _, err := run(t, "dev", false, a)
		require.Error(t, err, p)
		assert.Contains(t, err.Error(), "Prefix")
	}
}

// TestIdentityReady: a workload identity's Ready lists its role's policy and its Pod Identity
// association, so a workload can wait for its permissions explicitly.
func TestIdentityReady(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := devArgs()
		a.Access = append(a.Access, objectstore.Access{Workload: "elasticsearch", Namespace: "dataplatform-data",
			ServiceAccount: "elasticsearch", Buckets: []objectstore.Bucket{objectstore.Backups}, Prefix: "elasticsearch"})
		_, s, err := run(t, "dev", preview, a)
		require.NoError(t, err)
		var policies, assocs int
		for _, r := range s.Info.Identities["elasticsearch"].Ready {
			switch r.(type) {
			case *iam.RolePolicy:
				policies++
			case *eks.PodIdentityAssociation:
				assocs++
			default:
				t.Errorf("unexpected %T in Ready", r)
			}
		}
		assert.Equal(t, 1, policies)
		assert.Equal(t, 1, assocs)
	})
}
