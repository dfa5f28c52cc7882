package metadatadb

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestReadOnlyRoleBootstrap: the read-only role is created with the platform's roles — LOGIN,
// NOINHERIT, a connection limit, its password from the store like the others — and is given nothing:
// no membership, no database; its grants come from the owner of what it reads.
func TestReadOnlyRoleBootstrap(t *testing.T) {
	sql := bootstrapSQL()
	assert.Contains(t, sql, "SELECT format('CREATE ROLE %I LOGIN NOINHERIT', 'airbyte_reader') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'airbyte_reader')\\gexec\n")
	assert.Contains(t, sql, "ALTER ROLE airbyte_reader WITH LOGIN NOINHERIT CONNECTION LIMIT 3 PASSWORD :'airbyte_reader_password';\n")
	for _, line := range strings.Split(sql, "\n") {
		if strings.Contains(line, "airbyte_reader") {
			assert.NotContains(t, line, "GRANT", "the bootstrap grants the read-only role nothing")
			assert.NotContains(t, line, "DATABASE")
		}
	}
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, b, err := runBoot(t, preview, bootArgs())
		inspect.RequireRan(t, preview, err)
		job := inspect.MustNamed(t, m, jobType, "db-bootstrap-job")
		ctr := inspect.RequireObj(t, job.Inputs, "spec", "template", "spec", "containers", 0)
		assert.Contains(t, inspect.Strs(ctr, "command")[2], `-v airbyte_reader_password="$AIRBYTE_READER_PASSWORD"`)
		found := false
		for _, e := range inspect.At(ctr, "env").ArrayValue() {
			if inspect.Str(e.ObjectValue(), "name") == "AIRBYTE_READER_PASSWORD" {
				found = true
				assert.Equal(t, "airbyte-reader-password", inspect.Str(e.ObjectValue(), "valueFrom", "secretKeyRef", "key"))
			}
		}
		assert.True(t, found)
		require.Contains(t, b.CredentialSecrets, AirbyteReader)
		assert.Equal(t, "airbyte-reader-db-credentials", inspect.Await(t, b.CredentialSecrets[AirbyteReader]).Value)
	})
}
