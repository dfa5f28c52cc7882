// Package rds is the AWS implementation of the platform's metadata database: Amazon RDS for
// PostgreSQL with storage and Performance Insights encrypted by its own KMS key, TLS forced by the
// parameter group, a security group that admits only the EKS cluster, automated backups (replicated to
// a disaster-recovery region in prod) and the bootstrap Job that creates the platform's roles and
// databases from inside the cluster.
package rds

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/internal/pemca"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MetadataDBType is the component's type token.
const MetadataDBType = "dataplatform:aws:MetadataDB"

const (
	// Port is the PostgreSQL port the instance listens on.
	Port = 5432
	// AdminUsername is the RDS master user; the bootstrap Job uses it to create the platform's roles.
	AdminUsername = "dpadmin"
	// CACertIdentifier is the RDS certificate authority of the server certificate.
	CACertIdentifier = "rds-ca-rsa2048-g1"
	// BackupWindow (UTC) is when automated snapshots are taken; it must not overlap MaintenanceWindow.
	BackupWindow = "01:00-02:00"
	// MaintenanceWindow (UTC) is when minor version upgrades and patches are applied.
	MaintenanceWindow = "sun:03:00-sun:04:00"
	// MonitoringIntervalSeconds is the enhanced monitoring granularity when PerformanceInsights is on.
	MonitoringIntervalSeconds = 60
	// performanceInsightsRetentionDays is the free tier of Performance Insights.
	performanceInsightsRetentionDays = 7
	// minMajorVersion is the oldest PostgreSQL major version still in RDS standard support.
	minMajorVersion = 14
)

// logExports are the logs RDS publishes to CloudWatch Logs.
var logExports = []string{"postgresql", "upgrade"}

// MetadataDBArgs configures the RDS for PostgreSQL instance.
type MetadataDBArgs struct {
	// Identifier is the instance's physical DB identifier, unique in the account and region: 1–63
	// lower-case letters, digits and single hyphens, starting with a letter.
	Identifier string
	// EngineVersion is the PostgreSQL major version ("16"), or a major.minor ("16.4") to pin a minor
	// release. A major version lets RDS pick the newest minor and upgrade it in MaintenanceWindow; the
	// parameter group family (postgres16) always follows the major version.
	EngineVersion string
	// InstanceClass is the RDS instance class, e.g. "db.m7g.xlarge".
	InstanceClass string
	// AllocatedStorageGiB is the initial gp3 storage (20–65536).
	AllocatedStorageGiB int
	// MaxAllocatedStorageGiB lets RDS grow storage automatically up to this size; 0 disables storage
	// autoscaling, otherwise it must exceed AllocatedStorageGiB.
	MaxAllocatedStorageGiB int
	// MultiAZ runs a synchronous standby in another availability zone (prod).
	MultiAZ bool
	// BackupRetentionDays is how long automated backups and point-in-time recovery reach back (1–35).
	BackupRetentionDays int
	// DeletionProtection refuses deletion of the instance and makes its deletion take a final
	// snapshot and keep the automated backups (prod). Without it, deletion skips the final snapshot.
	DeletionProtection bool
	// PerformanceInsights turns on Performance Insights (7 days, encrypted with the instance key) and
	// enhanced OS monitoring every 60 seconds.
	PerformanceInsights bool
	// DRRegion, when set, receives a copy of the automated backups (snapshots and transaction logs),
	// encrypted with a key of that region, so the database can be restored there to any point in the
	// retention period (prod). It must differ from the instance's region.
	DRRegion string
	// DBSubnetGroupName is the DB subnet group of the network's database subnets.
	DBSubnetGroupName pulumi.StringInput
	// VpcID is the VPC the instance's security group is created in.
	VpcID pulumi.StringInput
	// AllowedSecurityGroupIDs may connect on 5432: the EKS cluster security group. Nothing else can.
	AllowedSecurityGroupIDs pulumi.StringArrayInput
	// ServerCIDRs are the ranges the instance's addresses come from (the VPC CIDR); the bootstrap
	// Job's egress NetworkPolicy allows only them, on 5432.
	ServerCIDRs []string
	// KubernetesProvider reaches the cluster the bootstrap Job and credential Secrets are created on.
	KubernetesProvider *kubernetes.Provider
	// Secrets is the target's secret store the bootstrap writes the credentials to (nil: plain
	// Secrets; metadatadb.BootstrapArgs.Secrets).
	Secrets *secrets.Store
	// Namespace is the platform's apps namespace: it receives the credential Secrets and the Job.
	Namespace pulumi.StringInput
	// DataNamespace is the platform's data namespace: the bootstrap Job runs there, next to the
	// administrator's credential, which never lands in a namespace the workloads run in.
	DataNamespace pulumi.StringInput
	// CACertificatePEM is the RDS certificate bundle of the instance's region (the roots of
	// CACertIdentifier, from https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem or
	// global-bundle.pem). Required: clients use sslmode=verify-full against it and the instance's DNS
	// name, which RDS server certificates carry.
	CACertificatePEM string
	// Tags are added to every AWS resource that takes tags.
	Tags map[string]string
	// Scheduling places the bootstrap Job's pod on the cluster's workload pool.
	Scheduling cluster.Scheduling
	// Protect marks the stateful resources (the DB instance, its KMS keys, the generated admin
	// password) protected: destroy and replacement stop at them. Disposable children (security group,
	// parameter group, monitoring role, backup replication, the bootstrap Job…) are never protected.
	Protect bool
}

// MetadataDB is the RDS metadata database component.
type MetadataDB struct {
	pulumi.ResourceState

	// Connection is what the workloads need to reach their databases.
	Connection metadatadb.Connection
	// Address is the instance's private DNS name.
	Address pulumi.StringOutput
	// Endpoint is "<address>:5432".
	Endpoint pulumi.StringOutput
	// InstanceARN is the DB instance ARN.
	InstanceARN pulumi.StringOutput
	// ResourceID is the instance's DbiResourceId ("db-…", pulumi-aws@v6.83.4 rds/instance.go
	// resourceId): the identifier Performance Insights and its CloudWatch metric math
	// (DB_PERF_INSIGHTS) know the instance by.
	ResourceID pulumi.StringOutput
	// KMSKeyARN is the key encrypting storage, snapshots and Performance Insights.
	KMSKeyARN pulumi.StringOutput
	// SecurityGroupID is the instance's security group.
	SecurityGroupID pulumi.StringOutput
	// BootstrapJob creates the roles and databases; workloads using the databases depend on it.
	BootstrapJob *batchv1.Job
}

var (
	identifierRE = regexp.MustCompile(`^[a-z](?:[a-z0-9]|-[a-z0-9])*$`)
	versionRE    = regexp.MustCompile(`^(\d+)(?:\.(\d+))?$`)
	classRE      = regexp.MustCompile(`^db\.[a-z0-9-]+\.[a-z0-9]+$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
)

func (a *MetadataDBArgs) validate() error {
	if a == nil {
		return fmt.Errorf("rds: args is nil; pass a *MetadataDBArgs")
	}
	if len(a.Identifier) > 63 || !identifierRE.MatchString(a.Identifier) {
		return fmt.Errorf("rds: Identifier = %q; must be 1–63 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen", a.Identifier)
	}
	m := versionRE.FindStringSubmatch(a.EngineVersion)
	if m == nil {
		return fmt.Errorf("rds: EngineVersion = %q; must be a PostgreSQL major version such as \"16\" or a major.minor such as \"16.4\"", a.EngineVersion)
	}
	if major, _ := strconv.Atoi(m[1]); major < minMajorVersion {
		return fmt.Errorf("rds: EngineVersion = %q; must be PostgreSQL %d or later (older majors have left RDS standard support)", a.EngineVersion, minMajorVersion)
	}
	if !classRE.MatchString(a.InstanceClass) {
		return fmt.Errorf("rds: InstanceClass = %q; must be an RDS instance class such as \"db.m7g.large\"", a.InstanceClass)
	}
	if a.AllocatedStorageGiB < 20 || a.AllocatedStorageGiB > 65536 {
		return fmt.Errorf("rds: AllocatedStorageGiB = %d; must be 20–65536 (gp3)", a.AllocatedStorageGiB)
	}
	if a.MaxAllocatedStorageGiB != 0 && (a.MaxAllocatedStorageGiB <= a.AllocatedStorageGiB || a.MaxAllocatedStorageGiB > 65536) {
		return fmt.Errorf("rds: MaxAllocatedStorageGiB = %d; must be 0 (no storage autoscaling) or greater than AllocatedStorageGiB (%d) and at most 65536", a.MaxAllocatedStorageGiB, a.AllocatedStorageGiB)
	}
	if a.BackupRetentionDays < 1 || a.BackupRetentionDays > 35 {
		return fmt.Errorf("rds: BackupRetentionDays = %d; must be 1–35 (0 would turn automated backups and point-in-time recovery off)", a.BackupRetentionDays)
	}
	if a.DRRegion != "" && !regionRE.MatchString(a.DRRegion) {
		return fmt.Errorf("rds: DRRegion = %q; must be empty or an AWS region such as \"eu-west-1\"", a.DRRegion)
	}
	switch {
	case a.DBSubnetGroupName == nil:
		return fmt.Errorf("rds: DBSubnetGroupName is nil; pass the network's DB subnet group name")
	case a.VpcID == nil:
		return fmt.Errorf("rds: VpcID is nil; pass the network's VPC ID")
	case a.AllowedSecurityGroupIDs == nil:
		return fmt.Errorf("rds: AllowedSecurityGroupIDs is nil; pass the EKS cluster security group ID")
	case a.KubernetesProvider == nil:
		return fmt.Errorf("rds: KubernetesProvider is nil; pass the cluster's provider (the bootstrap Job runs there)")
	case a.Namespace == nil:
		return fmt.Errorf("rds: Namespace is nil; pass the platform's apps namespace")
	}
	if len(a.ServerCIDRs) == 0 {
		return fmt.Errorf("rds: ServerCIDRs is empty; pass the VPC CIDR, which the bootstrap Job's egress is limited to")
	}
	for i, c := range a.ServerCIDRs {
		if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
			return fmt.Errorf("rds: ServerCIDRs[%d] = %q; must be an IPv4 CIDR block with host bits zero, e.g. 10.40.0.0/16", i, c)
		}
	}
	if err := pemca.Check(a.CACertificatePEM); err != nil {
		return fmt.Errorf("rds: CACertificatePEM: %w; pass the RDS CA bundle of the region (https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem)", err)
	}
	for k := range a.Tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fmt.Errorf("rds: Tags key %q; must be non-empty and must not start with the reserved prefix \"aws:\"", k)
		}
	}
	return nil
}

// majorVersion returns the major part of a validated EngineVersion.
func majorVersion(v string) string { return versionRE.FindStringSubmatch(v)[1] }

// parameters are the instance's PostgreSQL settings: TLS only, and the logs an operator needs to
// diagnose slow queries, connection storms, lock waits and autovacuum. All are dynamic.
func parameters() rds.ParameterGroupParameterArray {
	kv := [][2]string{
		{"rds.force_ssl", "1"}, // refuse unencrypted connections
		{"password_encryption", "scram-sha-256"},
		{"log_connections", "1"},
		{"log_disconnections", "1"},
		{"log_min_duration_statement", "1000"}, // ms: statements slower than a second
		{"log_lock_waits", "1"},
		{"log_temp_files", "10240"}, // kB: temporary files of 10 MB or more
		{"log_autovacuum_min_duration", "10000"},
	}
	out := rds.ParameterGroupParameterArray{}
	for _, p := range kv {
		out = append(out, rds.ParameterGroupParameterArgs{Name: pulumi.String(p[0]), Value: pulumi.String(p[1]), ApplyMethod: pulumi.String("immediate")})
	}
	return out
}

// NewMetadataDB creates the RDS instance, its key, network access, parameters, monitoring and backup
// replication, then bootstraps the platform's roles and databases.
func NewMetadataDB(ctx *pulumi.Context, name string, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*MetadataDB, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &MetadataDB{}
	props := pulumi.Map{
		"identifier":              pulumi.String(args.Identifier),
		"engineVersion":           pulumi.String(args.EngineVersion),
		"instanceClass":           pulumi.String(args.InstanceClass),
		"allocatedStorageGiB":     pulumi.Int(args.AllocatedStorageGiB),
		"maxAllocatedStorageGiB":  pulumi.Int(args.MaxAllocatedStorageGiB),
		"multiAz":                 pulumi.Bool(args.MultiAZ),
		"backupRetentionDays":     pulumi.Int(args.BackupRetentionDays),
		"deletionProtection":      pulumi.Bool(args.DeletionProtection),
		"performanceInsights":     pulumi.Bool(args.PerformanceInsights),
		"drRegion":                pulumi.String(args.DRRegion),
		"dbSubnetGroupName":       args.DBSubnetGroupName,
		"vpcId":                   args.VpcID,
		"allowedSecurityGroupIds": args.AllowedSecurityGroupIDs,
		"serverCidrs":             pulumi.ToStringArray(args.ServerCIDRs),
		"namespace":               args.Namespace,
		"tags":                    pulumi.ToStringMap(args.Tags),
		"protect":                 pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(MetadataDBType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	tags := func(resourceName string) pulumi.StringMap {
		m := pulumi.ToStringMap(args.Tags)
		m["Name"] = pulumi.String(resourceName)
		return m
	}

	id, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("rds: reading the account: %w", err)
	}
	part, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("rds: reading the partition: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("rds: reading the region: %w", err)
	}
	if args.DRRegion == region.Name {
		return nil, fmt.Errorf("rds: DRRegion = %q is the instance's own region; pick another region or leave it empty", args.DRRegion)
	}

	key, err := kms.NewKey(ctx, name+"-kms", &kms.KeyArgs{
		Description:          pulumi.String("Storage, snapshots and Performance Insights of RDS instance " + args.Identifier),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), // the longest window: without the key, every snapshot is lost
		Tags:                 tags(name + "-kms"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(ctx, name+"-kms-alias", &kms.AliasArgs{
		Name: pulumi.String("alias/rds/" + args.Identifier), TargetKeyId: key.KeyId,
	}, parent); err != nil {
		return nil, err
	}

	// Only the cluster reaches the database. No egress rules: PostgreSQL answers on its connections and
	// opens none of its own.
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("PostgreSQL of RDS instance " + args.Identifier + " from the EKS cluster only"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description:    pulumi.String("PostgreSQL from the EKS cluster security group"),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(Port),
			ToPort:         pulumi.Int(Port),
			SecurityGroups: args.AllowedSecurityGroupIDs,
		}},
		Egress: ec2.SecurityGroupEgressArray{},
		Tags:   tags(name + "-sg"),
	}, parent)
	if err != nil {
		return nil, err
	}

	major := majorVersion(args.EngineVersion)
	// The parameter group is auto-named (no Name): a new major version changes its family, which the
	// provider replaces, and Pulumi's default create-before-delete then creates the new group under a
	// new name, moves the instance to it in the same update as the engine version, and deletes the
	// old group last (deleting it first fails while the instance is still a member).
	params, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String("postgres" + major),
		Description: pulumi.String("PostgreSQL " + major + " settings of " + args.Identifier + ": TLS only, diagnostic logging"),
		Parameters:  parameters(),
		Tags:        tags(name + "-params"),
	}, parent)
	if err != nil {
		return nil, err
	}

	// The master password is generated here and kept as a Pulumi secret (encrypted in state) rather
	// than managed by RDS in Secrets Manager (manageMasterUserPassword): the bootstrap Job needs the
	// administrator's credentials inside the cluster, and a Secrets Manager copy would need a sync
	// operator (External Secrets) the platform does not otherwise require.
	password, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(40), Special: pulumi.Bool(false), MinUpper: pulumi.Int(4), MinLower: pulumi.Int(4), MinNumeric: pulumi.Int(4),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	instanceArgs := &rds.InstanceArgs{
		Identifier:            pulumi.String(args.Identifier),
		Engine:                pulumi.String("postgres"),
		EngineVersion:         pulumi.String(args.EngineVersion),
		InstanceClass:         pulumi.String(args.InstanceClass),
		AllocatedStorage:      pulumi.Int(args.AllocatedStorageGiB),
		StorageType:           pulumi.String("gp3"),
		StorageEncrypted:      pulumi.Bool(true),
		KmsKeyId:              key.Arn,
		Username:              pulumi.String(AdminUsername),
		Password:              password.Result,
		DbSubnetGroupName:     args.DBSubnetGroupName,
		VpcSecurityGroupIds:   pulumi.StringArray{sg.ID()},
		ParameterGroupName:    params.Name,
		PubliclyAccessible:    pulumi.Bool(false),
		Port:                  pulumi.Int(Port),
		MultiAz:               pulumi.Bool(args.MultiAZ),
		BackupRetentionPeriod: pulumi.Int(args.BackupRetentionDays),
		BackupWindow:          pulumi.String(BackupWindow),
		MaintenanceWindow:     pulumi.String(MaintenanceWindow),
		CopyTagsToSnapshot:    pulumi.Bool(true),
		DeletionProtection:    pulumi.Bool(args.DeletionProtection),
		// A protected (prod) instance leaves a final snapshot and its automated backups behind when it
		// is deleted on purpose; a dev instance goes away with them.
		SkipFinalSnapshot:       pulumi.Bool(!args.DeletionProtection),
		DeleteAutomatedBackups:  pulumi.Bool(!args.DeletionProtection),
		AutoMinorVersionUpgrade: pulumi.Bool(true),
		// A new major EngineVersion is an upgrade RDS refuses without this flag ("The
		// AllowMajorVersionUpgrade flag must be present when upgrading to a new major version").
		AllowMajorVersionUpgrade: pulumi.Bool(true),
		// Changes apply when `pulumi up` runs, not at the next maintenance window: the deployer picks
		// the moment, the state matches the instance, and the old parameter group is free to delete
		// once the instance has moved to the new one (pulumi-aws@v6.83.4 rds/instance.go:
		// applyImmediately, default false = next maintenance window).
		ApplyImmediately:                 pulumi.Bool(true),
		EnabledCloudwatchLogsExports:     pulumi.ToStringArray(logExports),
		CaCertIdentifier:                 pulumi.String(CACertIdentifier),
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),
		PerformanceInsightsEnabled:       pulumi.Bool(args.PerformanceInsights),
		Tags:                             tags(args.Identifier),
	}
	if args.MaxAllocatedStorageGiB > 0 {
		instanceArgs.MaxAllocatedStorage = pulumi.Int(args.MaxAllocatedStorageGiB)
	}
	if args.DeletionProtection {
		instanceArgs.FinalSnapshotIdentifier = pulumi.String(args.Identifier + "-final")
	}
	instanceOpts := []pulumi.ResourceOption{parent, pulumi.Protect(args.Protect)}
	if args.PerformanceInsights {
		instanceArgs.PerformanceInsightsKmsKeyId = key.Arn
		instanceArgs.PerformanceInsightsRetentionPeriod = pulumi.Int(performanceInsightsRetentionDays)
		role, attach, err := monitoringRole(ctx, name, part.Partition, id.AccountId, tags(name+"-monitoring-role"), parent)
		if err != nil {
			return nil, err
		}
		instanceArgs.MonitoringInterval = pulumi.Int(MonitoringIntervalSeconds)
		instanceArgs.MonitoringRoleArn = role.Arn
		// RDS checks the role's permissions when the instance is created.
		instanceOpts = append(instanceOpts, pulumi.DependsOn([]pulumi.Resource{attach}))
	} else {
		instanceArgs.MonitoringInterval = pulumi.Int(0)
	}
	instance, err := rds.NewInstance(ctx, name+"-instance", instanceArgs, instanceOpts...)
	if err != nil {
		return nil, err
	}

	if args.DRRegion != "" {
		if err := replicateBackups(ctx, name, args, instance, tags, parent); err != nil {
			return nil, err
		}
	}

	// verify-full checks the server certificate against the RDS CA bundle and its name against the
	// instance's DNS name (RDS server certificates carry the endpoint, Connection.Host).
	boot, err := metadatadb.NewBootstrap(ctx, name+"-bootstrap", comp, args.KubernetesProvider, &metadatadb.BootstrapArgs{
		Host:          instance.Address,
		Port:          Port,
		Namespace:     args.Namespace,
		DataNamespace: args.DataNamespace,
		AdminUsername: AdminUsername,
		AdminPassword: password.Result,
		AdminDatabase: "postgres",
		SSLMode:       metadatadb.SSLModeVerifyFull,
		CACert:        pulumi.String(args.CACertificatePEM),
		ServerCIDRs:   args.ServerCIDRs,
		Secrets:       args.Secrets,
		Scheduling:    args.Scheduling,
		Protect:       args.Protect,
	})
	if err != nil {
		return nil, err
	}

	comp.Connection = boot.Connection(instance.Address, Port)
	comp.Address = instance.Address
	comp.Endpoint = instance.Endpoint
	comp.InstanceARN = instance.Arn
	comp.ResourceID = instance.ResourceId
	comp.KMSKeyARN = key.Arn
	comp.SecurityGroupID = sg.ID().ToStringOutput()
	comp.BootstrapJob = boot.Job

	secrets := pulumi.StringMap{}
	for role, s := range boot.CredentialSecrets {
		secrets[role] = s
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"address":           comp.Address,
		"endpoint":          comp.Endpoint,
		"port":              pulumi.Int(Port),
		"instanceArn":       comp.InstanceARN,
		"resourceId":        comp.ResourceID,
		"kmsKeyArn":         comp.KMSKeyARN,
		"securityGroupId":   comp.SecurityGroupID,
		"credentialSecrets": secrets,
		"sslMode":           pulumi.String(metadatadb.SSLModeVerifyFull),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// monitoringRole creates the role RDS enhanced monitoring publishes OS metrics with.
func monitoringRole(ctx *pulumi.Context, name, partition, account string, tags pulumi.StringMap, parent pulumi.ResourceOption) (*iam.Role, *iam.RolePolicyAttachment, error) {
	trust, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: []statement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "monitoring.rds.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": account}},
	}}})
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, name+"-monitoring-role", &iam.RoleArgs{
		Description:      pulumi.String("RDS enhanced monitoring"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	attach, err := iam.NewRolePolicyAttachment(ctx, name+"-monitoring-role-policy", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(fmt.Sprintf("arn:%s:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", partition)),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return role, attach, nil
}

// replicateBackups copies the instance's automated backups to DRRegion with a key of that region.
// The provider for DRRegion is the component's own; it reads credentials from the environment like
// the stack's provider does.
func replicateBackups(ctx *pulumi.Context, name string, args *MetadataDBArgs, instance *rds.Instance, tags func(string) pulumi.StringMap, parent pulumi.ResourceOption) error {
	dr, err := aws.NewProvider(ctx, name+"-dr", &aws.ProviderArgs{Region: pulumi.String(args.DRRegion)}, parent)
	if err != nil {
		return err
	}
	inDR := []pulumi.ResourceOption{parent, pulumi.Provider(dr)}
	key, err := kms.NewKey(ctx, name+"-dr-kms", &kms.KeyArgs{
		Description:          pulumi.String("Replicated automated backups of RDS instance " + args.Identifier),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Tags:                 tags(name + "-dr-kms"),
	}, append(inDR, pulumi.Protect(args.Protect))...)
	if err != nil {
		return err
	}
	if _, err := kms.NewAlias(ctx, name+"-dr-kms-alias", &kms.AliasArgs{
		Name: pulumi.String("alias/rds/" + args.Identifier + "-backups"), TargetKeyId: key.KeyId,
	}, inDR...); err != nil {
		return err
	}
	_, err = rds.NewInstanceAutomatedBackupsReplication(ctx, name+"-backup-replication", &rds.InstanceAutomatedBackupsReplicationArgs{
		SourceDbInstanceArn: instance.Arn,
		RetentionPeriod:     pulumi.Int(args.BackupRetentionDays),
		KmsKeyId:            key.Arn,
	}, inDR...)
	return err
}

// policyDocument and statement are the shared IAM document types.
type (
	policyDocument = awsiam.PolicyDocument
	statement      = awsiam.Statement
)
