// Package flexibleserver is the Azure implementation of the platform's metadata database: an Azure
// Database for PostgreSQL Flexible Server with private access only (VNet integration through a
// delegated subnet and a private DNS zone), TLS required, zone-redundant high availability and
// geo-redundant backups where asked, and the platform's roles and databases created by the shared
// bootstrap Job (metadatadb.NewBootstrap).
//
// The server and its parameters use the dbforpostgresql 2023-06-01-preview API, type tokens
// "azure-native:dbforpostgresql/v20230601preview:Server" and "…:Configuration". The newest stable
// API in the SDK (2022-12-01, the default) cannot express what the platform needs: its server
// versions stop at 14, it has no storage autogrow and no publicNetworkAccess. 2023-06-01-preview is
// the version Terraform's azurerm provider manages Flexible Servers with.
package flexibleserver

import (
	_ "embed"
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	dbforpostgresql "github.com/pulumi/pulumi-azure-native-sdk/dbforpostgresql/v2/v20230601preview"
	"github.com/pulumi/pulumi-azure-native-sdk/insights/v2"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
)

// MetadataDBType is the component's type token.
const MetadataDBType = "dataplatform:azure:MetadataDB"

const (
	// AdminUsername is the server administrator. Azure forbids "admin", "administrator", "root",
	// "azure_superuser", "guest", "public" and names starting with "pg_".
	AdminUsername = "platformadmin"
	// Port is PostgreSQL's port; Flexible Server listens on 5432 only.
	Port = 5432
	// SSLMode is what clients use: TLS with the server's certificate verified against ServerRootCAs
	// and its name against the host (the server's FQDN, which its certificate
	// *.postgres.database.azure.com covers).
	SSLMode = "verify-full"
)

// ServerRootCAs are the roots Flexible Server certificates chain to, in PEM: DigiCert Global Root G2
// and Microsoft RSA Root Certificate Authority 2017 (the roots after Azure's 2024-2025 rotation), and
// DigiCert Global Root CA (the root before it, still presented by servers not yet rotated).
// learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-ssl-tls: "download the
// DigiCert Global Root G2 and Microsoft RSA Root CA 2017 ... combine them into one file".
// The file holds the certificates of the Debian ca-certificates 20230311 bundle, with their
// SHA-256 fingerprints and expiry as comments. Bootstrap writes them into the CA ConfigMap
// (Connection.CAConfigMap, key "ca.crt") that clients mount as sslrootcert.
//
//go:embed server-roots.pem
var ServerRootCAs string

// Maintenance happens in a custom window, Sunday 02:00 UTC, rather than at a time Azure picks.
const (
	maintenanceDay  = 0
	maintenanceHour = 2
)

// Parameter is one server parameter the component sets.
type Parameter struct{ Name, Value string }

// Parameters are the server parameters, applied in this order: TLS first, then logging.
var Parameters = []Parameter{
	// Refuse plain-text connections, and TLS below 1.2.
	{"require_secure_transport", "ON"},
	{"ssl_min_protocol_version", "TLSv1.2"},
	// Who connected and for how long: the audit trail of the metadata database.
	{"log_connections", "on"},
	{"log_disconnections", "on"},
	{"log_checkpoints", "on"},
	{"log_lock_waits", "on"},
	// Statements slower than a second are logged, to find what slows Airbyte and Superset down.
	{"log_min_duration_statement", "1000"},
}

// MetricsParameter turns on the enhanced metrics of the "database activity" collector (among them
// xact_commit, xact_rollback, blks_hit and blks_read, per database), which Azure Monitor emits only
// with it on (Azure docs "Monitor metrics on Azure Database for PostgreSQL flexible server",
// concepts-monitoring.md, "Enhanced metrics": "metrics.collector_database_activity"; a dynamic
// parameter, applied without a restart). Written after Parameters when
// MetadataDBArgs.DatabaseActivityMetrics is set.
var MetricsParameter = Parameter{"metrics.collector_database_activity", "on"}

// MetadataDB is the Flexible Server component.
type MetadataDB struct {
	pulumi.ResourceState

	// Connection is what the workloads use: the server's FQDN, port 5432, the databases, the
	// per-role credential Secrets in the apps namespace, sslmode "verify-full" and the CA ConfigMap
	// holding ServerRootCAs.
	Connection metadatadb.Connection
	// ServerID is the server's ARM ID.
	ServerID pulumi.StringOutput
	// FQDN is the server's private DNS name.
	FQDN pulumi.StringOutput
	// AdminPassword is the administrator's generated password; a secret.
	AdminPassword pulumi.StringOutput
	// BackupRetentionDays is the retention the server was given (BackupRetentionDays raised to
	// Azure's minimum).
	BackupRetentionDays int
	// StorageGiB is the disk size the server was created with (StorageGiB rounded up).
	StorageGiB int
	// BootstrapJob creates the roles and databases; workloads that use the databases depend on it.
	BootstrapJob *batchv1.Job
}

// NewMetadataDB creates the administrator password, the server, its parameters, an optional
// diagnostic setting and deletion lock, and runs the bootstrap Job on the cluster.
func NewMetadataDB(ctx *pulumi.Context, name string, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*MetadataDB, error) {
	s, err := args.validate(name)
	if err != nil {
		return nil, err
	}
	comp := &MetadataDB{BackupRetentionDays: s.retentionDays, StorageGiB: s.storageGiB}
	props := pulumi.Map{
		"resourceGroupName":   args.ResourceGroupName,
		"location":            pulumi.String(args.Location),
		"serverName":          pulumi.String(args.ServerName),
		"version":             pulumi.String(args.Version),
		"skuName":             pulumi.String(args.SkuName),
		"storageGiB":          pulumi.Int(args.StorageGiB),
		"storageAutoGrow":     pulumi.Bool(args.StorageAutoGrow),
		"highAvailability":    pulumi.Bool(args.HighAvailability),
		"backupRetentionDays": pulumi.Int(args.BackupRetentionDays),
		"geoRedundantBackup":  pulumi.Bool(args.GeoRedundantBackup),
		"delegatedSubnetId":   args.DelegatedSubnetID,
		"privateDnsZoneId":    args.PrivateDNSZoneID,
		"serverCidrs":         pulumi.ToStringArray(args.ServerCIDRs),
		"namespace":           args.Namespace,
		"deletionLock":        pulumi.Bool(args.DeletionLock),
		"protect":             pulumi.Bool(args.Protect),
		"tags":                pulumi.ToStringMap(args.Tags),
	}
	if err := ctx.RegisterComponentResourceV2(MetadataDBType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	stateful, disposable := pulumi.Protect(args.Protect), pulumi.Protect(false)

	// Three of four character classes are required; letters and digits only keep the password safe
	// in connection strings and shell commands.
	password, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
		Length:     pulumi.Int(32),
		Special:    pulumi.Bool(false),
		MinUpper:   pulumi.Int(4),
		MinLower:   pulumi.Int(4),
		MinNumeric: pulumi.Int(4),
	}, parent, stateful)
	if err != nil {
		return nil, err
	}
	client := authorization.GetClientConfigOutput(ctx, parent)

	enabled := func(b bool) pulumi.StringPtrInput {
		if b {
			return pulumi.String("Enabled")
		}
		return pulumi.String("Disabled")
	}
	ha := &dbforpostgresql.HighAvailabilityArgs{Mode: pulumi.String("Disabled")}
	if args.HighAvailability {
		ha = &dbforpostgresql.HighAvailabilityArgs{Mode: pulumi.String("ZoneRedundant"), StandbyAvailabilityZone: pulumi.String(s.standbyZone)}
	}
	var zone pulumi.StringPtrInput
	if s.zone != "" {
		zone = pulumi.String(s.zone)
	}
	var ignore []string
	if args.StorageAutoGrow {
		// Autogrow enlarges the disk; re-applying the initial size would ask Azure to shrink it.
		ignore = append(ignore, "storage.storageSizeGB")
	}
	if args.HighAvailability {
		// A failover swaps primary and standby zones; the next update must not move them back.
		ignore = append(ignore, "availabilityZone", "highAvailability.standbyAvailabilityZone")
	}
	serverOpts := []pulumi.ResourceOption{parent, stateful, pulumi.AdditionalSecretOutputs([]string{"administratorLoginPassword"}),
		// Azure sets geo-redundant backup at creation only: a change is a new server, which the plan
		// shows as a replacement (and Protect stops in prod) instead of an update Azure refuses.
		pulumi.ReplaceOnChanges([]string{"backup.geoRedundantBackup"})}
	if len(ignore) > 0 {
		serverOpts = append(serverOpts, pulumi.IgnoreChanges(ignore))
	}
	server, err := dbforpostgresql.NewServer(ctx, name+"-server", &dbforpostgresql.ServerArgs{
		ServerName:                 pulumi.String(args.ServerName),
		ResourceGroupName:          args.ResourceGroupName,
		Location:                   pulumi.String(args.Location),
		Version:                    pulumi.String(args.Version),
		Sku:                        &dbforpostgresql.SkuArgs{Name: pulumi.String(args.SkuName), Tier: pulumi.String(s.tier)},
		AdministratorLogin:         pulumi.String(AdminUsername),
		AdministratorLoginPassword: password.Result,
		// Password authentication stays on: the bootstrap Job logs in as the administrator, and
		// Airbyte, Temporal and Superset connect with password roles (none of them can fetch Entra
		// tokens). Entra ID authentication is on too, so operators sign in with their Entra identity
		// once an Entra administrator is added.
		AuthConfig: &dbforpostgresql.AuthConfigArgs{
			PasswordAuth:        pulumi.String("Enabled"),
			ActiveDirectoryAuth: pulumi.String("Enabled"),
			TenantId:            client.TenantId(),
		},
		Storage: &dbforpostgresql.StorageArgs{
			StorageSizeGB: pulumi.Int(s.storageGiB),
			AutoGrow:      enabled(args.StorageAutoGrow),
		},
		Backup: &dbforpostgresql.BackupArgs{
			BackupRetentionDays: pulumi.Int(s.retentionDays),
			GeoRedundantBackup:  enabled(args.GeoRedundantBackup),
		},
		HighAvailability: ha,
		AvailabilityZone: zone,
		// Private access: the server gets an address in the delegated subnet and a record in the
		// private zone, and no public endpoint at all.
		Network: &dbforpostgresql.NetworkArgs{
			DelegatedSubnetResourceId:   args.DelegatedSubnetID,
			PrivateDnsZoneArmResourceId: args.PrivateDNSZoneID,
			PublicNetworkAccess:         pulumi.String("Disabled"),
		},
		MaintenanceWindow: &dbforpostgresql.MaintenanceWindowArgs{
			CustomWindow: pulumi.String("Enabled"),
			DayOfWeek:    pulumi.Int(maintenanceDay),
			StartHour:    pulumi.Int(maintenanceHour),
			StartMinute:  pulumi.Int(0),
		},
		Tags: pulumi.ToStringMap(args.Tags),
	}, serverOpts...)
	if err != nil {
		return nil, err
	}

	// Parameters are written one after the other: the server rejects concurrent parameter updates.
	var previous pulumi.Resource = server
	var configIDs []any
	params := Parameters
	if args.DatabaseActivityMetrics {
		params = append(append([]Parameter{}, Parameters...), MetricsParameter)
	}
	for _, p := range params {
		cfg, err := dbforpostgresql.NewConfiguration(ctx, name+"-"+p.Name, &dbforpostgresql.ConfigurationArgs{
			ConfigurationName: pulumi.String(p.Name),
			ServerName:        server.Name,
			ResourceGroupName: args.ResourceGroupName,
			Value:             pulumi.String(p.Value),
			Source:            pulumi.String("user-override"),
		}, parent, disposable, pulumi.DependsOn([]pulumi.Resource{previous}))
		if err != nil {
			return nil, err
		}
		previous = cfg
		configIDs = append(configIDs, cfg.ID())
	}

	if args.LogAnalyticsWorkspaceID != nil {
		if _, err := insights.NewDiagnosticSetting(ctx, name+"-diagnostics", &insights.DiagnosticSettingArgs{
			Name:        pulumi.String(args.ServerName + "-logs"),
			ResourceUri: server.ID().ToStringOutput(),
			WorkspaceId: args.LogAnalyticsWorkspaceID,
			Logs: insights.LogSettingsArray{
				&insights.LogSettingsArgs{Category: pulumi.String("PostgreSQLLogs"), Enabled: pulumi.Bool(true)},
			},
			Metrics: insights.MetricSettingsArray{
				&insights.MetricSettingsArgs{Category: pulumi.String("AllMetrics"), Enabled: pulumi.Bool(true)},
			},
		}, parent, disposable); err != nil {
			return nil, err
		}
	}

	if args.DeletionLock {
		if _, err := authorization.NewManagementLockByScope(ctx, name+"-lock", &authorization.ManagementLockByScopeArgs{
			LockName: pulumi.String("do-not-delete"),
			Level:    pulumi.String("CanNotDelete"),
			Scope:    server.ID().ToStringOutput(),
			Notes:    pulumi.String("The platform's metadata database (Airbyte, Temporal, Superset). Remove this lock only to retire it."),
		}, parent, disposable); err != nil {
			return nil, err
		}
	}

	// The host is handed out once every parameter is in place, so the bootstrap Job and the
	// workloads only ever meet a server that enforces TLS.
	host := pulumi.All(append([]any{server.FullyQualifiedDomainName}, configIDs...)...).ApplyT(func(v []any) string {
		return v[0].(string)
	}).(pulumi.StringOutput)

	boot, err := metadatadb.NewBootstrap(ctx, name+"-bootstrap", comp, args.KubernetesProvider, &metadatadb.BootstrapArgs{
		Host:          host,
		Port:          Port,
		Namespace:     args.Namespace,
		DataNamespace: args.DataNamespace,
		AdminUsername: AdminUsername,
		AdminPassword: password.Result,
		AdminDatabase: "postgres",
		SSLMode:       SSLMode,
		CACert:        pulumi.String(ServerRootCAs),
		ServerCIDRs:   args.ServerCIDRs,
		Secrets:       args.Secrets,
		Scheduling:    args.Scheduling,
		Protect:       args.Protect,
	})
	if err != nil {
		return nil, fmt.Errorf("flexibleserver %q: %w", name, err)
	}

	comp.ServerID = server.ID().ToStringOutput()
	comp.FQDN = server.FullyQualifiedDomainName
	comp.AdminPassword = pulumi.ToSecret(password.Result).(pulumi.StringOutput)
	comp.BootstrapJob = boot.Job
	comp.Connection = boot.Connection(host, Port)

	secrets := pulumi.StringMap{}
	for role, sec := range boot.CredentialSecrets {
		secrets[role] = sec
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"serverId":          comp.ServerID,
		"fqdn":              comp.FQDN,
		"host":              host,
		"port":              pulumi.Int(Port),
		"sslMode":           pulumi.String(SSLMode),
		"credentialSecrets": secrets,
		"bootstrapJob":      boot.Job.Metadata.Name().Elem(),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
