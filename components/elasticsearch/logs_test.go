package elasticsearch

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestClientRealms: another component's users and roles are added to spec.auth after the snapshot
// user's, and a realm without users or roles is refused.
func TestClientRealms(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := devArgs()
		a.ClientRealms = []FileRealm{{
			Users: []pulumi.StringInput{pulumi.String("logs-writer"), pulumi.String("logs-admin")},
			Roles: pulumi.String("logs-roles"),
		}}
		m, err := run(t, preview, a)
		require.NoError(t, err)
		es := inspect.MustNamed(t, m, esType, "search-cluster")
		var users, roles []string
		for _, v := range inspect.Arr(inspect.At(es.Inputs, "spec", "auth", "fileRealm")) {
			users = append(users, inspect.Str(inspect.Obj(v), "secretName"))
		}
		for _, v := range inspect.Arr(inspect.At(es.Inputs, "spec", "auth", "roles")) {
			roles = append(roles, inspect.Str(inspect.Obj(v), "secretName"))
		}
		require.Len(t, users, 4, "the superuser, the snapshot user and the two client users")
		require.Len(t, roles, 2)
		assert.Equal(t, []string{"logs-writer", "logs-admin"}, users[2:])
		assert.Equal(t, "logs-roles", roles[1])
		if !preview {
			assert.Equal(t, []string{AdminSecret, "elasticsearch-snapshot-user"}, users[:2])
		}

		bad := devArgs()
		bad.ClientRealms = []FileRealm{{Roles: pulumi.String("logs-roles")}}
		_, err = run(t, preview, bad)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ClientRealms[0]")
	})
}
