package adls

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const wantCondition = "((" +
	"!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})" +
	" AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})" +
	" AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'})" +
	" AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})" +
	" AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action'})" +
	") OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith 'elasticsearch/'))" +
	" AND ((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND SubOperationMatches{'Blob.List'}))" +
	" OR (@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith 'elasticsearch/'))"

func prefixArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.Access = append(a.Access, objectstore.Access{
		Workload: "elasticsearch", Namespace: "dataplatform", ServiceAccount: "elasticsearch",
		Buckets: []objectstore.Bucket{objectstore.Backups}, Prefix: "elasticsearch",
	})
	return a
}

// TestPrefixCondition: the condition names every data action of Storage Blob Data Contributor
// (read without list, write, add, delete, move) against the blob path, and List Blobs against the
// requested prefix, both under "<prefix>/" — the "Read or list blobs in named containers with a
// path" shape of the Azure examples, widened to the role's write actions.
func TestPrefixCondition(t *testing.T) {
	assert.Equal(t, wantCondition, PrefixCondition("elasticsearch"))
	// Balanced parentheses: Azure rejects a malformed condition when the assignment is created.
	c := PrefixCondition("x")
	assert.Equal(t, strings.Count(c, "("), strings.Count(c, ")"))
}

// TestPrefixScopedGrant: a workload with a Prefix gets its container role assignment with the
// condition (version 2.0); the workloads without one keep unconditioned grants; the identity's Ready
// lists the federation and the grant, which a workload that exchanges its token as it starts
// depends on.
func TestPrefixScopedGrant(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, prefixArgs())
		ra := inspect.MustNamed(t, m, tRA, "object-store-elasticsearch-backups")
		assert.Equal(t, wantCondition, inspect.RequireStr(t, ra.Inputs, "condition"))
		assert.Equal(t, "2.0", inspect.RequireStr(t, ra.Inputs, "conditionVersion"))
		assert.Equal(t, roleID, inspect.RequireStr(t, ra.Inputs, "roleDefinitionId"))
		assert.Contains(t, ra.PropertyDependencies["scope"], inspect.MustNamed(t, m, tContainer, "object-store-backups").URN)
		for _, other := range []string{"object-store-dremio-lake", "object-store-dbt-lake"} {
			r := inspect.MustNamed(t, m, tRA, other)
			assert.False(t, inspect.Has(r.Inputs, "condition"), "%s is not prefix-scoped", other)
		}

		var fics, grants int
		for _, r := range s.Info.Identities["elasticsearch"].Ready {
			switch r.(type) {
			case *managedidentity.FederatedIdentityCredential:
				fics++
			case *authorization.RoleAssignment:
				grants++
			default:
				t.Errorf("unexpected %T in Ready", r)
			}
		}
		assert.Equal(t, 1, fics, "the federated credential")
		assert.Equal(t, 1, grants, "the backups grant")
	})
}

// TestPrefixValidation: a malformed prefix (it is quoted into the condition) and a prefix with a
// static credential (an account key no condition limits) fail before anything is registered.
func TestPrefixValidation(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(a *objectstore.Access)
		want   string
	}{
		"quote":       {func(a *objectstore.Access) { a.Prefix = "es' OR 'a" }, `Access[3] (elasticsearch): Prefix = "es' OR 'a"`},
		"slash":       {func(a *objectstore.Access) { a.Prefix = "es/snap" }, `Prefix = "es/snap"; allowed 1-63 lower-case`},
		"upper":       {func(a *objectstore.Access) { a.Prefix = "ES" }, `Prefix = "ES"`},
		"static cred": {func(a *objectstore.Access) { a.StaticCredential = true }, "no role condition limits it"},
	} {
		t.Run(name, func(t *testing.T) {
			args := prefixArgs()
			c.mutate(&args.Access[3])
			m, _, err := run(t, false, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.ByType(tAccount), "nothing is registered for invalid args")
		})
	}
}
