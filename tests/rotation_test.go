package tests

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/secretstest"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/stacks"
)

// rotationPlan plans stack on target with the generated values of the named random resources
// replaced, as after `pulumi up --replace` of them.
func rotationPlan(t *testing.T, stack, target string, preview bool, rotated ...string) *mockcloud.Mocks {
	t.Helper()
	project, stackConfig, _, err := planner.Configure(planner.Options{Dir: "..", Stack: stack, Sets: TargetSets(stack, target)})
	require.NoError(t, err)
	m := mockcloud.New(project.Name, stack, preview)
	missing, err := secretstest.Run(m, stacks.Run, stackConfig.Values, rotated...)
	require.NoError(t, err)
	require.Empty(t, missing, "no such generated value in the plan (renamed?)")
	return m
}

// jobSecretEnv maps each env var of a Job's first container that reads a Secret to "<secret>".
func jobSecretEnv(t *testing.T, m *mockcloud.Mocks, job string) map[string]string {
	t.Helper()
	j := inspect.MustNamed(t, m, "kubernetes:batch/v1:Job", job)
	out := map[string]string{}
	for _, e := range inspect.Arr(inspect.At(j.Inputs, "spec", "template", "spec", "containers", 0, "env")) {
		if n := inspect.Str(inspect.Obj(e), "valueFrom", "secretKeyRef", "name"); n != "" {
			out[inspect.Str(inspect.Obj(e), "name")] = n
		}
	}
	require.NotEmpty(t, out, "Job %s reads no Secret", job)
	return out
}

// materializedName is the name of the Secret the Materialize call of this logical name created: its
// ExternalSecret's (or, without a store, the plain Secret's).
func materializedName(t *testing.T, m *mockcloud.Mocks, logical string) string {
	t.Helper()
	r := m.Named(externalSecretType, logical)
	if r == nil {
		r = m.Named(plainSecretType, logical)
	}
	require.NotNil(t, r, "no Secret %s", logical)
	return inspect.Str(r.Inputs, "metadata", "name")
}

// bootstrapJob is a Job that applies credentials, and the Secrets it reads: the logical name of each
// Materialize call, its base name, and the env vars that read it.
type bootstrapJob struct {
	job     string
	secrets map[string]jobSecret
}

type jobSecret struct {
	base string
	env  []string
}

func (b bootstrapJob) secretOf(env string) string {
	for logical, s := range b.secrets {
		for _, e := range s.env {
			if e == env || (strings.HasSuffix(e, "*") && strings.HasPrefix(env, strings.TrimSuffix(e, "*"))) {
				return logical
			}
		}
	}
	return ""
}

// rotation is one credential rotated: the generated value replaced, the Secret of a Job that must
// move to a new name, and the stable-name Secrets the workloads read, which must not.
type rotation struct {
	password string
	moves    string // logical name of the Materialize call whose name must change
	stable   map[string]string
}

// rolePasswordEnv are the metadata database bootstrap's env vars of the roles' passwords.
func rolePasswordEnv() []string {
	var out []string
	seen := map[string]bool{}
	for _, db := range metadatadb.Databases {
		if r := metadatadb.Owner[db]; !seen[r] {
			seen[r] = true
			out = append(out, strings.ToUpper(r)+"_PASSWORD")
		}
	}
	// The read-only roles' passwords are in the same Secret (components/airbyte/syncmetrics' reader).
	for _, r := range metadatadb.ReadOnlyRoles {
		out = append(out, strings.ToUpper(r)+"_PASSWORD")
	}
	return out
}

// jobRun is what of a Job's pod template says what it applies: the env (the Secret references and
// the values), the command and the annotations (the config digest). A change to it is a new pod
// template, which pulumi-kubernetes replaces a Job on (provider/v4 pkg/provider/diff.go
// forceNewProperties: Job ".spec.template").
type jobRun struct{ refs, values, command, annotations any }

func jobRunOf(t *testing.T, m *mockcloud.Mocks, job string) jobRun {
	t.Helper()
	tmpl := inspect.Obj(inspect.At(inspect.MustNamed(t, m, "kubernetes:batch/v1:Job", job).Inputs, "spec", "template"))
	var refs, values []any
	for _, e := range inspect.Arr(inspect.At(tmpl, "spec", "containers", 0, "env")) {
		if inspect.Has(inspect.Obj(e), "valueFrom") {
			refs = append(refs, inspect.Plain(e))
		} else {
			values = append(values, inspect.Plain(e))
		}
	}
	return jobRun{refs, values, inspect.Plain(inspect.At(tmpl, "spec", "containers", 0, "command")), inspect.Plain(inspect.At(tmpl, "metadata", "annotations"))}
}

// sameRun reports whether two runs of a Job apply the same. The mocks number some addresses (Cloud
// SQL's private IP, hence PGHOST) in registration order, which differs between two plans; the
// config digest covers them, so it is compared only when the env values agree.
func sameRun(t *testing.T, job string, a, b jobRun) bool {
	same := reflect.DeepEqual(a.refs, b.refs) && reflect.DeepEqual(a.command, b.command)
	if !reflect.DeepEqual(a.values, b.values) {
		t.Logf("%s: env values differ between the plans (mock addresses); config digest not compared", job)
		return same
	}
	return same && reflect.DeepEqual(a.annotations, b.annotations)
}

func bootstrapJobs(target string) ([]bootstrapJob, []rotation) {
	dremioJob := bootstrapJob{job: "dremio-bootstrap", secrets: map[string]jobSecret{
		// MONITOR_*: the reflection bridge's user (components/dremio/monitor.go), on every stack.
		"dremio-bootstrap-credentials": {"dremio-bootstrap", []string{"ADMIN_USER", "ADMIN_PASSWORD", "DBT_USER", "DBT_PASSWORD", "MONITOR_USER", "MONITOR_PASSWORD"}},
	}}
	rotations := []rotation{
		{"dremio-dbt-password", "dremio-bootstrap-credentials", map[string]string{"dremio-dbt": "dremio-dbt-credentials", "dremio-admin": "dremio-admin"}},
		{"dremio-admin-password", "dremio-bootstrap-credentials", map[string]string{"dremio-admin": "dremio-admin"}},
		{"dremio-monitor-password", "dremio-bootstrap-credentials", map[string]string{"dremio-monitor": "dremio-monitor-credentials", "dremio-admin": "dremio-admin"}},
	}
	if target == "kubernetes" {
		minioJob := bootstrapJob{job: "object-store-setup-job", secrets: map[string]jobSecret{
			"object-store-setup-root": {"minio-setup-root", []string{"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}},
			// The metrics user's key (observability) lives in minio-users too.
			"object-store-users": {"minio-users", []string{"SECRET_KEY_*", "METRICS_SECRET_KEY"}},
		}}
		return []bootstrapJob{dremioJob, minioJob}, append(rotations,
			rotation{"object-store-root-password", "object-store-setup-root", map[string]string{"object-store-root": "minio-root"}},
			rotation{"object-store-dremio-secret-key", "object-store-users", map[string]string{"object-store-dremio-credentials": "dremio-object-store"}},
		)
	}
	dbJob := bootstrapJob{job: "metadata-db-bootstrap-job", secrets: map[string]jobSecret{
		"metadata-db-bootstrap-admin":          {"metadata-db-admin", []string{"PGUSER", "PGPASSWORD"}},
		"metadata-db-bootstrap-role-passwords": {"metadata-db-bootstrap", rolePasswordEnv()},
	}}
	return []bootstrapJob{dremioJob, dbJob}, append(rotations,
		rotation{"metadata-db-admin-password", "metadata-db-bootstrap-admin", nil},
		rotation{"metadata-db-bootstrap-airbyte-password", "metadata-db-bootstrap-role-passwords",
			map[string]string{"metadata-db-bootstrap-airbyte-credentials": "airbyte-db-credentials"}},
	)
}

// TestRotationReachesBootstrapJobs (issue 11): on every target, in an update and a preview, every
// Job that applies a credential (the metadata database's bootstrap on rds, flexibleserver and
// cloudsql; MinIO's setup; Dremio's bootstrap) reads it only from versioned Secrets — exactly the
// ones materialized, and waits for them. Rotating a generated value renames the Secret that holds it
// (same logical resource: a replacement, which pulumi-kubernetes creates before it deletes the old
// one since the name differs) and changes the Job's pod template, so the Job is replaced and can only
// read the new value; every other Job and the stable-name Secrets the workloads read keep their
// names, so nothing else re-runs.
func TestRotationReachesBootstrapJobs(t *testing.T) {
	for _, target := range Targets {
		for _, preview := range []bool{false, true} {
			target, preview := target, preview
			t.Run(fmt.Sprintf("%s/%s", target, mode(preview)), func(t *testing.T) {
				jobs, rotations := bootstrapJobs(target)
				base := rotationPlan(t, "dev", target, preview)
				for _, j := range jobs {
					env := jobSecretEnv(t, base, j.job)
					jobRes := inspect.MustNamed(t, base, "kubernetes:batch/v1:Job", j.job)
					assert.True(t, jobRes.DeleteBeforeReplace, "%s keeps its fixed name: deleted before it is replaced", j.job)
					for v, name := range env {
						logical := j.secretOf(v)
						if logical == "" {
							// Dremio's own MinIO key (LAKE_*, kubernetes), the stable Secret MinIO
							// hands the workload: a limit, see the README.
							continue
						}
						s := j.secrets[logical]
						assert.Equal(t, materializedName(t, base, logical), name, "%s %s reads exactly the materialized Secret", j.job, v)
						assert.True(t, secrets.IsVersionOf(s.base, name), "%s %s reads %s, not a versioned %s", j.job, v, name, s.base)
						r := base.Named(externalSecretType, logical)
						if r == nil {
							r = base.Named(plainSecretType, logical)
						}
						assert.True(t, base.DependsOn(jobRes, r), "%s waits for %s", j.job, logical)
						if es := base.Named(externalSecretType, logical); es != nil {
							assert.False(t, es.DeleteBeforeReplace, "%s: the new ExternalSecret is created before the old one goes", logical)
						}
					}
					for logical, s := range j.secrets {
						for _, v := range s.env {
							if _, ok := env[v]; !ok && !strings.HasSuffix(v, "*") {
								t.Errorf("%s: %s does not read %s", j.job, v, logical)
							}
						}
					}
				}
				for _, rot := range rotations {
					t.Run(rot.password, func(t *testing.T) {
						m := rotationPlan(t, "dev", target, preview, rot.password)
						assert.NotEqual(t, materializedName(t, base, rot.moves), materializedName(t, m, rot.moves), "a rotated value is a new Secret")
						for logical, name := range rot.stable {
							assert.Equal(t, name, materializedName(t, m, logical), "a workload's Secret keeps its name")
							assert.Equal(t, name, materializedName(t, base, logical))
						}
						for _, j := range jobs {
							before, after := jobSecretEnv(t, base, j.job), jobSecretEnv(t, m, j.job)
							runBefore, runAfter := jobRunOf(t, base, j.job), jobRunOf(t, m, j.job)
							_, reads := j.secrets[rot.moves]
							var moved []string
							for v := range before {
								if before[v] != after[v] {
									moved = append(moved, v)
								}
								if logical := j.secretOf(v); logical != "" {
									assert.Equal(t, materializedName(t, m, logical), after[v], "%s %s reads exactly the materialized Secret", j.job, v)
								}
							}
							sort.Strings(moved)
							if !reads {
								assert.Empty(t, moved, "%s does not read %s", j.job, rot.password)
								assert.True(t, sameRun(t, j.job, runBefore, runAfter), "%s's pod template changed: it would re-run for nothing", j.job)
								continue
							}
							var want []string
							for v := range before {
								if j.secretOf(v) == rot.moves {
									want = append(want, v)
								}
							}
							sort.Strings(want)
							assert.Equal(t, want, moved, "%s: the env vars reading the rotated Secret, and only they, name the new one", j.job)
							assert.False(t, reflect.DeepEqual(runBefore.refs, runAfter.refs), "%s still names the Secret it read before the rotation: it may start on the previous value", j.job)
						}
					})
				}
			})
		}
	}
}
