package cnpg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestProtectOnlyStatefulLeaves: with Protect, exactly the Cluster and the generated passwords are
// protected; a Protect on the component (inherited by children that set none) reaches nothing else.
func TestProtectOnlyStatefulLeaves(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Prod)
		a.Protect = true
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		protected := inspect.Protected(m)
		assert.Equal(t, []string{
			"kubernetes:postgresql.cnpg.io/v1:Cluster pg-cluster",
			"random:index/randomPassword:RandomPassword pg-airbyte-password",
			"random:index/randomPassword:RandomPassword pg-airbyte-reader-password",
			"random:index/randomPassword:RandomPassword pg-superset-password",
		}, protected)

		a = envArgs(config.Dev)
		m, _, err = run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		for _, r := range m.Resources() {
			assert.False(t, r.Protect, "%s is not protected outside prod", r.Name)
		}
	})
}

// TestPrimaryUpdateMethod: under "switchover" the webhook rejects an update that changes the image
// and the parameters together (cloudnative-pg@v1.29.1 internal/webhook/v1/cluster_webhook.go
// validateConfigurationChange); "restart" accepts any combination.
func TestPrimaryUpdateMethod(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		c := inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs
		assert.Equal(t, "restart", inspect.Str(c, "spec", "primaryUpdateMethod"))
		assert.Equal(t, "unsupervised", inspect.Str(c, "spec", "primaryUpdateStrategy"))
	})
}

// TestTLS13: the operator's default ssl_min_protocol_version (TLSv1.3) stays.
func TestTLS13(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		params := inspect.At(inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs, "spec", "postgresql", "parameters").ObjectValue()
		assert.False(t, inspect.Has(params, "ssl_min_protocol_version"), "not lowered below the operator's TLSv1.3")
	})
}

// TestBackupPlugin: the plugin is installed next to the operator with the platform's own mTLS pair,
// so the cluster needs no cert-manager.
func TestBackupPlugin(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		ch := inspect.MustNamed(t, m, chartType, "pg-backup-plugin")
		in := ch.Inputs
		assert.Equal(t, "plugin-barman-cloud", inspect.Str(in, "chart"))
		assert.Equal(t, DefaultPluginChartVersion, inspect.Str(in, "version"))
		assert.Equal(t, "cnpg-system", inspect.Str(in, "namespace"), "the plugin runs in the operator's namespace")
		assert.Equal(t, "v0.15.0", inspect.Str(in, "values", "image", "tag"))
		assert.Equal(t, "v0.15.0", inspect.Str(in, "values", "sidecarImage", "tag"))
		for _, k := range []string{"createClientCertificate", "createServerCertificate", "createIssuer"} {
			v, ok := inspect.Bool(in, "values", "certificate", k)
			assert.True(t, ok && !v, "no cert-manager object: %s", k)
		}
		assert.NotEmpty(t, inspect.Str(in, "values", "resources", "limits", "memory"))
		for name, secret := range map[string]string{"pg-plugin-server-tls": "barman-cloud-server-tls", "pg-plugin-client-tls": "barman-cloud-client-tls"} {
			s := inspect.MustNamed(t, m, secretType, name)
			assert.Equal(t, secret, inspect.Str(s.Inputs, "metadata", "name"))
			assert.Equal(t, "cnpg-system", inspect.Str(s.Inputs, "metadata", "namespace"))
			assert.Equal(t, "kubernetes.io/tls", inspect.Str(s.Inputs, "type"))
			assert.True(t, m.DependsOn(ch, s), "the plugin mounts %s", secret)
		}
		srv := inspect.MustNamed(t, m, "tls:index/selfSignedCert:SelfSignedCert", "pg-plugin-server-cert")
		assert.Equal(t, []string{"barman-cloud"}, inspect.Strs(srv.Inputs, "dnsNames"), "the operator dials the Service by its name")
		assert.True(t, m.DependsOn(ch, inspect.MustNamed(t, m, chartType, "pg-operator")))
		assert.True(t, m.DependsOn(inspect.MustNamed(t, m, clusterType, "pg-cluster"), ch), "the cluster names a registered plugin")
	})
}

// TestScheduling: every pod the component writes carries the workload pool's tolerations and
// node selector.
func TestScheduling(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Prod)
		a.Scheduling = cluster.Scheduling{
			Tolerations:  []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}},
			NodeSelector: map[string]string{"dataplatform.io/pool": "workload"},
		}
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		c := inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs
		assert.Equal(t, "kubernetes.azure.com/scalesetpriority", inspect.Str(c, "spec", "affinity", "tolerations", 0, "key"))
		assert.Equal(t, "spot", inspect.Str(c, "spec", "affinity", "tolerations", 0, "value"))
		assert.Equal(t, "workload", inspect.Str(c, "spec", "affinity", "nodeSelector", "dataplatform.io/pool"))
		p := inspect.MustNamed(t, m, poolerType, "pg-pooler").Inputs
		assert.Equal(t, "NoSchedule", inspect.Str(p, "spec", "template", "spec", "tolerations", 0, "effect"))
		assert.Equal(t, "workload", inspect.Str(p, "spec", "template", "spec", "nodeSelector", "dataplatform.io/pool"))
		for _, chart := range []string{"pg-operator", "pg-backup-plugin"} {
			in := inspect.MustNamed(t, m, chartType, chart).Inputs
			assert.Equal(t, "Equal", inspect.Str(in, "values", "tolerations", 0, "operator"), chart)
			assert.Equal(t, "workload", inspect.Str(in, "values", "nodeSelector", "dataplatform.io/pool"), chart)
		}

		m, _, err = run(t, preview, envArgs(config.Dev))
		inspect.RequireRan(t, preview, err)
		assert.False(t, inspect.Has(inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs, "spec", "affinity", "tolerations"), "the zero value schedules anywhere")
	})
}

// TestPoolAndConnectionsFromClients: PgBouncer in session mode holds one server connection per
// client connection, so the pool and max_connections follow the clients.
func TestPoolAndConnectionsFromClients(t *testing.T) {
	c := Clients{AirbytePods: 18, TemporalPods: 2, SupersetPods: 4}
	conns := c.Connections()
	assert.Equal(t, 540, conns["airbyte"], "18 pods × (config 10 + jobs 20)")
	assert.Equal(t, 160, conns["temporal"], "2 pods × 4 services × 20")
	assert.Equal(t, 80, conns["temporal_visibility"], "2 pods × 4 services × 10")
	assert.Equal(t, 80, conns["superset"])
	assert.Equal(t, 540, c.poolSize())
	assert.Equal(t, 860+reservedConnections, maxConnections(8, c))
	assert.Equal(t, 400, maxConnections(8, Clients{AirbytePods: 1, TemporalPods: 1}), "the memory floor holds for few clients")

	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Prod)
		a.Clients = c
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		p := inspect.MustNamed(t, m, poolerType, "pg-pooler").Inputs
		assert.Equal(t, "session", inspect.Str(p, "spec", "pgbouncer", "poolMode"), "Flyway's advisory locks need session pooling")
		assert.Equal(t, "540", inspect.Str(p, "spec", "pgbouncer", "parameters", "default_pool_size"), "not 20")
		assert.Equal(t, "960", inspect.Str(p, "spec", "pgbouncer", "parameters", "max_client_conn"))
		cl := inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs
		assert.Equal(t, "910", inspect.Str(cl, "spec", "postgresql", "parameters", "max_connections"))
	})
}

// TestPreviewRegistersTheNewObjects: in a preview every new object of this change is registered.
func TestPreviewRegistersTheNewObjects(t *testing.T) {
	m, _, err := run(t, true, envArgs(config.Prod))
	if err != nil {
		require.Contains(t, err.Error(), inspect.MockSecretLimitation)
	}
	inspect.MustNamed(t, m, chartType, "pg-backup-plugin")
	inspect.MustNamed(t, m, objectStoreType, "pg-backup-store")
	inspect.MustNamed(t, m, secretType, "pg-server-ca")
}
