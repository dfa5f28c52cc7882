package airbyte

import (
	"encoding/base64"
	"path"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// testDBCA stands for the metadata database's CA bundle (metadatadb.Connection.CACert).
const testDBCA = "-----BEGIN CERTIFICATE-----\nZGItY2E=\n-----END CERTIFICATE-----\n"

// TestJobPodsFindDatabaseCA (review B2): DATABASE_URL reaches the init container of connector pods and
// the orchestrator of replication pods, which mount only the data-plane credentials Secret
// (airbyte-platform VolumeFactory.kt dataplaneCreds()). sslrootcert must name a file in that mount, and
// the jobs-namespace Secret must hold it, on every store kind.
func TestJobPodsFindDatabaseCA(t *testing.T) {
	for _, kind := range []objectstore.Kind{objectstore.S3, objectstore.GCS, objectstore.ADLS, objectstore.MinIO} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := baseArgs(kind, true)
			if kind == objectstore.MinIO {
				args = minioArgs(true)
			}
			r := run(t, preview, args)
			require.NoError(t, r.err, kind)
			v := values(t, r)
			name := inspect.Str(v, "global", "database", "name")
			i := strings.Index(name, "sslrootcert=")
			require.GreaterOrEqual(t, i, 0, name)
			root := strings.SplitN(name[i+len("sslrootcert="):], "&", 2)[0]
			orch := inspect.Obj(inspect.At(v, "global", "workloads", "containerOrchestrator"))
			assert.Equal(t, inspect.Str(orch, "dataPlane", "secretMountPath"), path.Dir(root), "%s: sslrootcert's directory is the data-plane mount", kind)
			assert.Equal(t, JobsTrustStoreSecret, inspect.Str(orch, "dataPlane", "secretName"), kind)
			if kind == objectstore.GCS {
				assert.Equal(t, ConfigSecretName, inspect.Str(orch, "secretName"), "the GCS key Secret stays")
			}
			typ := "kubernetes:v1:Secret" // generic object: see newTrustSecrets
			if kind == objectstore.MinIO {
				typ = secretType
			}
			store := r.m.Named(typ, "airbyte-jobs-truststore")
			require.NotNil(t, store, kind)
			assert.Equal(t, "dataplatform-jobs", inspect.Str(store.Inputs, "metadata", "namespace"))
			assert.Equal(t, JobsTrustStoreSecret, inspect.Str(store.Inputs, "metadata", "name"))
			assert.True(t, r.m.DependsOn(r.m.Named(chartType, "airbyte-release"), store), kind)
			if !preview {
				raw, err := base64.StdEncoding.DecodeString(inspect.Str(store.Inputs, "data", path.Base(root)))
				require.NoError(t, err, kind)
				assert.Equal(t, testDBCA, string(raw), kind)
				assert.Equal(t, "v1", inspect.Str(store.Inputs, "apiVersion"), kind)
				assert.Equal(t, "Secret", inspect.Str(store.Inputs, "kind"), kind)
			}
			// The platform's pods find the same file at the same path.
			for _, key := range trustedComponents {
				found := false
				for _, m := range inspect.At(v, key, "extraVolumeMounts").ArrayValue() {
					found = found || inspect.Str(inspect.Obj(m), "mountPath") == path.Dir(root)
				}
				assert.True(t, found, "%s %s mounts %s", kind, key, path.Dir(root))
			}
		})
	}
	// Without a verifying sslmode there is no CA and, off MinIO, no jobs Secret.
	args := baseArgs(objectstore.S3, true)
	args.Database.SSLMode = "require"
	r := run(t, false, args)
	require.NoError(t, r.err)
	assert.Nil(t, r.m.Named("kubernetes:v1:Secret", "airbyte-jobs-truststore"))
	assert.NotContains(t, inspect.Obj(inspect.At(values(t, r), "global", "workloads")), resource.PropertyKey("containerOrchestrator"))
}
