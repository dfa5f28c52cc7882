package cnpg

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/objectstore/minio"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	clusterType     = "kubernetes:postgresql.cnpg.io/v1:Cluster"
	databaseType    = "kubernetes:postgresql.cnpg.io/v1:Database"
	scheduledType   = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
	poolerType      = "kubernetes:postgresql.cnpg.io/v1:Pooler"
	objectStoreType = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
	chartType       = "kubernetes:helm.sh/v4:Chart"
	secretType      = "kubernetes:core/v1:Secret"
	nsType          = "kubernetes:core/v1:Namespace"
	pdbType         = "kubernetes:policy/v1:PodDisruptionBudget"
	npType          = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	dataNS          = "dataplatform-data"
	appsNS          = "dataplatform"
	storeCA         = "-----BEGIN CERTIFICATE-----\nMOCKCA\n-----END CERTIFICATE-----\n"
)

// storeInfo is what the MinIO store hands out on the kubernetes target.
func storeInfo() objectstore.Info {
	names := map[objectstore.Bucket]pulumi.StringOutput{}
	for _, b := range objectstore.Buckets {
		names[b] = pulumi.String(string(b)).ToStringOutput()
	}
	return objectstore.Info{
		Kind:        objectstore.MinIO,
		Endpoint:    pulumi.String("https://minio.dataplatform-data.svc.cluster.local:9000").ToStringOutput(),
		PathStyle:   true,
		BucketNames: names,
		CABundle:    pulumi.String(storeCA).ToStringOutput(),
	}
}

// envArgs mirror config.Defaults(Kubernetes, env) as the stack passes them.
func envArgs(env config.Environment) *MetadataDBArgs {
	d := config.Defaults(config.Kubernetes, env).MetadataDB
	return &MetadataDBArgs{
		Namespace:               pulumi.String(dataNS),
		NamespaceName:           dataNS,
		AppsNamespace:           pulumi.String(appsNS),
		ClientNamespaces:        []string{appsNS, "dataplatform-jobs"},
		Instances:               d.Instances,
		HighAvailability:        d.HighAvailability,
		Version:                 d.Version,
		StorageGiB:              d.StorageGiB,
		StorageClass:            map[config.Environment]string{config.Prod: "fast-ssd"}[env],
		CPU:                     d.Compute.CPU,
		MemoryGiB:               d.Compute.MemoryGiB,
		BackupRetentionDays:     d.BackupRetentionDays,
		BackupSchedule:          d.BackupSchedule,
		ObjectStore:             storeInfo(),
		BackupCredentialsSecret: pulumi.String("postgres-backup-object-store"),
		Clients:                 Clients{AirbytePods: 5, TemporalPods: 1, SupersetPods: 2},
		APIServerCIDRs:          []string{"172.18.0.2/32"},
		Labels:                  map[string]string{"environment": string(env)},
	}
}

func run(t *testing.T, preview bool, args *MetadataDBArgs) (*mockcloud.Mocks, *MetadataDB, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var db *MetadataDB
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		db, err = NewMetadataDB(ctx, "pg", args, pulumi.Provider(p))
		return err
	}, nil)
	return m, db, err
}

func TestValidation(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *MetadataDBArgs)
		want   string
	}{
		"no namespace":         {func(a *MetadataDBArgs) { a.Namespace = nil }, "Namespace is required"},
		"no apps namespace":    {func(a *MetadataDBArgs) { a.AppsNamespace = nil }, "AppsNamespace is required"},
		"no backup creds":      {func(a *MetadataDBArgs) { a.BackupCredentialsSecret = nil }, "BackupCredentialsSecret is required"},
		"bad namespace name":   {func(a *MetadataDBArgs) { a.NamespaceName = "" }, `NamespaceName = ""`},
		"no instances":         {func(a *MetadataDBArgs) { a.Instances = 0 }, "Instances = 0"},
		"ha with two":          {func(a *MetadataDBArgs) { a.Instances = 2 }, "Instances = 2 with HighAvailability"},
		"unknown version":      {func(a *MetadataDBArgs) { a.Version = "12" }, `Version = "12" has no pinned image`},
		"garbage version":      {func(a *MetadataDBArgs) { a.Version = "latest" }, `Version = "latest"`},
		"five-field cron":      {func(a *MetadataDBArgs) { a.BackupSchedule = "0 2 * * *" }, "six-field cron"},
		"no retention":         {func(a *MetadataDBArgs) { a.BackupRetentionDays = 0 }, "BackupRetentionDays = 0"},
		"no storage":           {func(a *MetadataDBArgs) { a.StorageGiB = 0 }, "StorageGiB = 0"},
		"no cpu":               {func(a *MetadataDBArgs) { a.CPU = 0 }, "CPU = 0"},
		"tiny memory":          {func(a *MetadataDBArgs) { a.MemoryGiB = 0.1 }, "MemoryGiB = 0.1"},
		"no backups bucket":    {func(a *MetadataDBArgs) { delete(a.ObjectStore.BucketNames, objectstore.Backups) }, `no "backups" bucket`},
		"no endpoint":          {func(a *MetadataDBArgs) { a.ObjectStore.Endpoint = pulumi.StringOutput{} }, "Endpoint is not set"},
		"minio without CA":     {func(a *MetadataDBArgs) { a.ObjectStore.CABundle = pulumi.StringOutput{} }, "CABundle is not set"},
		"bad client ns":        {func(a *MetadataDBArgs) { a.ClientNamespaces = []string{"Apps"} }, `"Apps"`},
		"bad operator ns":      {func(a *MetadataDBArgs) { a.OperatorNamespace = "CNPG" }, `OperatorNamespace = "CNPG"`},
		"too many op replicas": {func(a *MetadataDBArgs) { a.OperatorReplicas = 5 }, "OperatorReplicas = 5"},
		"no api server":        {func(a *MetadataDBArgs) { a.APIServerCIDRs = nil }, "APIServerCIDRs is empty"},
		"any api server":       {func(a *MetadataDBArgs) { a.APIServerCIDRs = []string{"0.0.0.0/0"} }, `"0.0.0.0/0" allows every address`},
		"bad api server":       {func(a *MetadataDBArgs) { a.APIServerCIDRs = []string{"172.18.0.2"} }, `"172.18.0.2" is not a CIDR`},
		"no clients":           {func(a *MetadataDBArgs) { a.Clients = Clients{} }, "AirbytePods and TemporalPods must be ≥ 1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := envArgs(config.Prod)
			tc.mutate(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(MetadataDBType), "nothing is registered before validation passes")
		})
	}
	_, _, err := run(t, false, nil)
	require.ErrorContains(t, err, "args are required")
}

func TestInstancesAvailabilityPerEnv(t *testing.T) {
	cases := []struct {
		env             config.Environment
		instances       float64
		antiAffinity    string
		sync            bool
		poolers         float64
		operatorReplica float64
	}{
		{config.Dev, 1, "preferred", false, 1, 1},
		{config.Staging, 2, "preferred", false, 1, 1},
		{config.Prod, 3, "required", true, 2, 2},
	}
	for _, tc := range cases {
		t.Run(string(tc.env), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				m, _, err := run(t, preview, envArgs(tc.env))
				inspect.RequireRan(t, preview, err)
				c := inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs
				assert.Equal(t, "metadata-db", inspect.Str(c, "metadata", "name"))
				assert.Equal(t, dataNS, inspect.Str(c, "metadata", "namespace"))
				assert.Equal(t, tc.instances, inspect.Num(c, "spec", "instances"))
				assert.True(t, inspect.At(c, "spec", "affinity", "enablePodAntiAffinity").BoolValue())
				assert.Equal(t, tc.antiAffinity, inspect.Str(c, "spec", "affinity", "podAntiAffinityType"))
				assert.Equal(t, "kubernetes.io/hostname", inspect.Str(c, "spec", "affinity", "topologyKey"))
				assert.Equal(t, "topology.kubernetes.io/zone", inspect.Str(c, "spec", "topologySpreadConstraints", 0, "topologyKey"))
				// cloudnative-pg@v1.29.1 api/v1/cluster_types.go: postgresql.synchronous replaces the
				// legacy minSyncReplicas/maxSyncReplicas.
				assert.False(t, inspect.Has(c, "spec", "minSyncReplicas"), "the legacy fields are gone")
				assert.False(t, inspect.Has(c, "spec", "maxSyncReplicas"), "the legacy fields are gone")
				if tc.sync {
					assert.Equal(t, "any", inspect.Str(c, "spec", "postgresql", "synchronous", "method"))
					assert.Equal(t, float64(1), inspect.Num(c, "spec", "postgresql", "synchronous", "number"))
					assert.Equal(t, "required", inspect.Str(c, "spec", "postgresql", "synchronous", "dataDurability"))
				} else {
					assert.False(t, inspect.Has(c, "spec", "postgresql", "synchronous"), "no synchronous standby outside prod")
				}

				pooler := inspect.MustNamed(t, m, poolerType, "pg-pooler").Inputs
				assert.Equal(t, tc.poolers, inspect.Num(pooler, "spec", "instances"))
				assert.Equal(t, tc.operatorReplica, inspect.Num(inspect.MustNamed(t, m, chartType, "pg-operator").Inputs, "values", "replicaCount"))
				if tc.env == config.Prod {
					pdb := inspect.MustNamed(t, m, pdbType, "pg-pooler-pdb").Inputs
					assert.Equal(t, "metadata-db-pooler-rw", inspect.Str(pdb, "spec", "selector", "matchLabels", "cnpg.io/poolerName"))
					opPDB := inspect.MustNamed(t, m, pdbType, "pg-operator-pdb").Inputs
					assert.Equal(t, "cnpg-system", inspect.Str(opPDB, "metadata", "namespace"))
					assert.Equal(t, "cloudnative-pg", inspect.Str(opPDB, "spec", "selector", "matchLabels", "app.kubernetes.io/name"))
					assert.Equal(t, float64(1), inspect.Num(opPDB, "spec", "minAvailable"))
					assert.Equal(t, 1, inspect.Len(pooler, "spec", "template", "spec", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
				} else {
					assert.Empty(t, m.ByType(pdbType), "single poolers and operators have nothing to budget")
				}
			})
		})
	}
}

func TestClusterSpec(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, db, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		cl := inspect.MustNamed(t, m, clusterType, "pg-cluster")
		c := cl.Inputs
		assert.Equal(t, "postgresql.cnpg.io/v1", inspect.Str(c, "apiVersion"))
		assert.Equal(t, "ghcr.io/cloudnative-pg/postgresql:16.10", inspect.Str(c, "spec", "imageName"))
		assert.Equal(t, "100Gi", inspect.Str(c, "spec", "storage", "size"))
		assert.Equal(t, "fast-ssd", inspect.Str(c, "spec", "storage", "storageClass"))
		assert.Equal(t, "4000m", inspect.Str(c, "spec", "resources", "requests", "cpu"))
		assert.Equal(t, "8192Mi", inspect.Str(c, "spec", "resources", "requests", "memory"))
		assert.Equal(t, "8192Mi", inspect.Str(c, "spec", "resources", "limits", "memory"))
		params := inspect.At(c, "spec", "postgresql", "parameters").ObjectValue()
		assert.Equal(t, "2048MB", inspect.Str(params, "shared_buffers"), "a quarter of the memory")
		assert.Equal(t, "400", inspect.Str(params, "max_connections"))
		assert.Equal(t, "1000", inspect.Str(params, "log_min_duration_statement"))
		assert.False(t, inspect.Has(params, "archive_timeout"), "the operator's 5 min default keeps the RPO")
		assert.Equal(t, []string{"hostssl all all all scram-sha-256", "hostnossl all all all reject"}, inspect.Strs(c, "spec", "postgresql", "pg_hba"))
		assert.False(t, inspect.At(c, "spec", "monitoring", "enablePodMonitor").BoolValue())
		assert.False(t, inspect.At(c, "spec", "enableSuperuserAccess").BoolValue())

		assert.Equal(t, "airbyte", inspect.Str(c, "spec", "bootstrap", "initdb", "database"))
		assert.Equal(t, "airbyte", inspect.Str(c, "spec", "bootstrap", "initdb", "owner"))
		assert.Equal(t, "metadata-db-airbyte", inspect.Str(c, "spec", "bootstrap", "initdb", "secret", "name"))
		require.Equal(t, 3, inspect.Len(c, "spec", "managed", "roles"))
		// The read-only role of Airbyte's jobs exporter: login, no inheritance, a connection limit.
		reader := inspect.RequireObj(t, c, "spec", "managed", "roles", 2)
		assert.Equal(t, metadatadb.AirbyteReader, inspect.Str(reader, "name"))
		assert.True(t, inspect.At(reader, "login").BoolValue())
		assert.False(t, inspect.At(reader, "inherit").BoolValue())
		assert.Equal(t, float64(metadatadb.ReaderConnectionLimit), inspect.Num(reader, "connectionLimit"))
		assert.Equal(t, "metadata-db-airbyte-reader", inspect.Str(reader, "passwordSecret", "name"))
		for _, k := range []string{"superuser", "createdb", "createrole", "replication", "bypassrls"} {
			assert.False(t, inspect.Has(reader, k), "%s stays at its false default", k)
		}
		assert.Equal(t, "airbyte-reader-db-credentials", inspect.Await(t, db.Connection.CredentialSecrets[metadatadb.AirbyteReader]).Value)
		for i, role := range []string{"airbyte", "superset"} {
			assert.Equal(t, role, inspect.Str(c, "spec", "managed", "roles", i, "name"))
			assert.True(t, inspect.At(c, "spec", "managed", "roles", i, "login").BoolValue())
			assert.Equal(t, "metadata-db-"+role, inspect.Str(c, "spec", "managed", "roles", i, "passwordSecret", "name"))
			sec := inspect.MustNamed(t, m, secretType, "pg-"+role+"-role")
			assert.Equal(t, "metadata-db-"+role, inspect.Str(sec.Inputs, "metadata", "name"))
			assert.Equal(t, dataNS, inspect.Str(sec.Inputs, "metadata", "namespace"))
			assert.Equal(t, "kubernetes.io/basic-auth", inspect.Str(sec.Inputs, "type"))
			assert.Equal(t, "true", inspect.Str(sec.Inputs, "metadata", "labels", "cnpg.io/reload"))
			assert.True(t, m.DependsOn(cl, sec), "the cluster waits for %s's password", role)
		}
		assert.True(t, m.DependsOn(cl, inspect.MustNamed(t, m, chartType, "pg-operator")), "the CRDs and webhooks come first")
	})
}

func TestBackups(t *testing.T) {
	for _, env := range config.Environments {
		t.Run(string(env), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				a := envArgs(env)
				m, _, err := run(t, preview, a)
				inspect.RequireRan(t, preview, err)
				c := inspect.MustNamed(t, m, clusterType, "pg-cluster")
				// The in-tree barmanObjectStore is deprecated and removed in 1.31: WAL archiving goes
				// through the Barman Cloud plugin (plugin-barman-cloud@v0.15.0 web/docs/migration.md).
				assert.False(t, inspect.Has(c.Inputs, "spec", "backup"), "no in-tree backup section")
				assert.Equal(t, 1, inspect.Len(c.Inputs, "spec", "plugins"))
				assert.Equal(t, "barman-cloud.cloudnative-pg.io", inspect.Str(c.Inputs, "spec", "plugins", 0, "name"))
				assert.True(t, inspect.At(c.Inputs, "spec", "plugins", 0, "isWALArchiver").BoolValue())
				assert.Equal(t, "metadata-db-backups", inspect.Str(c.Inputs, "spec", "plugins", 0, "parameters", "barmanObjectName"))

				st := inspect.MustNamed(t, m, objectStoreType, "pg-backup-store")
				assert.Equal(t, "barmancloud.cnpg.io/v1", inspect.Str(st.Inputs, "apiVersion"))
				assert.Equal(t, "metadata-db-backups", inspect.Str(st.Inputs, "metadata", "name"))
				assert.Equal(t, dataNS, inspect.Str(st.Inputs, "metadata", "namespace"))
				assert.Equal(t, map[config.Environment]string{config.Dev: "3d", config.Staging: "7d", config.Prod: "14d"}[env], inspect.Str(st.Inputs, "spec", "retentionPolicy"))
				s := inspect.At(st.Inputs, "spec", "configuration").ObjectValue()
				assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", inspect.Str(s, "endpointURL"))
				assert.Equal(t, "metadata-db-backup-ca", inspect.Str(s, "endpointCA", "name"))
				assert.Equal(t, "ca.crt", inspect.Str(s, "endpointCA", "key"))
				assert.Equal(t, "postgres-backup-object-store", inspect.Str(s, "s3Credentials", "accessKeyId", "name"))
				assert.Equal(t, "accessKey", inspect.Str(s, "s3Credentials", "accessKeyId", "key"))
				assert.Equal(t, "postgres-backup-object-store", inspect.Str(s, "s3Credentials", "secretAccessKey", "name"))
				assert.Equal(t, "secretKey", inspect.Str(s, "s3Credentials", "secretAccessKey", "key"))
				assert.Equal(t, "gzip", inspect.Str(s, "wal", "compression"))
				assert.Equal(t, "gzip", inspect.Str(s, "data", "compression"))
				assert.NotEmpty(t, inspect.Str(st.Inputs, "spec", "instanceSidecarConfiguration", "resources", "limits", "memory"))
				if !preview {
					assert.Equal(t, "s3://backups/cnpg", inspect.Str(s, "destinationPath"))
				}
				assert.True(t, m.DependsOn(c, st), "the cluster archives to an existing ObjectStore")
				assert.True(t, m.DependsOn(st, inspect.MustNamed(t, m, chartType, "pg-backup-plugin")), "the ObjectStore CRD comes with the plugin")

				ca := inspect.MustNamed(t, m, secretType, "pg-backup-ca")
				assert.Equal(t, storeCA, inspect.Str(ca.Inputs, "stringData", "ca.crt"))
				assert.Equal(t, dataNS, inspect.Str(ca.Inputs, "metadata", "namespace"))
				assert.True(t, m.DependsOn(c, ca))

				sb := inspect.MustNamed(t, m, scheduledType, "pg-scheduled-backup")
				assert.Equal(t, a.BackupSchedule, inspect.Str(sb.Inputs, "spec", "schedule"))
				assert.Equal(t, "metadata-db", inspect.Str(sb.Inputs, "spec", "cluster", "name"))
				assert.Equal(t, "plugin", inspect.Str(sb.Inputs, "spec", "method"))
				assert.Equal(t, "barman-cloud.cloudnative-pg.io", inspect.Str(sb.Inputs, "spec", "pluginConfiguration", "name"))
				assert.Equal(t, "prefer-standby", inspect.Str(sb.Inputs, "spec", "target"))
				assert.Equal(t, "self", inspect.Str(sb.Inputs, "spec", "backupOwnerReference"))
				assert.True(t, inspect.At(sb.Inputs, "spec", "immediate").BoolValue())
				assert.Equal(t, dataNS, inspect.Str(sb.Inputs, "metadata", "namespace"))
				assert.True(t, m.DependsOn(sb, c), "the policy pairs the ScheduledBackup with its cluster")
			})
		})
	}
}

func TestDatabases(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, db, err := run(t, preview, envArgs(config.Staging))
		inspect.RequireRan(t, preview, err)
		dbs := m.ByType(databaseType)
		require.Len(t, dbs, 3, "airbyte comes from initdb; the other three are Database objects")
		want := map[string]string{"temporal": "airbyte", "temporal_visibility": "airbyte", "superset": "superset"}
		for _, d := range dbs {
			name := inspect.Str(d.Inputs, "spec", "name")
			assert.Equal(t, want[name], inspect.Str(d.Inputs, "spec", "owner"), name)
			assert.Equal(t, "metadata-db", inspect.Str(d.Inputs, "spec", "cluster", "name"))
			assert.Equal(t, "metadata-db-"+strings.ReplaceAll(name, "_", "-"), inspect.Str(d.Inputs, "metadata", "name"))
			assert.Equal(t, "retain", inspect.Str(d.Inputs, "spec", "databaseReclaimPolicy"))
			assert.True(t, m.DependsOn(d, inspect.MustNamed(t, m, clusterType, "pg-cluster")))
		}
		for _, d := range metadatadb.Databases {
			assert.Equal(t, string(d), db.Connection.Databases[d])
		}
	})
}

func TestPooler(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Dev))
		inspect.RequireRan(t, preview, err)
		p := inspect.MustNamed(t, m, poolerType, "pg-pooler").Inputs
		assert.Equal(t, "metadata-db-pooler-rw", inspect.Str(p, "metadata", "name"))
		assert.Equal(t, "metadata-db", inspect.Str(p, "spec", "cluster", "name"))
		assert.Equal(t, "rw", inspect.Str(p, "spec", "type"))
		assert.Equal(t, "session", inspect.Str(p, "spec", "pgbouncer", "poolMode"))
		assert.Equal(t, "require", inspect.Str(p, "spec", "pgbouncer", "parameters", "client_tls_sslmode"))
		// envArgs' clients: Airbyte 5 pods × 30 = 150, Temporal 1 × 4 × 20 = 80, visibility 40,
		// Superset 2 × 20 = 40: every client of the largest database fits one pool.
		assert.Equal(t, "150", inspect.Str(p, "spec", "pgbouncer", "parameters", "default_pool_size"))
		assert.Equal(t, "410", inspect.Str(p, "spec", "pgbouncer", "parameters", "max_client_conn"))
		c := inspect.At(p, "spec", "template", "spec", "containers", 0).ObjectValue()
		assert.Equal(t, "pgbouncer", inspect.Str(c, "name"))
		assert.NotEmpty(t, inspect.Str(c, "resources", "requests", "cpu"))
		assert.NotEmpty(t, inspect.Str(c, "resources", "requests", "memory"))
		assert.NotEmpty(t, inspect.Str(c, "resources", "limits", "memory"))
		assert.Equal(t, float64(100), inspect.Num(p, "spec", "template", "spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", 0, "weight"))
	})
}

func TestSecretsAndConnection(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, db, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		for _, role := range []string{"airbyte", "superset"} {
			app := inspect.MustNamed(t, m, secretType, "pg-"+role+"-credentials")
			assert.Equal(t, appsNS, inspect.Str(app.Inputs, "metadata", "namespace"))
			assert.Equal(t, role+"-db-credentials", inspect.Str(app.Inputs, "metadata", "name"))
			assert.Equal(t, role, inspect.Str(app.Inputs, "stringData", "username"))
			assert.True(t, inspect.Has(app.Inputs, "stringData", "password"))
			assert.Equal(t, role+"-db-credentials", inspect.Await(t, db.Connection.CredentialSecrets[role]).Value)
			if !preview {
				// Both copies carry the one generated password.
				data := inspect.MustNamed(t, m, secretType, "pg-"+role+"-role")
				assert.Equal(t, inspect.Str(data.Inputs, "stringData", "password"), inspect.Str(app.Inputs, "stringData", "password"))
				assert.NotEmpty(t, inspect.Str(app.Inputs, "stringData", "password"))
			}
		}
		host := inspect.Await(t, db.Connection.Host)
		assert.True(t, host.Known)
		assert.Equal(t, "metadata-db-pooler-rw.dataplatform-data.svc.cluster.local", host.Value)
		assert.Equal(t, 5432, db.Connection.Port)
		assert.Equal(t, "verify-full", db.Connection.SSLMode)
		require.NoError(t, db.Connection.Validate())
		assert.Equal(t, "metadata-db-ca", inspect.Await(t, db.Connection.CAConfigMap).Value)
		caCM := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "pg-ca")
		assert.Equal(t, appsNS, inspect.Str(caCM.Inputs, "metadata", "namespace"))
		if !preview {
			ca := inspect.Await(t, db.Connection.CACert)
			assert.NotEmpty(t, ca.Value)
			assert.Equal(t, ca.Value, inspect.Str(caCM.Inputs, "data", "ca.crt"))
			caSecret := inspect.MustNamed(t, m, secretType, "pg-server-ca")
			assert.Equal(t, ca.Value, inspect.Str(caSecret.Inputs, "stringData", "ca.crt"))
			assert.True(t, inspect.Has(caSecret.Inputs, "stringData", "ca.key"), "the operator issues the server certificate from it")
		}
		c := inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs
		assert.Equal(t, "metadata-db-server-ca", inspect.Str(c, "spec", "certificates", "serverCASecret"))
		assert.Contains(t, inspect.Strs(c, "spec", "certificates", "serverAltDNSNames"), host.Value, "the pooler's name is in the server certificate")
		assert.Equal(t, "metadata-db", inspect.Await(t, db.ClusterName).Value)
		var deps []string
		for _, d := range host.Dependencies {
			deps = append(deps, string(inspect.Await(t, d.URN()).Value.(pulumi.URN)))
		}
		for _, d := range m.ByType(databaseType) {
			assert.Contains(t, deps, d.URN, "the host resolves after every database exists")
		}
	})
}

func TestOperatorChart(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		ns := inspect.MustNamed(t, m, nsType, "pg-operator-namespace")
		assert.Equal(t, "cnpg-system", inspect.Str(ns.Inputs, "metadata", "name"))
		assert.Equal(t, "restricted", inspect.Str(ns.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"))
		ch := inspect.MustNamed(t, m, chartType, "pg-operator")
		in := ch.Inputs
		assert.Equal(t, "cloudnative-pg", inspect.Str(in, "chart"))
		assert.Equal(t, DefaultOperatorChartVersion, inspect.Str(in, "version"))
		assert.Equal(t, "https://cloudnative-pg.github.io/charts", inspect.Str(in, "repositoryOpts", "repo"))
		assert.Equal(t, "cnpg-system", inspect.Str(in, "namespace"))
		assert.Equal(t, "cnpg", inspect.Str(in, "name"))
		assert.Equal(t, "100m", inspect.Str(in, "values", "resources", "requests", "cpu"))
		assert.Equal(t, "256Mi", inspect.Str(in, "values", "resources", "requests", "memory"))
		assert.Equal(t, "512Mi", inspect.Str(in, "values", "resources", "limits", "memory"))
		assert.False(t, inspect.At(in, "values", "monitoring", "podMonitorEnabled").BoolValue())
		assert.True(t, m.DependsOn(ch, ns), "the release goes into the namespace it waits for")

		a := envArgs(config.Dev)
		a.OperatorChartVersion, a.OperatorNamespace = "0.27.1", "postgres-operator"
		m, _, err = run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		in = inspect.MustNamed(t, m, chartType, "pg-operator").Inputs
		assert.Equal(t, "0.27.1", inspect.Str(in, "version"))
		assert.Equal(t, "postgres-operator", inspect.Str(in, "namespace"))
		assert.Equal(t, float64(1), inspect.Num(in, "values", "replicaCount"))
	})
}

func TestNetworkPolicies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		clients := []string{appsNS, "dataplatform-jobs"}

		in := inspect.MustNamed(t, m, npType, "pg-allow-ingress").Inputs
		assert.Equal(t, dataNS, inspect.Str(in, "metadata", "namespace"))
		assert.Equal(t, "metadata-db", inspect.Str(in, "spec", "podSelector", "matchLabels", "cnpg.io/cluster"))
		assert.Equal(t, []string{"Ingress"}, inspect.Strs(in, "spec", "policyTypes"))
		assert.Equal(t, []string{"cnpg-system"}, inspect.Strs(in, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "values"))
		assert.Equal(t, float64(8000), inspect.Num(in, "spec", "ingress", 0, "ports", 0, "port"))
		assert.Equal(t, clients, inspect.Strs(in, "spec", "ingress", 1, "from", 0, "namespaceSelector", "matchExpressions", 0, "values"))
		assert.Equal(t, float64(5432), inspect.Num(in, "spec", "ingress", 1, "ports", 0, "port"))

		pool := inspect.MustNamed(t, m, npType, "pg-pooler-allow-clients").Inputs
		assert.Equal(t, "metadata-db-pooler-rw", inspect.Str(pool, "spec", "podSelector", "matchLabels", "cnpg.io/poolerName"))
		assert.Equal(t, clients, inspect.Strs(pool, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "values"))
		assert.Equal(t, float64(5432), inspect.Num(pool, "spec", "ingress", 0, "ports", 0, "port"))

		for name, label := range map[string]string{"pg-allow-kube-api": "cnpg.io/cluster", "pg-pooler-allow-kube-api": "cnpg.io/poolerName"} {
			eg := inspect.MustNamed(t, m, npType, name).Inputs
			assert.NotEmpty(t, inspect.Str(eg, "spec", "podSelector", "matchLabels", label), name)
			assert.Equal(t, []string{"Egress"}, inspect.Strs(eg, "spec", "policyTypes"), name)
			assert.Equal(t, float64(443), inspect.Num(eg, "spec", "egress", 0, "ports", 0, "port"), name)
			// Only the API server's endpoints, not any host on 443/6443.
			require.Equal(t, 1, inspect.Len(eg, "spec", "egress", 0, "to"), name)
			assert.Equal(t, "172.18.0.2/32", inspect.Str(eg, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"), name)
			assert.Equal(t, float64(6443), inspect.Num(eg, "spec", "egress", 0, "ports", 1, "port"), name)
		}

		a := envArgs(config.Dev)
		a.ClientNamespaces = nil
		m, _, err = run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		assert.Nil(t, m.Named(npType, "pg-pooler-allow-clients"))
		assert.Equal(t, 1, inspect.Len(inspect.MustNamed(t, m, npType, "pg-allow-ingress").Inputs, "spec", "ingress"), "only the operator")
	})
}

func TestVersionAndImage(t *testing.T) {
	for version, image := range map[string]string{"17": "ghcr.io/cloudnative-pg/postgresql:17.6", "16.9": "ghcr.io/cloudnative-pg/postgresql:16.9"} {
		a := envArgs(config.Dev)
		a.Version = version
		m, _, err := run(t, false, a)
		require.NoError(t, err)
		assert.Equal(t, image, inspect.Str(inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs, "spec", "imageName"))
	}
	a := envArgs(config.Dev)
	a.ImageName = "registry.example.com/postgresql:16.10"
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	assert.Equal(t, "registry.example.com/postgresql:16.10", inspect.Str(inspect.MustNamed(t, m, clusterType, "pg-cluster").Inputs, "spec", "imageName"))
}

func TestEveryObjectHasNameNamespaceAndParent(t *testing.T) {
	m, _, err := run(t, false, envArgs(config.Prod))
	require.NoError(t, err)
	comp := m.ByType(MetadataDBType)
	require.Len(t, comp, 1)
	for _, r := range m.Resources() {
		if !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		assert.Equal(t, comp[0].URN, r.Parent, r.Name)
		if r.Type == chartType {
			continue
		}
		assert.NotEmpty(t, inspect.Str(r.Inputs, "metadata", "name"), r.Name)
		if r.Type != nsType {
			assert.NotEmpty(t, inspect.Str(r.Inputs, "metadata", "namespace"), r.Name)
		}
		assert.Contains(t, r.Provider, "k8s", "%s inherits the component's provider", r.Name)
		assert.Equal(t, "prod", inspect.Str(r.Inputs, "metadata", "labels", "environment"), r.Name)
	}
}

// TestWithMinIOStore wires the real store in, as the stack does: the backup credentials are the
// store's postgres-backup access in the data namespace.
func TestWithMinIOStore(t *testing.T) {
	m := mockcloud.New("dataplatform", "dev", false)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		store, err := minio.NewObjectStore(ctx, "store", &minio.ObjectStoreArgs{
			Namespace: pulumi.String(dataNS), NamespaceName: dataNS, Replicas: 1, VolumeSizeGiB: 50, CPU: 0.5, MemoryGiB: 1,
			Versioning: true, NoncurrentVersionDays: 30,
			Access: []objectstore.Access{{Workload: "postgres-backup", Namespace: dataNS, ServiceAccount: "metadata-db", Buckets: []objectstore.Bucket{objectstore.Backups}}},
		}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		a := envArgs(config.Dev)
		a.ObjectStore = store.Info
		a.BackupCredentialsSecret = store.Info.Identities["postgres-backup"].CredentialsSecret
		_, err = NewMetadataDB(ctx, "pg", a, pulumi.Provider(p))
		return err
	}, nil)
	require.NoError(t, err)
	c := inspect.MustNamed(t, m, clusterType, "pg-cluster")
	st := inspect.MustNamed(t, m, objectStoreType, "pg-backup-store")
	s := inspect.At(st.Inputs, "spec", "configuration").ObjectValue()
	assert.Equal(t, "s3://backups/cnpg", inspect.Str(s, "destinationPath"))
	assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", inspect.Str(s, "endpointURL"))
	assert.Equal(t, "postgres-backup-object-store", inspect.Str(s, "s3Credentials", "accessKeyId", "name"))
	assert.Contains(t, inspect.Str(inspect.MustNamed(t, m, secretType, "pg-backup-ca").Inputs, "stringData", "ca.crt"), "BEGIN CERTIFICATE")
	assert.True(t, m.DependsOn(c, inspect.MustNamed(t, m, "kubernetes:batch/v1:Job", "store-setup-job")), "archiving starts after the bucket and user exist")
	assert.True(t, m.DependsOn(st, inspect.MustNamed(t, m, "kubernetes:batch/v1:Job", "store-setup-job")), "the ObjectStore names the bucket once it exists")
}

// TestPreview runs prod as `pulumi preview` does: the only failure allowed is the mock monitor's on
// unknown secrets, and everything that does not carry a generated password is registered.
func TestPreview(t *testing.T) {
	m, _, err := run(t, true, envArgs(config.Prod))
	if err != nil {
		require.Contains(t, err.Error(), inspect.MockSecretLimitation, "no other failure in a preview")
	}
	require.Len(t, m.ByType(MetadataDBType), 1)
	ch := inspect.MustNamed(t, m, chartType, "pg-operator")
	assert.Equal(t, DefaultOperatorChartVersion, inspect.Str(ch.Inputs, "version"))
	assert.Equal(t, float64(2), inspect.Num(ch.Inputs, "values", "replicaCount"))
	inspect.MustNamed(t, m, nsType, "pg-operator-namespace")
	inspect.MustNamed(t, m, secretType, "pg-backup-ca")
	for _, n := range []string{"pg-allow-ingress", "pg-allow-kube-api", "pg-pooler-allow-kube-api", "pg-pooler-allow-clients"} {
		inspect.MustNamed(t, m, npType, n)
	}
}
