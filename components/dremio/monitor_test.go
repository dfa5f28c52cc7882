package dremio

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestMonitorUserOnlyWhenAsked: the bridge's "monitor" user is created by the bootstrap Job, with a
// generated password in the store, only when asked for; the superset user is unaffected.
func TestMonitorUserOnlyWhenAsked(t *testing.T) {
	for _, want := range []bool{false, true} {
		a := prodArgs(objectstore.S3)
		a.MonitorUser = want
		m, _, err := run(t, false, a)
		require.NoError(t, err)
		var job batchv1.Job
		inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
		ctr := container(t, job.Spec.Template.Spec, "bootstrap")
		e := env(ctr)
		if !want {
			assert.NotContains(t, e, "MONITOR_PASSWORD")
			assert.NotContains(t, ctr.Command[2], "MONITOR_USER")
			assert.Nil(t, m.Named(secType, "dremio-monitor"))
			assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 2)
			continue
		}
		jobSec := m.Named(secType, "dremio-bootstrap-credentials")
		require.NotNil(t, jobSec)
		jobSecret := jobSec.Inputs["metadata"].ObjectValue()["name"].StringValue()
		assert.True(t, secrets.IsVersionOf("dremio-bootstrap", jobSecret), jobSecret)
		assert.Equal(t, jobSecret, e["MONITOR_PASSWORD"].ValueFrom.SecretKeyRef.Name)
		assert.Equal(t, "monitor-password", e["MONITOR_PASSWORD"].ValueFrom.SecretKeyRef.Key)
		assert.Equal(t, "monitor-user", e["MONITOR_USER"].ValueFrom.SecretKeyRef.Key)
		assert.Contains(t, ctr.Command[2], `"$MONITOR_USER" "$MONITOR_PASSWORD"`)
		assert.Contains(t, ctr.Command[2], `-X POST "$base/api/v3/user"`)
		assert.Contains(t, ctr.Command[2], "monitor user exists")
		assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 3)
		var sec corev1.Secret
		inspect.DecodeStrict(t, m.Named(secType, "dremio-monitor"), &sec)
		assert.Equal(t, MonitorCredentialsSecret, sec.Name)
		assert.Equal(t, "monitor", sec.StringData["user"])
		assert.NotEmpty(t, sec.StringData["password"])
		assert.True(t, m.DependsOn(m.Named(jobType, "dremio-bootstrap"), jobSec))
	}
	assert.Equal(t, map[string]string{"app.kubernetes.io/name": "dremio", "app.kubernetes.io/component": "coordinator"}, CoordinatorSelector())
}
