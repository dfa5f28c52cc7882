package cloudsql

import (
	"slices"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	dpsecrets "github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/servicenetworking"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tInstance    = "gcp:sql/databaseInstance:DatabaseInstance"
	tUser        = "gcp:sql/user:User"
	tPassword    = "random:index/randomPassword:RandomPassword"
	tNetwork     = "gcp:compute/network:Network"
	tPSA         = "gcp:servicenetworking/connection:Connection"
	tJob         = "kubernetes:batch/v1:Job"
	tSecret      = "kubernetes:core/v1:Secret"
	tNetPol      = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	tGCPProvider = "pulumi:providers:gcp"
	tK8sProvider = "pulumi:providers:kubernetes"
	testProject  = "acme-data-prod"
	testRegion   = "europe-north1"
	testNS       = "dataplatform"
	psaCIDR      = "10.100.0.0/16"
)

// prodArgs are what the prod stack passes (config defaults for gcp/prod); the network inputs are
// filled in by run.
func prodArgs() *MetadataDBArgs {
	return &MetadataDBArgs{
		Project:                testProject,
		Region:                 testRegion,
		InstanceName:           "dataplatform-prod",
		Version:                "16",
		Tier:                   "db-custom-4-16384",
		DiskSizeGiB:            100,
		DiskAutoresizeLimitGiB: 1000,
		HighAvailability:       true,
		BackupRetentionDays:    14,
		PointInTimeRecovery:    true,
		DeletionProtection:     true,
		DRRegion:               "europe-west1",
		ServerCIDRs:            []string{psaCIDR},
		Labels:                 map[string]string{"environment": "prod"},
	}
}

func devArgs() *MetadataDBArgs {
	a := prodArgs()
	a.InstanceName = "dataplatform-dev"
	a.Tier = "db-custom-1-3840"
	a.DiskSizeGiB = 20
	a.DiskAutoresizeLimitGiB = 100
	a.HighAvailability = false
	a.BackupRetentionDays = 3
	a.DeletionProtection = false
	a.DRRegion = ""
	a.Labels = map[string]string{"environment": "dev"}
	return a
}

type world struct {
	m  *mockcloud.Mocks
	db *MetadataDB
}

// run builds the component on a VPC with private service access, as the gcp stack does. The network
// inputs are set here unless the args already carry them (validation tests).
func run(t *testing.T, preview bool, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*world, error) {
	t.Helper()
	w := &world{m: mockcloud.New("dataplatform", "prod", preview)}
	err := w.m.Run(func(ctx *pulumi.Context) error {
		p, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String(testProject), Region: pulumi.String(testRegion)})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		vpc, err := compute.NewNetwork(ctx, "vpc", &compute.NetworkArgs{Project: pulumi.String(testProject), Name: pulumi.String("net"),
			AutoCreateSubnetworks: pulumi.Bool(false)}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		psa, err := servicenetworking.NewConnection(ctx, "psa", &servicenetworking.ConnectionArgs{
			Network: vpc.ID(), Service: pulumi.String("servicenetworking.googleapis.com"),
			ReservedPeeringRanges: pulumi.StringArray{pulumi.String("net-psa")},
		}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		if args != nil {
			if args.NetworkID == nil {
				args.NetworkID = vpc.ID()
			}
			if args.PrivateServiceAccessConnectionID == nil {
				args.PrivateServiceAccessConnectionID = psa.ID()
			}
			if args.KubernetesProvider == nil {
				args.KubernetesProvider = k8s
			}
			if args.Namespace == nil {
				args.Namespace = pulumi.String(testNS)
			}
			if args.DataNamespace == nil {
				args.DataNamespace = pulumi.String(testNS + "-data")
			}
		}
		w.db, err = NewMetadataDB(ctx, "metadata-db", args, append([]pulumi.ResourceOption{pulumi.Provider(p)}, opts...)...)
		return err
	}, nil)
	return w, err
}

// mockSecretGap is the error the SDK's mock monitor returns when a resource input is a secret whose
// value is unknown: it unmarshals inputs without keeping unknowns, so such a secret loses its value.
// In a preview every random.RandomPassword result is exactly that (the real engine keeps it). The
// admin user and the bootstrap's Secrets take generated passwords, so under the mocks a preview stops
// there; everything registered before is still recorded and checked.
const mockSecretGap = "malformed RPC secret: missing value for"

// completed requires the run to have succeeded, or, in a preview, to have stopped only at that gap. It
// reports whether the whole component was registered; once the harness answers generated passwords
// in previews, every assertion runs in both modes.
func completed(t *testing.T, preview bool, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	require.True(t, preview, "a normal run fails: %v", err)
	require.ErrorContains(t, err, mockSecretGap, "the only tolerated preview failure is the mock monitor's unknown-secret gap")
	t.Logf("preview stopped at the mock monitor's unknown-secret gap: %v", err)
	return false
}

func flags(in resource.PropertyMap) map[string]string {
	out := map[string]string{}
	for _, f := range inspect.At(in, "settings", "databaseFlags").ArrayValue() {
		out[inspect.Str(f.ObjectValue(), "name")] = inspect.Str(f.ObjectValue(), "value")
	}
	return out
}

func env(job *mockcloud.Resource) map[string]resource.PropertyValue {
	out := map[string]resource.PropertyValue{}
	containers := inspect.At(job.Inputs, "spec", "template", "spec", "containers").ArrayValue()
	for _, e := range inspect.At(containers[0].ObjectValue(), "env").ArrayValue() {
		o := e.ObjectValue()
		out[inspect.Str(o, "name")] = inspect.At(o, "value")
	}
	return out
}

func TestProdInstanceSettings(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		// Protect is an argument now (issue 9, class 1); as a component option it reached every child.
		args := prodArgs()
		args.Protect = true
		w, err := run(t, preview, args)
		completed(t, preview, err)
		m := w.m

		comp := inspect.One(t, m, MetadataDBType)
		assert.Equal(t, "metadata-db", comp.Name)
		assert.Equal(t, "europe-west1", inspect.Str(comp.Inputs, "drRegion"), "the component records its inputs (V2)")

		inst := inspect.One(t, m, tInstance)
		in := inst.Inputs
		assert.Equal(t, comp.URN, inst.Parent)
		assert.True(t, inst.Protect, "the prod instance is protected")
		gcpProvider := inspect.One(t, m, tGCPProvider)
		assert.True(t, strings.HasPrefix(inst.Provider, gcpProvider.URN+"::"), "the instance inherits the component's gcp provider")
		assert.Equal(t, "POSTGRES_16", inspect.Str(in, "databaseVersion"))
		assert.Equal(t, "dataplatform-prod", inspect.Str(in, "name"))
		assert.Equal(t, testProject, inspect.Str(in, "project"))
		assert.Equal(t, testRegion, inspect.Str(in, "region"))
		dp, _ := inspect.Bool(in, "deletionProtection")
		assert.True(t, dp)
		_, hasEncryptionKey := in["encryptionKeyName"]
		assert.False(t, hasEncryptionKey, "Google-managed keys, so DR backups stay readable without the primary region")

		s := func(path ...any) string { return inspect.Str(in, append([]any{"settings"}, path...)...) }
		n := func(path ...any) float64 { return inspect.Num(in, append([]any{"settings"}, path...)...) }
		b := func(path ...any) bool { v, _ := inspect.Bool(in, append([]any{"settings"}, path...)...); return v }
		assert.Equal(t, "db-custom-4-16384", s("tier"))
		assert.Equal(t, "ENTERPRISE", s("edition"))
		assert.Equal(t, "REGIONAL", s("availabilityType"), "prod keeps a standby in another zone")
		assert.True(t, b("deletionProtectionEnabled"))
		assert.Equal(t, "PD_SSD", s("diskType"))
		assert.EqualValues(t, 100, n("diskSize"))
		assert.True(t, b("diskAutoresize"))
		assert.EqualValues(t, 1000, n("diskAutoresizeLimit"))

		// Private only, TLS only.
		ipv4, set := inspect.Bool(in, "settings", "ipConfiguration", "ipv4Enabled")
		assert.True(t, set, "ipv4Enabled is set explicitly")
		assert.False(t, ipv4, "no public IP")
		assert.Equal(t, "ENCRYPTED_ONLY", s("ipConfiguration", "sslMode"))
		assert.True(t, inspect.At(in, "settings", "ipConfiguration", "authorizedNetworks").IsNull(), "no authorized networks")
		if !preview {
			assert.Equal(t, "projects/acme-data-prod/compute/net", s("ipConfiguration", "privateNetwork"), "the VPC's ID")
		}

		// Backups kept 14 days in the DR region, 7 days of transaction logs for PITR.
		assert.True(t, b("backupConfiguration", "enabled"))
		assert.Equal(t, "02:00", s("backupConfiguration", "startTime"))
		assert.Equal(t, "europe-west1", s("backupConfiguration", "location"), "backups survive the loss of the primary region")
		assert.True(t, b("backupConfiguration", "pointInTimeRecoveryEnabled"))
		assert.EqualValues(t, 7, n("backupConfiguration", "transactionLogRetentionDays"))
		assert.EqualValues(t, 14, n("backupConfiguration", "backupRetentionSettings", "retainedBackups"))
		assert.Equal(t, "COUNT", s("backupConfiguration", "backupRetentionSettings", "retentionUnit"))

		assert.EqualValues(t, 7, n("maintenanceWindow", "day"))
		assert.EqualValues(t, 3, n("maintenanceWindow", "hour"))
		assert.Equal(t, "stable", s("maintenanceWindow", "updateTrack"))
		assert.True(t, b("insightsConfig", "queryInsightsEnabled"))
		f := flags(in)
		assert.Equal(t, "on", f["cloudsql.iam_authentication"])
		assert.Equal(t, "1000", f["log_min_duration_statement"])
		assert.Equal(t, "on", f["log_connections"])
		assert.Equal(t, "prod", s("userLabels", "environment"))
	})
}

func TestDevInstanceSettings(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		w, err := run(t, preview, devArgs())
		completed(t, preview, err)
		inst := inspect.One(t, w.m, tInstance)
		in := inst.Inputs
		assert.False(t, inst.Protect)
		assert.Equal(t, "ZONAL", inspect.Str(in, "settings", "availabilityType"), "dev runs without a standby")
		dp, set := inspect.Bool(in, "deletionProtection")
		assert.True(t, set)
		assert.False(t, dp)
		dpe, set := inspect.Bool(in, "settings", "deletionProtectionEnabled")
		assert.True(t, set)
		assert.False(t, dpe)
		assert.True(t, inspect.At(in, "settings", "backupConfiguration", "location").IsNull(), "no DR region: backups stay in the default location")
		assert.EqualValues(t, 3, inspect.Num(in, "settings", "backupConfiguration", "backupRetentionSettings", "retainedBackups"))
		assert.EqualValues(t, 2, inspect.Num(in, "settings", "backupConfiguration", "transactionLogRetentionDays"),
			"fewer log days than backups, as Cloud SQL requires")
		ipv4, _ := inspect.Bool(in, "settings", "ipConfiguration", "ipv4Enabled")
		assert.False(t, ipv4, "dev has no public IP either")
		assert.Equal(t, "ENCRYPTED_ONLY", inspect.Str(in, "settings", "ipConfiguration", "sslMode"))
	})
}

func TestTransactionLogDays(t *testing.T) {
	for backups, want := range map[int]int{2: 1, 3: 2, 7: 6, 8: 7, 14: 7, 365: 7} {
		assert.Equal(t, want, transactionLogDays(backups), "backups=%d", backups)
	}
}

func TestInstanceWaitsForPrivateServiceAccess(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		w, err := run(t, preview, prodArgs())
		completed(t, preview, err)
		inst := inspect.One(t, w.m, tInstance)
		psa := inspect.One(t, w.m, tPSA)
		vpc := inspect.One(t, w.m, tNetwork)
		assert.Contains(t, inst.PropertyDependencies["settings"], psa.URN, "the private network input carries the PSA connection")
		assert.Contains(t, inst.PropertyDependencies["settings"], vpc.URN)
		assert.True(t, w.m.DependsOn(inst, psa))
	})
}

func TestAdminUserAndBootstrap(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		w, err := run(t, preview, prodArgs())
		if !completed(t, preview, err) {
			return
		}
		m := w.m
		comp := inspect.One(t, m, MetadataDBType)
		inst := inspect.One(t, m, tInstance)
		k8s := inspect.One(t, m, tK8sProvider)

		user := inspect.One(t, m, tUser)
		assert.Equal(t, comp.URN, user.Parent)
		assert.Equal(t, AdminUsername, inspect.Str(user.Inputs, "name"))
		assert.Equal(t, "BUILT_IN", inspect.Str(user.Inputs, "type"))
		assert.Equal(t, "ABANDON", inspect.Str(user.Inputs, "deletionPolicy"))
		assert.Contains(t, user.PropertyDependencies["instance"], inst.URN)
		pw := m.Named(tPassword, "metadata-db-admin-password")
		require.NotNil(t, pw)
		assert.Contains(t, user.PropertyDependencies["password"], pw.URN)
		if !preview {
			assert.True(t, user.Inputs["password"].IsSecret(), "the password is a secret in state")
			assert.Equal(t, "dataplatform-prod", inspect.Str(user.Inputs, "instance"))
		}

		job := inspect.One(t, m, tJob)
		assert.Equal(t, comp.URN, job.Parent, "the bootstrap resources are the component's children")
		assert.True(t, strings.HasPrefix(job.Provider, k8s.URN+"::"))
		assert.Equal(t, testNS+"-data", inspect.Str(job.Inputs, "metadata", "namespace"), "the Job and the admin credential stay out of the workloads' namespace")
		assert.True(t, m.DependsOn(job, inst), "the Job connects to the instance's private IP")
		assert.True(t, m.DependsOn(job, user), "the Job waits for the administrator to exist")
		e := env(job)
		assert.Equal(t, "verify-ca", e["PGSSLMODE"].StringValue(), "was require: the server was never verified")
		assert.Equal(t, "5432", e["PGPORT"].StringValue())
		if !preview {
			assert.Regexp(t, `^10\.90\.\d+\.\d+$`, e["PGHOST"].StringValue(), "the private IP")
		}

		var admin, ca *mockcloud.Resource
		for _, s := range m.ByType(tSecret) {
			// The Job reads a versioned Secret: metadata-db-admin-<digest of its values>.
			if dpsecrets.IsVersionOf("metadata-db-admin", inspect.Str(s.Inputs, "metadata", "name")) {
				admin = s
			}
		}
		for _, cm := range m.ByType("kubernetes:core/v1:ConfigMap") {
			if inspect.Str(cm.Inputs, "metadata", "name") == "metadata-db-ca" {
				ca = cm
			}
		}
		require.NotNil(t, admin)
		require.NotNil(t, ca, "the server CA is published for clients that verify it")
		if !preview {
			assert.Equal(t, AdminUsername, inspect.Str(admin.Inputs, "stringData", "username"))
			assert.Contains(t, inspect.Str(ca.Inputs, "data", "ca.crt"), "BEGIN CERTIFICATE")
		}
		assert.True(t, m.DependsOn(ca, inst))

		np := inspect.One(t, m, tNetPol)
		var cidrs []string
		for _, rule := range inspect.At(np.Inputs, "spec", "egress").ArrayValue() {
			for _, to := range inspect.At(rule.ObjectValue(), "to").ArrayValue() {
				cidrs = append(cidrs, inspect.Str(to.ObjectValue(), "ipBlock", "cidr"))
			}
		}
		assert.Equal(t, []string{psaCIDR}, cidrs, "the Job may reach only the private service access range")
	})
}

func TestConnectionOutputs(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		w, err := run(t, preview, prodArgs())
		completed(t, preview, err)
		c := w.db.Connection
		assert.Equal(t, 5432, c.Port)
		assert.Equal(t, "verify-ca", c.SSLMode, "was require: the server was never verified")
		assert.Equal(t, map[metadatadb.Database]string{"airbyte": "airbyte", "temporal": "temporal",
			"temporal_visibility": "temporal_visibility", "superset": "superset"}, c.Databases)
		require.Contains(t, c.CredentialSecrets, "airbyte")
		require.Contains(t, c.CredentialSecrets, "superset")
		require.NotNil(t, w.db.BootstrapJob)
		if preview {
			assert.False(t, inspect.Await(t, c.Host).Known, "the private IP is unknown before create")
			return
		}
		host := inspect.Await(t, c.Host).Value.(string)
		assert.Equal(t, host, inspect.Await(t, w.db.PrivateIP).Value)
		assert.Regexp(t, `^10\.90\.`, host)
		assert.Equal(t, "acme-data-prod:europe-north1:dataplatform-prod", inspect.Await(t, w.db.ConnectionName).Value)
		assert.Equal(t, "airbyte-db-credentials", inspect.Await(t, c.CredentialSecrets["airbyte"]).Value)
		assert.Equal(t, "superset-db-credentials", inspect.Await(t, c.CredentialSecrets["superset"]).Value)
		assert.Equal(t, "metadata-db-ca", inspect.Await(t, c.CAConfigMap).Value)
		pw := inspect.Await(t, w.db.AdminPassword)
		assert.True(t, pw.Secret, "the admin password stays secret")
		assert.NotEmpty(t, pw.Value)
	})
}

func TestValidation(t *testing.T) {
	mut := func(f func(a *MetadataDBArgs)) *MetadataDBArgs { a := prodArgs(); f(a); return a }
	cases := []struct {
		name string
		args *MetadataDBArgs
		want []string
	}{
		{"nil args", nil, []string{"args are nil"}},
		{"project", mut(func(a *MetadataDBArgs) { a.Project = "Acme" }), []string{"Project", `"Acme"`}},
		{"region", mut(func(a *MetadataDBArgs) { a.Region = "europe" }), []string{"Region", `"europe"`}},
		{"instance name", mut(func(a *MetadataDBArgs) { a.InstanceName = "Data_Platform" }), []string{"InstanceName", "Data_Platform"}},
		{"version", mut(func(a *MetadataDBArgs) { a.Version = "POSTGRES_16" }), []string{"Version", "13 to 18"}},
		{"tier", mut(func(a *MetadataDBArgs) { a.Tier = "db.m7g.large" }), []string{"Tier", "db-custom"}},
		{"shared core HA", mut(func(a *MetadataDBArgs) { a.Tier = "db-g1-small" }), []string{"Tier", "HighAvailability"}},
		{"disk", mut(func(a *MetadataDBArgs) { a.DiskSizeGiB = 5 }), []string{"DiskSizeGiB", "5"}},
		{"autoresize below size", mut(func(a *MetadataDBArgs) { a.DiskAutoresizeLimitGiB = 50 }), []string{"DiskAutoresizeLimitGiB", "50"}},
		{"retention", mut(func(a *MetadataDBArgs) { a.BackupRetentionDays = 0 }), []string{"BackupRetentionDays", "1 and 365"}},
		{"retention with PITR", mut(func(a *MetadataDBArgs) { a.BackupRetentionDays = 1 }), []string{"BackupRetentionDays", "PointInTimeRecovery"}},
		{"DR region format", mut(func(a *MetadataDBArgs) { a.DRRegion = "EU" }), []string{"DRRegion", `"EU"`}},
		{"DR region same", mut(func(a *MetadataDBArgs) { a.DRRegion = testRegion }), []string{"DRRegion", "own Region"}},
		{"server CIDRs", mut(func(a *MetadataDBArgs) { a.ServerCIDRs = nil }), []string{"ServerCIDRs"}},
		{"server CIDR host bits", mut(func(a *MetadataDBArgs) { a.ServerCIDRs = []string{"10.100.0.1/16"} }), []string{"ServerCIDRs[0]", "host bits"}},
		{"labels", mut(func(a *MetadataDBArgs) { a.Labels = map[string]string{"Env": "x"} }), []string{"Labels", "Env"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := run(t, false, c.args)
			require.Error(t, err)
			for _, s := range c.want {
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, w.m.ByType(MetadataDBType), "nothing is registered before validation passes")
			assert.Empty(t, w.m.ByType(tInstance))
		})
	}
}

func TestMissingWiringIsRefused(t *testing.T) {
	// Inputs the test harness would otherwise fill in: checked by validate directly.
	base := func() *MetadataDBArgs {
		a := prodArgs()
		a.NetworkID = pulumi.String("projects/p/global/networks/n")
		a.PrivateServiceAccessConnectionID = pulumi.String("psa")
		a.KubernetesProvider = &kubernetes.Provider{}
		a.Namespace = pulumi.String(testNS)
		return a
	}
	require.NoError(t, base().validate("db"))
	for field, f := range map[string]func(a *MetadataDBArgs){
		"NetworkID":                        func(a *MetadataDBArgs) { a.NetworkID = nil },
		"PrivateServiceAccessConnectionID": func(a *MetadataDBArgs) { a.PrivateServiceAccessConnectionID = nil },
		"KubernetesProvider":               func(a *MetadataDBArgs) { a.KubernetesProvider = nil },
		"Namespace":                        func(a *MetadataDBArgs) { a.Namespace = nil },
	} {
		a := base()
		f(a)
		err := a.validate("db")
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
	assert.ErrorContains(t, base().validate(""), "name is empty")
}

func TestChildrenNamedAfterComponent(t *testing.T) {
	w, err := run(t, false, prodArgs())
	require.NoError(t, err)
	comp := inspect.One(t, w.m, MetadataDBType)
	children := w.m.Children(comp.URN)
	require.NotEmpty(t, children)
	for _, c := range children {
		assert.True(t, strings.HasPrefix(c.Name, "metadata-db-"), "child %s is named after the component", c.Name)
	}
	types := []string{}
	for _, c := range children {
		types = append(types, c.Type)
	}
	for _, want := range []string{tInstance, tUser, tPassword, tJob, tNetPol} {
		assert.True(t, slices.Contains(types, want), "the component owns a %s", want)
	}
}
