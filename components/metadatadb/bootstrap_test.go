package metadatadb

import (
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	appsNS  = "dataplatform"
	dataNS  = "dataplatform-data"
	testCA  = "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n"
	jobType = "kubernetes:batch/v1:Job"
)

func bootArgs() *BootstrapArgs {
	return &BootstrapArgs{
		Host: pulumi.String("db.example.internal"), Port: 5432,
		Namespace: pulumi.String(appsNS), DataNamespace: pulumi.String(dataNS),
		AdminUsername: "pgadmin", AdminPassword: pulumi.String("admin-secret"), AdminDatabase: "postgres",
		SSLMode: SSLModeVerifyFull, CACert: pulumi.String(testCA), ServerCIDRs: []string{"10.0.0.0/16"},
	}
}

type testParent struct{ pulumi.ResourceState }

func runBoot(t *testing.T, preview bool, args *BootstrapArgs) (*mockcloud.Mocks, *Bootstrap, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var b *Bootstrap
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		parent := &testParent{}
		// The parent is protected, as a user's component may be: nothing disposable inherits it.
		if err := ctx.RegisterComponentResource("test:index:Parent", "db", parent, pulumi.Protect(true)); err != nil {
			return err
		}
		b, err = NewBootstrap(ctx, "db-bootstrap", parent, p, args)
		return err
	}, nil)
	return m, b, err
}

func TestBootstrapValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(a *BootstrapArgs)
		want   string
	}{
		"no data namespace": {func(a *BootstrapArgs) { a.DataNamespace = nil }, "DataNamespace is required"},
		"require":           {func(a *BootstrapArgs) { a.SSLMode = "require" }, `SSLMode = "require"`},
		"prefer":            {func(a *BootstrapArgs) { a.SSLMode = "prefer" }, `SSLMode = "prefer"`},
		"no CA":             {func(a *BootstrapArgs) { a.CACert = nil }, "CACert is required"},
		"no server CIDRs":   {func(a *BootstrapArgs) { a.ServerCIDRs = nil }, "ServerCIDRs is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			a := bootArgs()
			tc.mutate(a)
			m, _, err := runBoot(t, false, a)
			require.ErrorContains(t, err, tc.want)
			assert.Empty(t, m.ByType(jobType))
		})
	}
}

// A server whose CA signs only it (Cloud SQL) is verified with verify-ca: the Job and the Connection
// the workloads get both use it, never a weaker mode.
func TestBootstrapVerifyCA(t *testing.T) {
	a := bootArgs()
	a.SSLMode = SSLModeVerifyCA
	m, b, err := runBoot(t, false, a)
	require.NoError(t, err)
	assert.Equal(t, SSLModeVerifyCA, b.SSLMode)
	job := m.ByType(jobType)
	require.Len(t, job, 1)
	found := false
	for _, e := range inspect.Arr(inspect.At(job[0].Inputs, "spec", "template", "spec", "containers", 0, "env")) {
		if inspect.Str(inspect.Obj(e), "name") == "PGSSLMODE" {
			found = true
			assert.Equal(t, SSLModeVerifyCA, inspect.Str(inspect.Obj(e), "value"))
		}
	}
	assert.True(t, found, "the Job sets PGSSLMODE")
	assert.NoError(t, Connection{SSLMode: SSLModeVerifyCA, CACert: pulumi.String("pem").ToStringOutput(),
		CAConfigMap: pulumi.String("ca").ToStringOutput(), Host: pulumi.String("10.0.0.3").ToStringOutput(), Port: 5432}.Validate())
	assert.Error(t, Connection{SSLMode: "require", CACert: pulumi.String("pem").ToStringOutput(),
		CAConfigMap: pulumi.String("ca").ToStringOutput(), Host: pulumi.String("10.0.0.3").ToStringOutput(), Port: 5432}.Validate())
}

// TestNoAdminCredentialInWorkloadNamespaces: the administrator's credential and the Job that uses it
// live in the data namespace; the apps namespace gets only the roles' Secrets and the CA.
func TestNoAdminCredentialInWorkloadNamespaces(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, b, err := runBoot(t, preview, bootArgs())
		inspect.RequireRan(t, preview, err)
		for _, r := range m.Resources() {
			if !r.Custom || r.Type == "pulumi:providers:kubernetes" || r.Type == "random:index/randomPassword:RandomPassword" {
				continue
			}
			ns := inspect.Str(r.Inputs, "metadata", "namespace")
			if ns == appsNS {
				assert.Contains(t, []string{"airbyte-db-credentials", "superset-db-credentials", "airbyte-reader-db-credentials", "metadata-db-ca"}, inspect.Str(r.Inputs, "metadata", "name"), "only the roles' credentials and the CA in apps")
				assert.NotEqual(t, "pgadmin", inspect.Str(r.Inputs, "stringData", "username"))
			}
		}
		admin := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "db-bootstrap-admin")
		assert.Equal(t, dataNS, inspect.Str(admin.Inputs, "metadata", "namespace"))
		job := inspect.MustNamed(t, m, jobType, "db-bootstrap-job")
		assert.Equal(t, dataNS, inspect.Str(job.Inputs, "metadata", "namespace"))
		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "db-bootstrap-egress")
		assert.Equal(t, dataNS, inspect.Str(np.Inputs, "metadata", "namespace"), "the egress policy selects the Job's pod where it runs")

		conn := b.Connection(pulumi.String("db.example.internal").ToStringOutput(), 5432)
		require.NoError(t, conn.Validate())
		assert.Equal(t, "verify-full", conn.SSLMode)
		assert.Equal(t, "metadata-db-ca", inspect.Await(t, conn.CAConfigMap).Value)
		assert.Equal(t, testCA, inspect.Await(t, conn.CACert).Value)
		env := map[string]string{}
		for _, e := range inspect.At(job.Inputs, "spec", "template", "spec", "containers", 0, "env").ArrayValue() {
			env[inspect.Str(e.ObjectValue(), "name")] = inspect.Str(e.ObjectValue(), "value")
		}
		assert.Equal(t, "verify-full", env["PGSSLMODE"])
		assert.Equal(t, "/etc/postgres-ca/ca.crt", env["PGSSLROOTCERT"])
	})
}

// TestBootstrapProtect: a protected parent reaches only the generated passwords (when asked).
func TestBootstrapProtect(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := bootArgs()
		a.Protect = true
		m, _, err := runBoot(t, preview, a)
		inspect.RequireRan(t, preview, err)
		var protected []string
		for _, r := range m.Resources() {
			if r.Custom && r.Protect {
				protected = append(protected, r.Type+" "+r.Name)
			}
		}
		sort.Strings(protected)
		assert.Equal(t, []string{
			"random:index/randomPassword:RandomPassword db-bootstrap-airbyte-password",
			"random:index/randomPassword:RandomPassword db-bootstrap-airbyte-reader-password",
			"random:index/randomPassword:RandomPassword db-bootstrap-superset-password",
		}, protected)
	})
}

func jobHash(t *testing.T, a *BootstrapArgs) string {
	t.Helper()
	m, _, err := runBoot(t, false, a)
	require.NoError(t, err)
	job := inspect.MustNamed(t, m, jobType, "db-bootstrap-job")
	assert.False(t, inspect.Has(job.Inputs, "metadata", "annotations"), "a hash in the Job's metadata re-runs nothing")
	assert.False(t, inspect.Has(job.Inputs, "spec", "ttlSecondsAfterFinished"), "refresh would drop a TTL'd Job and the next up re-run it")
	assert.True(t, job.DeleteBeforeReplace)
	assert.Equal(t, "metadata-db-bootstrap", inspect.Str(job.Inputs, "metadata", "name"))
	return inspect.Str(job.Inputs, "spec", "template", "metadata", "annotations", ConfigHashAnnotation)
}

// TestBootstrapJobReruns: what the Job applies is hashed into its pod template.
func TestBootstrapJobReruns(t *testing.T) {
	base := jobHash(t, bootArgs())
	require.Len(t, base, 64)
	assert.Equal(t, base, jobHash(t, bootArgs()))
	a := bootArgs()
	a.Host = pulumi.String("db2.example.internal")
	assert.NotEqual(t, base, jobHash(t, a), "a new server runs the Job again")
	a = bootArgs()
	a.CACert = pulumi.String(testCA + testCA)
	assert.NotEqual(t, base, jobHash(t, a), "a rotated CA runs the Job again")
	assert.NotEqual(t, ConfigHash("CREATE ROLE a"), ConfigHash("CREATE ROLE b"), "a changed script changes the hash")
}

func TestBootstrapScheduling(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := bootArgs()
		a.Scheduling = cluster.Scheduling{
			Tolerations:  []cluster.Toleration{{Key: "CriticalAddonsOnly", Operator: "Exists"}},
			NodeSelector: map[string]string{"dataplatform.io/pool": "workload"},
		}
		m, _, err := runBoot(t, preview, a)
		inspect.RequireRan(t, preview, err)
		pod := inspect.At(inspect.MustNamed(t, m, jobType, "db-bootstrap-job").Inputs, "spec", "template", "spec").ObjectValue()
		assert.Equal(t, "CriticalAddonsOnly", inspect.Str(pod, "tolerations", 0, "key"))
		assert.Equal(t, "workload", inspect.Str(pod, "nodeSelector", "dataplatform.io/pool"))
	})
}

// On PostgreSQL 16+ a CREATEROLE administrator is a MEMBER of the roles it creates but may not SET
// ROLE to them, which CREATE DATABASE ... OWNER needs: the script grants SET explicitly there, and
// keeps the plain GRANT for 14 and 15, where 'SET' is no pg_has_role privilege.
func TestBootstrapSQLGrantsSetRoleOnPostgres16(t *testing.T) {
	sql := bootstrapSQL()
	assert.Contains(t, sql, "SELECT current_setting('server_version_num')::int >= 160000 AS pg16 \\gset\n")
	for _, r := range roles() {
		pg16 := "\\if :pg16\nSELECT format('GRANT %I TO %I WITH SET TRUE', '" + r + "', current_user) WHERE NOT pg_has_role(current_user, '" + r + "', 'SET')\\gexec\n\\else\n"
		older := "SELECT format('GRANT %I TO %I', '" + r + "', current_user) WHERE NOT pg_has_role(current_user, '" + r + "', 'MEMBER')\\gexec\n\\endif\n"
		assert.Contains(t, sql, pg16+older, r)
		// The grant comes before any database it owns is created.
		assert.Less(t, strings.Index(sql, pg16), strings.Index(sql, "CREATE DATABASE %I OWNER %I', '"), r)
	}
}
