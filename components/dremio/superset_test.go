package dremio

import (
	"github.com/opendataplatform/dataplatform/components/secrets"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func TestSupersetUserOnlyWhenAsked(t *testing.T) {
	for _, want := range []bool{false, true} {
		a := prodArgs(objectstore.S3)
		a.SupersetUser = want
		m, _, err := run(t, false, a)
		require.NoError(t, err)
		var job batchv1.Job
		inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
		ctr := container(t, job.Spec.Template.Spec, "bootstrap")
		e := env(ctr)
		if !want {
			assert.NotContains(t, e, "SUPERSET_PASSWORD")
			assert.NotContains(t, ctr.Command[2], "SUPERSET_USER")
			assert.Nil(t, m.Named(secType, "dremio-superset"))
			assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 2)
			continue
		}
		// The Job reads the superset credential from its versioned Secret, like admin and dbt.
		jobSec := m.Named(secType, "dremio-bootstrap-credentials")
		require.NotNil(t, jobSec)
		jobSecret := jobSec.Inputs["metadata"].ObjectValue()["name"].StringValue()
		assert.True(t, secrets.IsVersionOf("dremio-bootstrap", jobSecret), jobSecret)
		assert.Equal(t, jobSecret, e["SUPERSET_PASSWORD"].ValueFrom.SecretKeyRef.Name)
		assert.Equal(t, "superset-password", e["SUPERSET_PASSWORD"].ValueFrom.SecretKeyRef.Key)
		assert.Equal(t, jobSecret, e["SUPERSET_USER"].ValueFrom.SecretKeyRef.Name)
		assert.Contains(t, ctr.Command[2], `"$SUPERSET_USER" "$SUPERSET_PASSWORD"`)
		assert.Contains(t, ctr.Command[2], "superset user exists")
		assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 3)
		var sec corev1.Secret
		inspect.DecodeStrict(t, m.Named(secType, "dremio-superset"), &sec)
		assert.Equal(t, SupersetCredentialsSecret, sec.Name)
		assert.Equal(t, "superset", sec.StringData["user"])
		assert.True(t, m.DependsOn(m.Named(jobType, "dremio-bootstrap"), jobSec))
	}
}
