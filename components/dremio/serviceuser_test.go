package dremio

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestServiceUserOnlyWhenAsked: the "superset" and "monitor" users are created by the bootstrap Job,
// with a generated password in the store and the Job reading it from its versioned Secret (like admin
// and dbt), only when asked for; asking for one leaves the other alone.
func TestServiceUserOnlyWhenAsked(t *testing.T) {
	for _, u := range []struct {
		name, credentials string
		ask               func(*DremioClusterArgs)
	}{
		{"superset", SupersetCredentialsSecret, func(a *DremioClusterArgs) { a.SupersetUser = true }},
		{"monitor", MonitorCredentialsSecret, func(a *DremioClusterArgs) { a.MonitorUser = true }},
	} {
		prefix := strings.ToUpper(u.name)
		for _, want := range []bool{false, true} {
			a := prodArgs(objectstore.S3)
			a.SupersetUser, a.MonitorUser = false, false
			if want {
				u.ask(a)
			}
			m, _, err := run(t, false, a)
			require.NoError(t, err)
			var job batchv1.Job
			inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
			ctr := container(t, job.Spec.Template.Spec, "bootstrap")
			e := env(ctr)
			if !want {
				assert.NotContains(t, e, prefix+"_PASSWORD", u.name)
				assert.NotContains(t, ctr.Command[2], prefix+"_USER", u.name)
				assert.Nil(t, m.Named(secType, "dremio-"+u.name), u.name)
				assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 2, u.name)
				continue
			}
			jobSec := m.Named(secType, "dremio-bootstrap-credentials")
			require.NotNil(t, jobSec)
			jobSecret := jobSec.Inputs["metadata"].ObjectValue()["name"].StringValue()
			assert.True(t, secrets.IsVersionOf("dremio-bootstrap", jobSecret), jobSecret)
			assert.Equal(t, jobSecret, e[prefix+"_PASSWORD"].ValueFrom.SecretKeyRef.Name, u.name)
			assert.Equal(t, u.name+"-password", e[prefix+"_PASSWORD"].ValueFrom.SecretKeyRef.Key, u.name)
			assert.Equal(t, jobSecret, e[prefix+"_USER"].ValueFrom.SecretKeyRef.Name, u.name)
			assert.Equal(t, u.name+"-user", e[prefix+"_USER"].ValueFrom.SecretKeyRef.Key, u.name)
			assert.Contains(t, ctr.Command[2], `"$`+prefix+`_USER" "$`+prefix+`_PASSWORD"`, u.name)
			assert.Contains(t, ctr.Command[2], `-X POST "$base/api/v3/user"`, u.name)
			assert.Contains(t, ctr.Command[2], u.name+" user exists", u.name)
			assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 3, u.name)
			var sec corev1.Secret
			inspect.DecodeStrict(t, m.Named(secType, "dremio-"+u.name), &sec)
			assert.Equal(t, u.credentials, sec.Name, u.name)
			assert.Equal(t, u.name, sec.StringData["user"], u.name)
			assert.NotEmpty(t, sec.StringData["password"], u.name)
			assert.True(t, m.DependsOn(m.Named(jobType, "dremio-bootstrap"), jobSec), u.name)
		}
	}
	assert.Equal(t, map[string]string{"app.kubernetes.io/name": "dremio", "app.kubernetes.io/component": "coordinator"}, CoordinatorSelector())
}
