package flexibleserver

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	dpsecrets "github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
)

const (
	tServer = "azure-native:dbforpostgresql/v20230601preview:Server"
	tConfig = "azure-native:dbforpostgresql/v20230601preview:Configuration"
	tDiag   = "azure-native:insights:DiagnosticSetting"
	tLock   = "azure-native:authorization:ManagementLockByScope"
	tPW     = "random:index/randomPassword:RandomPassword"
	tJob    = "kubernetes:batch/v1:Job"
	tSecret = "kubernetes:core/v1:Secret"
	tNP     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

	subnetID = "/subscriptions/" + mockcloud.AzureSubscriptionID + "/resourceGroups/rg-dataplatform-prod/providers/Microsoft.Network/virtualNetworks/network-vnet/subnets/postgres"
	zoneID   = "/subscriptions/" + mockcloud.AzureSubscriptionID + "/resourceGroups/rg-dataplatform-prod/providers/Microsoft.Network/privateDnsZones/network.private.postgres.database.azure.com"
)

// prodArgs mirrors config.Defaults(Azure, Prod); devArgs mirrors Dev. They need the providers, so
// they take the namespace and provider the test program created.
func prodArgs() *MetadataDBArgs {
	return &MetadataDBArgs{
		ResourceGroupName:   pulumi.String("rg-dataplatform-prod"),
		Location:            "swedencentral",
		ServerName:          "dataplatform-prod-pg",
		Version:             "16",
		SkuName:             "Standard_D4ds_v5",
		StorageGiB:          100,
		StorageAutoGrow:     true,
		HighAvailability:    true,
		BackupRetentionDays: 14,
		GeoRedundantBackup:  true,
		DelegatedSubnetID:   pulumi.String(subnetID),
		PrivateDNSZoneID:    pulumi.String(zoneID),
		ServerCIDRs:         []string{"10.40.0.0/16"},
		Namespace:           pulumi.String("dataplatform"),
		DataNamespace:       pulumi.String("dataplatform-data"),
		DeletionLock:        true,
		Tags:                map[string]string{"environment": "prod"},
	}
}

func devArgs() *MetadataDBArgs {
	a := prodArgs()
	a.ServerName = "dataplatform-dev-pg"
	a.SkuName = "Standard_B2s"
	a.StorageGiB = 20
	a.HighAvailability = false
	a.BackupRetentionDays = 3
	a.GeoRedundantBackup = false
	a.DeletionLock = false
	a.Tags = map[string]string{"environment": "dev"}
	return a
}

// run builds the component in a program with explicit Azure and Kubernetes providers, as the stack
// does. The Kubernetes provider is filled into the args when the test left it nil.
func run(t *testing.T, preview bool, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*mockcloud.Mocks, *MetadataDB, error) {
	return runStack(t, "prod", preview, args, opts...)
}

func runStack(t *testing.T, stack string, preview bool, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*mockcloud.Mocks, *MetadataDB, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", stack, preview)
	var db *MetadataDB
	err := m.Run(func(ctx *pulumi.Context) error {
		az, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		if args != nil && args.KubernetesProvider == nil {
			args.KubernetesProvider = k8s
		}
		db, err = NewMetadataDB(ctx, "metadata-db", args, append(opts, pulumi.Provider(az))...)
		return err
	}, nil)
	return m, db, err
}

func deploy(t *testing.T, preview bool, args *MetadataDBArgs) (*mockcloud.Mocks, *MetadataDB) {
	t.Helper()
	m, db, err := run(t, preview, args)
	require.NoError(t, err)
	require.NotNil(t, db)
	return m, db
}

// env returns the Job container's environment: plain values by name, and Secret references as
// "secret/key".
func env(t *testing.T, job *mockcloud.Resource) map[string]string {
	t.Helper()
	containers := inspect.RequireAt(t, job.Inputs, "spec", "template", "spec", "containers").ArrayValue()
	require.Len(t, containers, 1)
	out := map[string]string{}
	for _, e := range inspect.RequireAt(t, containers[0].ObjectValue(), "env").ArrayValue() {
		o := e.ObjectValue()
		n := o["name"].StringValue()
		if v, ok := o["value"]; ok {
			if v.IsString() {
				out[n] = v.StringValue()
			} else {
				out[n] = "<unknown>"
			}
			continue
		}
		if _, ok := o["valueFrom"]; !ok {
			out[n] = "<unknown>" // an unknown value in preview is left out of the inputs
			continue
		}
		ref := inspect.RequireAt(t, o, "valueFrom", "secretKeyRef").ObjectValue()
		out[n] = ref["name"].StringValue() + "/" + ref["key"].StringValue()
	}
	return out
}

func TestProdServer(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, db := deploy(t, preview, prodArgs())
		comp := inspect.MustNamed(t, m, MetadataDBType, "metadata-db")
		srv := inspect.MustNamed(t, m, tServer, "metadata-db-server")
		in := srv.Inputs
		assert.Equal(t, comp.URN, srv.Parent)

		assert.Equal(t, "dataplatform-prod-pg", inspect.RequireStr(t, in, "serverName"))
		assert.Equal(t, "16", inspect.RequireStr(t, in, "version"))
		assert.Equal(t, "Standard_D4ds_v5", inspect.RequireStr(t, in, "sku", "name"))
		assert.Equal(t, "GeneralPurpose", inspect.RequireStr(t, in, "sku", "tier"))
		assert.Equal(t, AdminUsername, inspect.RequireStr(t, in, "administratorLogin"))
		// The password comes from the generated RandomPassword, whose result the engine keeps secret.
		pw := inspect.MustNamed(t, m, tPW, "metadata-db-admin-password")
		assert.Contains(t, srv.PropertyDependencies["administratorLoginPassword"], pw.URN)
		assert.Contains(t, pw.AdditionalSecretOutputs, "result")
		assert.Contains(t, srv.AdditionalSecretOutputs, "administratorLoginPassword")

		// Zone-redundant HA, pinned zones that a failover may swap.
		assert.Equal(t, "ZoneRedundant", inspect.RequireStr(t, in, "highAvailability", "mode"))
		assert.Equal(t, "2", inspect.RequireStr(t, in, "highAvailability", "standbyAvailabilityZone"))
		assert.Equal(t, "1", inspect.RequireStr(t, in, "availabilityZone"))
		assert.ElementsMatch(t, []string{"storage.storageSizeGB", "availabilityZone", "highAvailability.standbyAvailabilityZone"}, srv.IgnoreChanges)

		// Backups: 14 days, geo-redundant.
		assert.Equal(t, 14.0, inspect.RequireNum(t, in, "backup", "backupRetentionDays"))
		assert.Equal(t, "Enabled", inspect.RequireStr(t, in, "backup", "geoRedundantBackup"))
		assert.Equal(t, 14, db.BackupRetentionDays)

		// 100 GiB asked, 128 GiB is the next disk size; autogrow on.
		assert.Equal(t, 128.0, inspect.RequireNum(t, in, "storage", "storageSizeGB"))
		assert.Equal(t, "Enabled", inspect.RequireStr(t, in, "storage", "autoGrow"))
		assert.Equal(t, 128, db.StorageGiB)

		// Private access only.
		assert.Equal(t, subnetID, inspect.RequireStr(t, in, "network", "delegatedSubnetResourceId"))
		assert.Equal(t, zoneID, inspect.RequireStr(t, in, "network", "privateDnsZoneArmResourceId"))
		assert.Equal(t, "Disabled", inspect.RequireStr(t, in, "network", "publicNetworkAccess"))

		// Password and Entra ID authentication.
		assert.Equal(t, "Enabled", inspect.RequireStr(t, in, "authConfig", "passwordAuth"))
		assert.Equal(t, "Enabled", inspect.RequireStr(t, in, "authConfig", "activeDirectoryAuth"))
		assert.Equal(t, mockcloud.AzureTenantID, inspect.RequireStr(t, in, "authConfig", "tenantId"))

		assert.Equal(t, "Enabled", inspect.RequireStr(t, in, "maintenanceWindow", "customWindow"))
		assert.Equal(t, 0.0, inspect.RequireNum(t, in, "maintenanceWindow", "dayOfWeek"))
		assert.Equal(t, 2.0, inspect.RequireNum(t, in, "maintenanceWindow", "startHour"))
		assert.Equal(t, "prod", inspect.RequireStr(t, in, "tags", "environment"))

		// A deletion lock on the server.
		lock := inspect.MustNamed(t, m, tLock, "metadata-db-lock")
		assert.Equal(t, "CanNotDelete", inspect.RequireStr(t, lock.Inputs, "level"))
		assert.Contains(t, lock.PropertyDependencies["scope"], srv.URN)
		if !preview {
			assert.Equal(t, srv.ID, inspect.RequireStr(t, lock.Inputs, "scope"))
		}
		assert.Empty(t, m.ByType(tDiag), "no workspace, no diagnostic setting")
	})
}

func TestDevServer(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, db := deploy(t, preview, devArgs())
		in := inspect.MustNamed(t, m, tServer, "metadata-db-server").Inputs
		assert.Equal(t, "Standard_B2s", inspect.RequireStr(t, in, "sku", "name"))
		assert.Equal(t, "Burstable", inspect.RequireStr(t, in, "sku", "tier"))
		assert.Equal(t, "Disabled", inspect.RequireStr(t, in, "highAvailability", "mode"))
		if ha := inspect.RequireAt(t, in, "highAvailability").ObjectValue(); inspect.HasKey(ha, "standbyAvailabilityZone") {
			assert.Equal(t, "", inspect.RequireStr(t, ha, "standbyAvailabilityZone"), "no standby zone without HA")
		}
		assert.Equal(t, "", inspect.RequireStr(t, in, "availabilityZone"), "without HA Azure places the server (the SDK sends \"\")")
		assert.Equal(t, "Disabled", inspect.RequireStr(t, in, "backup", "geoRedundantBackup"))
		// 3 days asked; Azure keeps 7 at least.
		assert.Equal(t, 7.0, inspect.RequireNum(t, in, "backup", "backupRetentionDays"))
		assert.Equal(t, 7, db.BackupRetentionDays)
		assert.Equal(t, 32.0, inspect.RequireNum(t, in, "storage", "storageSizeGB"))
		// TLS and private access do not depend on the environment.
		assert.Equal(t, "Disabled", inspect.RequireStr(t, in, "network", "publicNetworkAccess"))
		assert.Empty(t, m.ByType(tLock))
		srv := inspect.MustNamed(t, m, tServer, "metadata-db-server")
		assert.Equal(t, []string{"storage.storageSizeGB"}, srv.IgnoreChanges)
	})
}

func TestNoAutoGrowKeepsSize(t *testing.T) {
	a := devArgs()
	a.StorageAutoGrow = false
	m, _ := deploy(t, false, a)
	srv := inspect.MustNamed(t, m, tServer, "metadata-db-server")
	assert.Equal(t, "Disabled", inspect.RequireStr(t, srv.Inputs, "storage", "autoGrow"))
	assert.Empty(t, srv.IgnoreChanges)
}

func TestParameters(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs())
		srv := inspect.MustNamed(t, m, tServer, "metadata-db-server")
		configs := m.ByType(tConfig)
		require.Len(t, configs, len(Parameters))

		values := map[string]string{}
		for _, c := range configs {
			values[inspect.RequireStr(t, c.Inputs, "configurationName")] = inspect.RequireStr(t, c.Inputs, "value")
			assert.Equal(t, "user-override", inspect.RequireStr(t, c.Inputs, "source"))
			assert.True(t, m.DependsOn(c, srv))
			if !preview {
				assert.Equal(t, "dataplatform-prod-pg", inspect.RequireStr(t, c.Inputs, "serverName"))
			}
		}
		assert.Equal(t, "ON", values["require_secure_transport"])
		assert.Equal(t, "TLSv1.2", values["ssl_min_protocol_version"])
		assert.Equal(t, "on", values["log_connections"])
		assert.Equal(t, "on", values["log_disconnections"])

		// Written one after the other, TLS first.
		for i := 1; i < len(Parameters); i++ {
			prev := inspect.MustNamed(t, m, tConfig, "metadata-db-"+Parameters[i-1].Name)
			cur := inspect.MustNamed(t, m, tConfig, "metadata-db-"+Parameters[i].Name)
			assert.Contains(t, cur.Dependencies, prev.URN, "%s waits for %s", Parameters[i].Name, Parameters[i-1].Name)
		}
		assert.Equal(t, "require_secure_transport", Parameters[0].Name)
	})
}

func TestBootstrap(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, db := deploy(t, preview, prodArgs())
		comp := inspect.MustNamed(t, m, MetadataDBType, "metadata-db")
		job := inspect.MustNamed(t, m, tJob, "metadata-db-bootstrap-job")
		assert.Equal(t, comp.URN, job.Parent)
		assert.True(t, strings.HasPrefix(job.Provider, "urn:pulumi:prod::dataplatform::pulumi:providers:kubernetes::k8s::"), job.Provider)
		assert.Equal(t, "dataplatform-data", inspect.RequireStr(t, job.Inputs, "metadata", "namespace"), "the Job and the admin credential stay out of the workloads' namespace")

		e := env(t, job)
		// Changed from "require": the client verifies the server's chain and name.
		assert.Equal(t, "verify-full", e["PGSSLMODE"])
		assert.Equal(t, "5432", e["PGPORT"])
		assert.Equal(t, "postgres", e["PGDATABASE"])
		// The Job reads the administrator's versioned Secret, metadata-db-admin-<digest of its
		// values>, exactly the one materialized (a rotated password is a new name, hence a new Job).
		var adminName string
		for _, s := range m.ByType(tSecret) {
			if n := inspect.Str(s.Inputs, "metadata", "name"); dpsecrets.IsVersionOf("metadata-db-admin", n) {
				adminName = n
			}
		}
		require.NotEmpty(t, adminName, "no versioned metadata-db-admin Secret")
		assert.Equal(t, adminName+"/username", e["PGUSER"])
		assert.Equal(t, adminName+"/password", e["PGPASSWORD"])
		if !preview {
			assert.Equal(t, "dataplatform-prod-pg.postgres.database.azure.com", e["PGHOST"])
		}

		// The Job meets the server only after TLS is enforced.
		srv := inspect.MustNamed(t, m, tServer, "metadata-db-server")
		assert.True(t, m.DependsOn(job, srv))
		for _, p := range Parameters {
			assert.True(t, m.DependsOn(job, inspect.MustNamed(t, m, tConfig, "metadata-db-"+p.Name)), "the Job waits for %s", p.Name)
		}

		// Egress limited to the VNet on 5432.
		np := inspect.MustNamed(t, m, tNP, "metadata-db-bootstrap-egress")
		rule := inspect.RequireAt(t, np.Inputs, "spec", "egress").ArrayValue()[0].ObjectValue()
		assert.Equal(t, "10.40.0.0/16", inspect.RequireStr(t, rule["to"].ArrayValue()[0].ObjectValue(), "ipBlock", "cidr"))
		assert.Equal(t, 5432.0, inspect.RequireNum(t, rule["ports"].ArrayValue()[0].ObjectValue(), "port"))

		// The admin Secret carries the generated password.
		admin := inspect.MustNamed(t, m, tSecret, "metadata-db-bootstrap-admin")
		assert.Equal(t, AdminUsername, inspect.RequireStr(t, admin.Inputs, "stringData", "username"))
		pw := inspect.MustNamed(t, m, tPW, "metadata-db-admin-password")
		assert.Contains(t, admin.PropertyDependencies["stringData"], pw.URN)

		// Connection.
		c := db.Connection
		assert.Equal(t, 5432, c.Port)
		assert.Equal(t, "verify-full", c.SSLMode)
		assert.Len(t, c.Databases, len(metadatadb.Databases))
		for _, d := range metadatadb.Databases {
			assert.Equal(t, string(d), c.Databases[d])
		}
		assert.ElementsMatch(t, []string{"airbyte", "superset", "airbyte_reader"}, keys(c.CredentialSecrets))
		pwOut := inspect.Await(t, db.AdminPassword)
		assert.True(t, pwOut.Secret, "the admin password output is secret")
		host := inspect.Await(t, c.Host)
		if preview {
			assert.False(t, host.Known)
		} else {
			assert.Equal(t, "dataplatform-prod-pg.postgres.database.azure.com", host.Value)
			assert.Equal(t, "airbyte-db-credentials", inspect.Await(t, c.CredentialSecrets["airbyte"]).Value)
			assert.NotEmpty(t, inspect.Await(t, c.CAConfigMap).Value, "verify-full carries the Azure roots in a ConfigMap")
			assert.Equal(t, srv.ID, inspect.Await(t, db.ServerID).Value)
			assert.Equal(t, "metadata-db-bootstrap", inspect.Await(t, db.BootstrapJob.Metadata.Name().Elem()).Value)
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDiagnostics(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := prodArgs()
		ws := "/subscriptions/" + mockcloud.AzureSubscriptionID + "/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs"
		a.LogAnalyticsWorkspaceID = pulumi.String(ws)
		m, _ := deploy(t, preview, a)
		d := inspect.MustNamed(t, m, tDiag, "metadata-db-diagnostics")
		assert.Equal(t, ws, inspect.RequireStr(t, d.Inputs, "workspaceId"))
		logs := inspect.RequireAt(t, d.Inputs, "logs").ArrayValue()
		require.Len(t, logs, 1)
		assert.Equal(t, "PostgreSQLLogs", inspect.RequireStr(t, logs[0].ObjectValue(), "category"))
		assert.Contains(t, d.PropertyDependencies["resourceUri"], inspect.MustNamed(t, m, tServer, "metadata-db-server").URN)
	})
}

func TestTier(t *testing.T) {
	for sku, tier := range map[string]string{
		"Standard_B1ms": "Burstable", "Standard_B2s": "Burstable", "Standard_D2ds_v5": "GeneralPurpose",
		"Standard_D4ds_v5": "GeneralPurpose", "Standard_D16s_v3": "GeneralPurpose", "Standard_E4ds_v5": "MemoryOptimized",
	} {
		got, err := Tier(sku)
		require.NoError(t, err, sku)
		assert.Equal(t, tier, got, sku)
	}
	for _, bad := range []string{"", "GP_Standard_D4ds_v5", "Standard_F4s_v2", "d4ds_v5"} {
		_, err := Tier(bad)
		assert.Error(t, err, bad)
	}
}

func TestStorageSize(t *testing.T) {
	for in, want := range map[int]int{1: 32, 20: 32, 32: 32, 33: 64, 100: 128, 1000: 1024, 32767: 32767} {
		got, err := StorageSize(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%d GiB", in)
	}
	_, err := StorageSize(40000)
	assert.Error(t, err)
}

func TestValidation(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *MetadataDBArgs) *MetadataDBArgs
		want   string
	}{
		"nil args":          {func(*MetadataDBArgs) *MetadataDBArgs { return nil }, "args are nil"},
		"no resource group": {func(a *MetadataDBArgs) *MetadataDBArgs { a.ResourceGroupName = nil; return a }, "ResourceGroupName is nil"},
		"no subnet":         {func(a *MetadataDBArgs) *MetadataDBArgs { a.DelegatedSubnetID = nil; return a }, "DelegatedSubnetID is nil"},
		"no zone":           {func(a *MetadataDBArgs) *MetadataDBArgs { a.PrivateDNSZoneID = nil; return a }, "PrivateDNSZoneID is nil"},
		"no namespace":      {func(a *MetadataDBArgs) *MetadataDBArgs { a.Namespace = nil; return a }, "Namespace is nil"},
		"bad location":      {func(a *MetadataDBArgs) *MetadataDBArgs { a.Location = "Sweden Central"; return a }, `Location = "Sweden Central"`},
		"upper-case name":   {func(a *MetadataDBArgs) *MetadataDBArgs { a.ServerName = "Dataplatform"; return a }, `ServerName = "Dataplatform"`},
		"short name":        {func(a *MetadataDBArgs) *MetadataDBArgs { a.ServerName = "pg"; return a }, `ServerName = "pg"`},
		"hyphen end":        {func(a *MetadataDBArgs) *MetadataDBArgs { a.ServerName = "pg-"; return a }, `ServerName = "pg-"`},
		"old version":       {func(a *MetadataDBArgs) *MetadataDBArgs { a.Version = "12"; return a }, `Version = "12"; allowed [13 14 15 16]`},
		"bad sku":           {func(a *MetadataDBArgs) *MetadataDBArgs { a.SkuName = "db.m7g.large"; return a }, `SkuName = "db.m7g.large"`},
		"HA on burstable": {func(a *MetadataDBArgs) *MetadataDBArgs {
			a.SkuName = "Standard_B2s"
			return a
		}, "Burstable servers cannot have a standby"},
		"zero storage":   {func(a *MetadataDBArgs) *MetadataDBArgs { a.StorageGiB = 0; return a }, "StorageGiB = 0"},
		"huge storage":   {func(a *MetadataDBArgs) *MetadataDBArgs { a.StorageGiB = 50000; return a }, "StorageGiB = 50000; at most 32767"},
		"zero retention": {func(a *MetadataDBArgs) *MetadataDBArgs { a.BackupRetentionDays = 0; return a }, "BackupRetentionDays = 0; allowed 1-35"},
		"long retention": {func(a *MetadataDBArgs) *MetadataDBArgs { a.BackupRetentionDays = 36; return a }, "BackupRetentionDays = 36"},
		"same zones": {func(a *MetadataDBArgs) *MetadataDBArgs {
			a.AvailabilityZone, a.StandbyAvailabilityZone = "2", "2"
			return a
		}, `StandbyAvailabilityZone = "2"; use a zone`},
		"bad zone": {func(a *MetadataDBArgs) *MetadataDBArgs { a.AvailabilityZone = "4"; return a }, `AvailabilityZone = "4"`},
		"standby without HA": {func(a *MetadataDBArgs) *MetadataDBArgs {
			a.HighAvailability, a.StandbyAvailabilityZone = false, "2"
			return a
		}, "without HighAvailability"},
		"no cidrs":  {func(a *MetadataDBArgs) *MetadataDBArgs { a.ServerCIDRs = nil; return a }, "ServerCIDRs is empty"},
		"bad cidr":  {func(a *MetadataDBArgs) *MetadataDBArgs { a.ServerCIDRs = []string{"10.40.0.1/16"}; return a }, `ServerCIDRs contains "10.40.0.1/16"`},
		"ipv6 cidr": {func(a *MetadataDBArgs) *MetadataDBArgs { a.ServerCIDRs = []string{"fd00::/64"}; return a }, `ServerCIDRs contains "fd00::/64"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, _, err := run(t, false, c.mutate(prodArgs()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), `"metadata-db"`, "the error names the component")
			assert.Nil(t, m.Named(MetadataDBType, "metadata-db"), "nothing is registered for invalid args")
			assert.Empty(t, m.ByType(tServer))
		})
	}
}

func TestNilKubernetesProvider(t *testing.T) {
	m := mockcloud.New("dataplatform", "prod", false)
	err := m.Run(func(ctx *pulumi.Context) error {
		_, err := NewMetadataDB(ctx, "metadata-db", prodArgs())
		return err
	}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "KubernetesProvider is nil")
	assert.Nil(t, m.Named(MetadataDBType, "metadata-db"))
}

// TestPolicies runs the project's CrossGuard policies on everything the component creates, protected
// in prod as the stack does.
func TestPolicies(t *testing.T) {
	for stack, args := range map[string]func() *MetadataDBArgs{"prod": prodArgs, "dev": devArgs} {
		t.Run(stack, func(t *testing.T) {
			inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
				// Changed with the Protect contract: Args.Protect, not a component option.
				a := args()
				a.Protect = stack == "prod"
				m, _, err := runStack(t, stack, preview, a)
				require.NoError(t, err)
				var rs []policies.Resource
				for _, r := range m.Resources() {
					rs = append(rs, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs,
						Protect: r.Protect, Parent: r.Parent, Dependencies: r.AllDependencies(), Provider: r.Provider})
				}
				require.NotEmpty(t, rs)
				for _, v := range policies.Evaluate(rs, policies.DefaultConfig(stack)) {
					assert.NotEqual(t, policies.Mandatory, v.Level, v.String())
				}
			})
		})
	}
}

// Clients verify the server: the CA ConfigMap holds exactly the roots Flexible Server certificates
// chain to, parsed as X.509.
func TestServerRootCAs(t *testing.T) {
	var subjects []string
	rest := []byte(ServerRootCAs)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		assert.True(t, c.IsCA)
		assert.Equal(t, c.Subject.String(), c.Issuer.String(), "a self-signed root")
		subjects = append(subjects, c.Subject.CommonName)
	}
	assert.ElementsMatch(t, []string{"DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017", "DigiCert Global Root CA"}, subjects)
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs())
		var found bool
		for _, cm := range m.ByType("kubernetes:core/v1:ConfigMap") {
			if inspect.Str(cm.Inputs, "data", "ca.crt") == ServerRootCAs {
				found = true
			}
		}
		assert.True(t, found, "a ConfigMap carries the roots as ca.crt")
	})
}

// With Protect, the server, its administrator password and the roles' generated passwords are the
// only protected resources: the parameters, lock, diagnostic setting, bootstrap Job and Secrets stay
// replaceable.
func TestProtectsOnlyServerAndPassword(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			a := prodArgs()
			a.Protect = protect
			m, _ := deploy(t, preview, a)
			got := inspect.ProtectedTypes(m)
			if protect {
				assert.Equal(t, []string{tServer, tPW, tPW, tPW, tPW}, got) // admin, airbyte, superset, airbyte_reader
			} else {
				assert.Empty(t, got)
			}
		}
	})
}
