// Package cloudsql is the Google Cloud implementation of the platform's metadata database: a Cloud SQL
// for PostgreSQL instance (Enterprise edition) reachable only on a private IP in the platform VPC,
// with TLS enforced, daily backups, point-in-time recovery, Query Insights and, in prod, a standby in a
// second zone (availability type REGIONAL) and deletion protection. The platform's roles and databases
// are then created by metadatadb's bootstrap Job on the cluster.
//
// Disaster recovery: with DRRegion set, automated backups are stored in that region
// (backupConfiguration.location) rather than in the instance's own region, so a regional outage leaves
// every retained backup restorable into a new instance in DRRegion; but backups are daily, so that
// alone loses up to a day of writes with the region. With DRReplica set as well, a cross-region read
// replica in DRRegion receives the WAL asynchronously (lag normally seconds) and can be promoted
// (`gcloud sql instances promote-replica`): the region-loss RPO becomes the replication lag, within
// the prod target of 15 minutes. Within the region, point-in-time recovery gives an RPO of seconds.
//
// TLS: the instance keeps the per-instance CA (serverCaMode GOOGLE_MANAGED_INTERNAL_CA, the only value
// pulumi-gcp v7.38.0 documents). That CA signs this instance's server certificate and nothing else, so a
// client that trusts only ServerCACert and uses sslmode=verify-ca authenticates this very instance. The
// certificate names the instance ("<project>:<instance>"), not its private IP, so verify-full against
// the IP would always fail; host-name verification needs the shared CAS CA and a DNS name, which the
// API cannot switch to on an existing instance.
//
// Encryption at rest uses Google-managed keys. A customer-managed key would have to live in the
// instance's region, and backups copied to DRRegion would then be unreadable while that region is down,
// defeating the DR copy.
package cloudsql

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/sql"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MetadataDBType is the component's type token.
const MetadataDBType = "dataplatform:gcp:MetadataDB"

const (
	// AdminUsername is the built-in user the component creates; Cloud SQL makes it a member of
	// cloudsqlsuperuser, which can create the platform's roles and databases.
	AdminUsername = "dataplatform_admin"
	// Port is PostgreSQL's port on the private IP.
	Port = 5432
	// Edition is the Cloud SQL edition: Enterprise runs the custom machine types the config uses.
	Edition = "ENTERPRISE"
	// BackupStartTime is when the daily backup starts (UTC), ahead of the maintenance window.
	BackupStartTime = "02:00"
	// MaintenanceDay and MaintenanceHour place the maintenance window on Sunday 03:00 UTC.
	MaintenanceDay  = 7
	MaintenanceHour = 3
	// SlowQueryMillis logs statements that run longer than this (log_min_duration_statement).
	SlowQueryMillis = 1000
	// ServerCAMode is the per-instance CA: it signs only this instance's server certificate.
	ServerCAMode = "GOOGLE_MANAGED_INTERNAL_CA"
	// SSLMode is what clients use: the chain to the per-instance CA is verified, the host name cannot
	// be (the certificate's CN is "<project>:<instance>", with no IP or DNS SAN).
	SSLMode = "verify-ca"
	// DiskSizeProperty is the instance input that disk autoresize owns after creation.
	DiskSizeProperty = "settings.diskSize"
	// maxLogRetentionDays is the Enterprise edition's limit on transaction-log retention.
	maxLogRetentionDays = 7
)

// MetadataDBArgs configures the instance.
type MetadataDBArgs struct {
	// Project is the Google Cloud project ID.
	Project string
	// Region is the instance's region, e.g. "europe-north1".
	Region string
	// InstanceName is the instance's name in Cloud SQL: lower-case letters, digits and hyphens,
	// starting with a letter, at most 63 characters. A deleted instance's name stays taken for a week.
	InstanceName string
	// Version is the PostgreSQL major version, "13" to "18" ("16" means POSTGRES_16).
	Version string
	// Tier is the machine type: db-custom-<vCPUs>-<memory MiB> (e.g. db-custom-4-16384), or
	// db-f1-micro / db-g1-small for dev (shared core, refused with HighAvailability).
	Tier string
	// DiskSizeGiB is the initial SSD size, at least 10.
	DiskSizeGiB int
	// DiskAutoresizeLimitGiB caps automatic disk growth; 0 means no cap, else at least DiskSizeGiB.
	DiskAutoresizeLimitGiB int
	// HighAvailability keeps a synchronous standby in another zone (availability type REGIONAL).
	HighAvailability bool
	// BackupRetentionDays is the number of daily backups kept, 1 to 365 (at least 2 with
	// PointInTimeRecovery: Cloud SQL keeps fewer days of transaction logs than backups).
	BackupRetentionDays int
	// PointInTimeRecovery keeps transaction logs for min(7, BackupRetentionDays-1) days, so the
	// database can be restored to any second within them.
	PointInTimeRecovery bool
	// DeletionProtection refuses deletion, in Pulumi (deletionProtection) and in the Cloud SQL API
	// (settings.deletionProtectionEnabled).
	DeletionProtection bool
	// DRRegion, when set, stores the automated backups in that region instead of Region, so they
	// survive the loss of Region. It must differ from Region.
	DRRegion string
	// NetworkID is the VPC the private IP is allocated in, "projects/<project>/global/networks/<name>".
	NetworkID pulumi.StringInput
	// PrivateServiceAccessConnectionID is the VPC's service networking connection. The instance is
	// created only once it exists: a private IP needs the peering.
	PrivateServiceAccessConnectionID pulumi.StringInput
	// ServerCIDRs are the ranges the instance's private IP lies in (the private service access range,
	// or a range covering it); the bootstrap Job's egress is limited to them on port 5432.
	ServerCIDRs []string
	// KubernetesProvider creates the bootstrap Job and the credential Secrets on the cluster.
	KubernetesProvider *kubernetes.Provider
	// Secrets is the target's secret store the bootstrap writes the credentials to (nil: plain
	// Secrets; metadatadb.BootstrapArgs.Secrets).
	Secrets *secrets.Store
	// Namespace is the platform's apps namespace: it receives the credential Secrets.
	Namespace pulumi.StringInput
	// DataNamespace is the platform's data namespace: the bootstrap Job runs there, next to the
	// administrator's credential, which never lands in a namespace the workloads run in.
	DataNamespace pulumi.StringInput
	// Labels are applied to the instance (userLabels).
	Labels map[string]string
	// DRReplica adds a cross-region read replica "<InstanceName>-dr" in DRRegion, promotable when the
	// primary's region is lost. Requires DRRegion.
	DRReplica bool
	// Scheduling places the bootstrap Job's pod on the cluster's workload pool.
	Scheduling cluster.Scheduling
	// Protect marks the stateful resources (the instance, the DR replica and the generated admin
	// password) protected: destroy and replacement stop at them.
	// Disposable children (the admin user, the bootstrap Job, Secrets, ConfigMap, NetworkPolicy) are
	// never protected.
	Protect bool
}

// MetadataDB is a private Cloud SQL for PostgreSQL instance with the platform's databases and roles.
type MetadataDB struct {
	pulumi.ResourceState

	// Connection is what the workloads need to reach their databases.
	Connection metadatadb.Connection
	// InstanceName is the instance's name in Cloud SQL.
	InstanceName pulumi.StringOutput
	// ConnectionName is "<project>:<region>:<instance>", what the Cloud SQL connectors take.
	ConnectionName pulumi.StringOutput
	// PrivateIP is the instance's address in the VPC.
	PrivateIP pulumi.StringOutput
	// AdminPassword is the administrator's generated password; a secret.
	AdminPassword pulumi.StringOutput
	// BootstrapJob creates the roles and databases; workloads that use them depend on it.
	BootstrapJob *batchv1.Job
	// ServerCACert is the PEM of the instance's server CA (serverCaCerts[0].cert), what clients verify
	// the server against with sslmode=verify-ca; also in Connection.CAConfigMap under "ca.crt".
	ServerCACert pulumi.StringOutput
	// ReplicaName is the DR replica's instance name; empty without DRReplica.
	ReplicaName pulumi.StringOutput
}

func (a *MetadataDBArgs) validate(name string) error {
	if a == nil {
		return errors.New("cloudsql: args are nil; pass a *MetadataDBArgs")
	}
	if name == "" {
		return errors.New("cloudsql: name is empty; resource names are derived from it")
	}
	fail := func(format string, v ...any) error {
		return fmt.Errorf("cloudsql %s: "+format, append([]any{name}, v...)...)
	}
	if err := gcpnaming.ValidProject(a.Project); err != nil {
		return fail("%w", err)
	}
	if err := gcpnaming.ValidRegion("Region", a.Region); err != nil {
		return fail("%w", err)
	}
	if !instanceRe.MatchString(a.InstanceName) {
		return fail("InstanceName = %q; must be 1–63 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen", a.InstanceName)
	}
	if !versionRe.MatchString(a.Version) {
		return fail("Version = %q; must be a PostgreSQL major version Cloud SQL offers, 13 to 18", a.Version)
	}
	if !tierRe.MatchString(a.Tier) {
		return fail("Tier = %q; must be db-custom-<vCPUs>-<MiB> (e.g. db-custom-4-16384), db-f1-micro or db-g1-small", a.Tier)
	}
	if a.HighAvailability && !strings.HasPrefix(a.Tier, "db-custom-") {
		return fail("Tier = %q with HighAvailability; shared-core tiers carry no SLA, use a db-custom-* tier", a.Tier)
	}
	if a.DiskSizeGiB < 10 || a.DiskSizeGiB > 65536 {
		return fail("DiskSizeGiB = %d; must be between 10 and 65536", a.DiskSizeGiB)
	}
	if l := a.DiskAutoresizeLimitGiB; l != 0 && (l < a.DiskSizeGiB || l > 65536) {
		return fail("DiskAutoresizeLimitGiB = %d; must be 0 (no cap) or between DiskSizeGiB (%d) and 65536", l, a.DiskSizeGiB)
	}
	if d := a.BackupRetentionDays; d < 1 || d > 365 {
		return fail("BackupRetentionDays = %d; must be between 1 and 365", d)
	}
	if a.PointInTimeRecovery && a.BackupRetentionDays < 2 {
		return fail("BackupRetentionDays = %d with PointInTimeRecovery; must be at least 2, as Cloud SQL keeps fewer days of transaction logs than backups", a.BackupRetentionDays)
	}
	if a.DRRegion != "" {
		if err := gcpnaming.ValidRegion("DRRegion", a.DRRegion); err != nil {
			return fail("%w", err)
		}
		if a.DRRegion == a.Region {
			return fail("DRRegion = %q is the instance's own Region; choose another region or leave it empty", a.DRRegion)
		}
	}
	if a.DRReplica && a.DRRegion == "" {
		return fail("DRReplica is set without DRRegion; the replica lives in DRRegion")
	}
	if a.DRReplica && len(a.InstanceName) > 60 {
		return fail("InstanceName = %q with DRReplica; at most 60 characters, the replica is named %q", a.InstanceName, a.InstanceName+"-dr")
	}
	if a.NetworkID == nil {
		return fail("NetworkID is nil; the instance needs the VPC for its private IP")
	}
	if a.PrivateServiceAccessConnectionID == nil {
		return fail("PrivateServiceAccessConnectionID is nil; the instance must wait for the VPC's private service access")
	}
	if len(a.ServerCIDRs) == 0 {
		return fail("ServerCIDRs is empty; the bootstrap Job's egress policy needs the range the private IP lies in")
	}
	for i, c := range a.ServerCIDRs {
		if err := validCIDR(fmt.Sprintf("ServerCIDRs[%d]", i), c); err != nil {
			return fail("%w", err)
		}
	}
	if a.KubernetesProvider == nil {
		return fail("KubernetesProvider is nil; the bootstrap Job runs on the cluster")
	}
	if a.Namespace == nil {
		return fail("Namespace is nil; pass the platform's apps namespace")
	}
	if err := gcpnaming.ValidLabels(a.Labels); err != nil {
		return fail("%w", err)
	}
	return nil
}

// transactionLogDays is how many days of transaction logs point-in-time recovery keeps: as many as the
// edition allows, and fewer than the backups kept ("backup retention should be > transaction log
// retention").
func transactionLogDays(backupDays int) int {
	return max(1, min(maxLogRetentionDays, backupDays-1))
}

// NewMetadataDB creates the instance, its administrator and the platform's roles and databases.
func NewMetadataDB(ctx *pulumi.Context, name string, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*MetadataDB, error) {
	if err := args.validate(name); err != nil {
		return nil, err
	}
	comp := &MetadataDB{}
	props := pulumi.Map{
		"project":                pulumi.String(args.Project),
		"region":                 pulumi.String(args.Region),
		"instanceName":           pulumi.String(args.InstanceName),
		"version":                pulumi.String(args.Version),
		"tier":                   pulumi.String(args.Tier),
		"diskSizeGiB":            pulumi.Int(args.DiskSizeGiB),
		"diskAutoresizeLimitGiB": pulumi.Int(args.DiskAutoresizeLimitGiB),
		"highAvailability":       pulumi.Bool(args.HighAvailability),
		"backupRetentionDays":    pulumi.Int(args.BackupRetentionDays),
		"pointInTimeRecovery":    pulumi.Bool(args.PointInTimeRecovery),
		"deletionProtection":     pulumi.Bool(args.DeletionProtection),
		"drRegion":               pulumi.String(args.DRRegion),
		"networkId":              args.NetworkID,
		"serverCidrs":            pulumi.ToStringArray(args.ServerCIDRs),
		"namespace":              args.Namespace,
		"labels":                 pulumi.ToStringMap(args.Labels),
		"drReplica":              pulumi.Bool(args.DRReplica),
		"protect":                pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(MetadataDBType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	stateful := pulumi.Composite(parent, pulumi.Protect(args.Protect))
	disposable := pulumi.Composite(parent, pulumi.Protect(false))

	// The private network value carries the connection as a dependency: the engine creates the
	// instance only after private service access is in place, and without a DependsOn on a resource
	// the caller would have to hand over.
	privateNetwork := pulumi.All(args.NetworkID.ToStringOutput(), args.PrivateServiceAccessConnectionID.ToStringOutput()).ApplyT(
		func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)

	var logDays pulumi.IntPtrInput
	if args.PointInTimeRecovery {
		logDays = pulumi.Int(transactionLogDays(args.BackupRetentionDays))
	}
	var backupLocation pulumi.StringPtrInput
	if args.DRRegion != "" {
		backupLocation = pulumi.String(args.DRRegion)
	}
	// The primary's own settings beside those its DR replica shares: backups, maintenance, full
	// query insights and the logging flags.
	settings := instanceSettings(args, privateNetwork)
	settings.BackupConfiguration = &sql.DatabaseInstanceSettingsBackupConfigurationArgs{
		Enabled:                     pulumi.Bool(true),
		StartTime:                   pulumi.String(BackupStartTime),
		Location:                    backupLocation,
		PointInTimeRecoveryEnabled:  pulumi.Bool(args.PointInTimeRecovery),
		TransactionLogRetentionDays: logDays,
		BackupRetentionSettings: &sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs{
			RetainedBackups: pulumi.Int(args.BackupRetentionDays),
			RetentionUnit:   pulumi.String("COUNT"),
		},
	}
	settings.MaintenanceWindow = &sql.DatabaseInstanceSettingsMaintenanceWindowArgs{
		Day:         pulumi.Int(MaintenanceDay),
		Hour:        pulumi.Int(MaintenanceHour),
		UpdateTrack: pulumi.String("stable"),
	}
	settings.InsightsConfig = &sql.DatabaseInstanceSettingsInsightsConfigArgs{
		QueryInsightsEnabled:  pulumi.Bool(true),
		QueryStringLength:     pulumi.Int(1024),
		RecordApplicationTags: pulumi.Bool(true),
		RecordClientAddress:   pulumi.Bool(true),
	}
	settings.DatabaseFlags = sql.DatabaseInstanceSettingsDatabaseFlagArray{
		flag("log_min_duration_statement", fmt.Sprint(SlowQueryMillis)),
		flag("log_connections", "on"),
		flag("log_disconnections", "on"),
		flag("log_lock_waits", "on"),
		// Lets operators log in with their Google identity instead of a shared password.
		flag("cloudsql.iam_authentication", "on"),
	}

	instance, err := sql.NewDatabaseInstance(ctx, name+"-instance", &sql.DatabaseInstanceArgs{
		Project:            pulumi.String(args.Project),
		Region:             pulumi.String(args.Region),
		Name:               pulumi.String(args.InstanceName),
		DatabaseVersion:    pulumi.String("POSTGRES_" + args.Version),
		DeletionProtection: pulumi.Bool(args.DeletionProtection),
		Settings:           settings,
		// diskAutoresize grows the disk; the configured size must not pull it back on the next update
		// (pulumi-gcp@v7.38.0 sdk/go/gcp/sql/pulumiTypes.go DiskSize: "this value will override the
		// resizing from diskAutoresize ... set ignore_changes on this field").
	}, stateful, pulumi.IgnoreChanges([]string{DiskSizeProperty}))
	if err != nil {
		return nil, err
	}

	password, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
		Length:     pulumi.Int(32),
		Special:    pulumi.Bool(false), // it travels through psql variables and connection strings
		MinNumeric: pulumi.Int(4),
		MinUpper:   pulumi.Int(4),
		MinLower:   pulumi.Int(4),
	}, stateful)
	if err != nil {
		return nil, err
	}
	admin, err := sql.NewUser(ctx, name+"-admin", &sql.UserArgs{
		Project:  pulumi.String(args.Project),
		Instance: instance.Name,
		Name:     pulumi.String(AdminUsername),
		Type:     pulumi.String("BUILT_IN"),
		Password: password.Result,
		// The roles the bootstrap creates were granted by this user, so PostgreSQL refuses to drop it;
		// on destroy it goes with the instance.
		DeletionPolicy: pulumi.String("ABANDON"),
	}, disposable)
	if err != nil {
		return nil, err
	}
	// Read the password back from the user, so the bootstrap Job waits until the user exists.
	adminPassword := pulumi.ToSecret(admin.Password.Elem()).(pulumi.StringOutput)

	caCert := instance.ServerCaCerts.Index(pulumi.Int(0)).Cert().Elem()
	boot, err := metadatadb.NewBootstrap(ctx, name+"-bootstrap", comp, args.KubernetesProvider, &metadatadb.BootstrapArgs{
		Host:          instance.PrivateIpAddress,
		Port:          Port,
		Namespace:     args.Namespace,
		DataNamespace: args.DataNamespace,
		AdminUsername: AdminUsername,
		AdminPassword: adminPassword,
		AdminDatabase: "postgres",
		// The server certificate names the instance, not its IP: clients verify it against the
		// per-instance CA (verify-ca), which signs no other server.
		SSLMode:     SSLMode,
		CACert:      caCert,
		ServerCIDRs: args.ServerCIDRs,
		Secrets:     args.Secrets,
		Scheduling:  args.Scheduling,
		Protect:     args.Protect,
	})
	if err != nil {
		return nil, err
	}

	comp.Connection = boot.Connection(instance.PrivateIpAddress, Port)
	comp.InstanceName = instance.Name
	comp.ConnectionName = instance.ConnectionName
	comp.PrivateIP = instance.PrivateIpAddress
	comp.AdminPassword = adminPassword
	comp.BootstrapJob = boot.Job
	comp.ServerCACert = caCert
	comp.ReplicaName = pulumi.String("").ToStringOutput()
	if args.DRReplica {
		replica, err := newReplica(ctx, name, args, instance, privateNetwork, stateful)
		if err != nil {
			return nil, err
		}
		comp.ReplicaName = replica.Name
	}

	secrets := pulumi.StringMap{}
	for role, s := range boot.CredentialSecrets {
		secrets[role] = s
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"instanceName":      comp.InstanceName,
		"connectionName":    comp.ConnectionName,
		"privateIp":         comp.PrivateIP,
		"port":              pulumi.Int(Port),
		"sslMode":           pulumi.String(SSLMode),
		"serverCaCert":      comp.ServerCACert,
		"replicaName":       comp.ReplicaName,
		"caSecret":          boot.CAConfigMap,
		"credentialSecrets": secrets,
		"bootstrapJob":      boot.Job.Metadata.Name(),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func flag(name, value string) *sql.DatabaseInstanceSettingsDatabaseFlagArgs {
	return &sql.DatabaseInstanceSettingsDatabaseFlagArgs{Name: pulumi.String(name), Value: pulumi.String(value)}
}

// instanceSettings are the settings the primary and its DR replica share — machine, availability,
// disk, private network and TLS — so that a promoted replica can take the primary's load.
func instanceSettings(args *MetadataDBArgs, privateNetwork pulumi.StringOutput) *sql.DatabaseInstanceSettingsArgs {
	availability := "ZONAL"
	if args.HighAvailability {
		availability = "REGIONAL"
	}
	var autoresizeLimit pulumi.IntPtrInput
	if args.DiskAutoresizeLimitGiB > 0 {
		autoresizeLimit = pulumi.Int(args.DiskAutoresizeLimitGiB)
	}
	return &sql.DatabaseInstanceSettingsArgs{
		Tier:                      pulumi.String(args.Tier),
		Edition:                   pulumi.String(Edition),
		AvailabilityType:          pulumi.String(availability),
		DeletionProtectionEnabled: pulumi.Bool(args.DeletionProtection),
		DiskType:                  pulumi.String("PD_SSD"),
		DiskSize:                  pulumi.Int(args.DiskSizeGiB),
		DiskAutoresize:            pulumi.Bool(true),
		DiskAutoresizeLimit:       autoresizeLimit,
		IpConfiguration: &sql.DatabaseInstanceSettingsIpConfigurationArgs{
			// No public IP: the instance is reachable only from the VPC (and peered networks); the
			// VPC and its private service access range are global, so a replica in another region
			// gets its private IP from the same range.
			Ipv4Enabled:    pulumi.Bool(false),
			PrivateNetwork: privateNetwork,
			// The server refuses unencrypted connections; clients need no client certificate.
			SslMode: pulumi.String("ENCRYPTED_ONLY"),
			// Stated, not left to the API default: the per-instance CA is what makes verify-ca
			// identify this instance (see the package comment). pulumi-gcp@v7.38.0
			// sdk/go/gcp/sql/pulumiTypes.go: ServerCaMode, "Supported value is GOOGLE_MANAGED_INTERNAL_CA".
			ServerCaMode: pulumi.String(ServerCAMode),
		},
		UserLabels: pulumi.ToStringMap(args.Labels),
	}
}
