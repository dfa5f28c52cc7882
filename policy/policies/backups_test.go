package policies

import "testing"

func TestBackups(t *testing.T) {
	sqlSettings := func(backup M) M {
		return M{"settings": M{"backupConfiguration": backup}}
	}
	cnpg := func(spec M) Resource { return res(CNPGCluster, "pg", M{"spec": spec}) }
	barman := M{"barmanObjectStore": M{"destinationPath": "s3://backups/pg"}, "retentionPolicy": "30d"}
	runPolicy(t, "backups", []tc{
		// AWS RDS.
		{name: "rds instance 7 days prod", rs: []Resource{res(AWSRDSInstance, "db", M{"backupRetentionPeriod": 7})}},
		{name: "rds instance 3 days prod", rs: []Resource{res(AWSRDSInstance, "db", M{"backupRetentionPeriod": 3})},
			want: "backupRetentionPeriod is 3 days, below the stack's floor of 7"},
		{name: "rds instance 3 days staging", env: Staging, rs: []Resource{res(AWSRDSInstance, "db", M{"backupRetentionPeriod": 3})}},
		{name: "rds instance 1 day dev", env: Dev, rs: []Resource{res(AWSRDSInstance, "db", M{"backupRetentionPeriod": 1})}},
		{name: "rds instance 0 days dev", env: Dev, rs: []Resource{res(AWSRDSInstance, "db", M{"backupRetentionPeriod": 0})},
			want: "below the stack's floor of 1"},
		{name: "rds instance unset", rs: []Resource{res(AWSRDSInstance, "db", M{})}, want: "backupRetentionPeriod is not set"},
		{name: "rds cluster 14 days", rs: []Resource{res(AWSRDSCluster, "db", M{"backupRetentionPeriod": 14})}},
		{name: "rds cluster 1 day prod", rs: []Resource{res(AWSRDSCluster, "db", M{"backupRetentionPeriod": 1})}, want: "below the stack's floor of 7"},
		{name: "prod tightened to 14", cfg: func(c *Config) { c.MinBackupRetentionDays = 14 },
			rs: []Resource{res(AWSRDSCluster, "db", M{"backupRetentionPeriod": 7})}, want: "below the stack's floor of 14"},
		// Azure PostgreSQL Flexible Server.
		{name: "azure default retention", rs: []Resource{res(AzurePostgresServer, "db", M{})}},
		{name: "azure 35 days", rs: []Resource{res(AzurePostgresServer, "db", M{"backup": M{"backupRetentionDays": 35}})}},
		{name: "azure 3 days prod", rs: []Resource{res(AzurePostgresServer, "db", M{"backup": M{"backupRetentionDays": 3}})},
			want: "backup.backupRetentionDays is 3, below the stack's floor of 7"},
		// Cloud SQL.
		{name: "cloud sql backups and pitr", rs: []Resource{res(GCPSQLInstance, "db", sqlSettings(M{"enabled": true, "pointInTimeRecoveryEnabled": true,
			"backupRetentionSettings": M{"retainedBackups": 14}}))}},
		{name: "cloud sql backups off", rs: []Resource{res(GCPSQLInstance, "db", sqlSettings(M{"enabled": false}))},
			want: "backupConfiguration.enabled is not true"},
		{name: "cloud sql no settings", rs: []Resource{res(GCPSQLInstance, "db", M{})}, want: "backupConfiguration.enabled is not true"},
		{name: "barman object store 14d", rs: []Resource{res(BarmanObjectStore, "os", M{"spec": M{"retentionPolicy": "14d"}})}},
		{name: "barman object store 3d", rs: []Resource{res(BarmanObjectStore, "os", M{"spec": M{"retentionPolicy": "3d"}})}, want: "keeps less than the stack's floor of 7 days"},
		{name: "barman object store no retention", rs: []Resource{res(BarmanObjectStore, "os", M{"spec": M{}})}, want: "spec.retentionPolicy is not set"},
		{name: "cloud sql read replica", rs: []Resource{res(GCPSQLInstance, "db-dr", M{"masterInstanceName": "db", "settings": M{"tier": "db-custom-4-16384"}})}},
		{name: "cloud sql empty master", rs: []Resource{res(GCPSQLInstance, "db", M{"masterInstanceName": ""})}, want: "backupConfiguration.enabled is not true"},
		{name: "cloud sql no pitr", rs: []Resource{res(GCPSQLInstance, "db", sqlSettings(M{"enabled": true}))},
			want: "pointInTimeRecoveryEnabled is not true"},
		{name: "cloud sql 3 backups", rs: []Resource{res(GCPSQLInstance, "db", sqlSettings(M{"enabled": true, "pointInTimeRecoveryEnabled": true,
			"backupRetentionSettings": M{"retainedBackups": 3}}))}, want: "keeps 3 daily backups"},
		// Object stores.
		{name: "s3 versioning enabled", rs: []Resource{res(AWSS3VersioningV2, "v", M{"bucket": "b", "versioningConfiguration": M{"status": "Enabled"}})}},
		{name: "s3 versioning suspended", rs: []Resource{res(AWSS3VersioningV2, "v", M{"bucket": "b", "versioningConfiguration": M{"status": "Suspended"}})},
			want: `versioning status is "Suspended"`},
		{name: "blob soft delete 7 days", rs: []Resource{res(AzureBlobServiceProperties, "bsp", M{"deleteRetentionPolicy": M{"enabled": true, "days": 7}})}},
		{name: "blob versioning", rs: []Resource{res(AzureBlobServiceProperties, "bsp", M{"isVersioningEnabled": true})}},
		{name: "blob no soft delete", rs: []Resource{res(AzureBlobServiceProperties, "bsp", M{})}, want: "soft delete (deleteRetentionPolicy) and versioning are both off"},
		{name: "blob soft delete 2 days", rs: []Resource{res(AzureBlobServiceProperties, "bsp", M{"deleteRetentionPolicy": M{"enabled": true, "days": 2}})},
			want: "blob soft delete keeps 2 days"},
		{name: "gcs versioning", rs: []Resource{res(GCPStorageBucket, "b", M{"versioning": M{"enabled": true}})}},
		{name: "gcs soft delete 7 days", rs: []Resource{res(GCPStorageBucket, "b", M{"softDeletePolicy": M{"retentionDurationSeconds": 7 * 86400}})}},
		{name: "gcs nothing", rs: []Resource{res(GCPStorageBucket, "b", M{})}, want: "neither versioning.enabled nor an explicit softDeletePolicy"},
		{name: "gcs soft delete 1 day", rs: []Resource{res(GCPStorageBucket, "b", M{"softDeletePolicy": M{"retentionDurationSeconds": 86400}})},
			want: "below the stack's floor of 7 days"},
		// CloudNativePG.
		{name: "cnpg barman", rs: []Resource{cnpg(M{"backup": barman})}},
		{name: "cnpg wal plugin", rs: []Resource{cnpg(M{"plugins": A{M{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true}}})}},
		{name: "cnpg no wal archiving", rs: []Resource{cnpg(M{"instances": 3})}, want: "does not archive WAL"},
		{name: "cnpg short retention", rs: []Resource{cnpg(M{"backup": M{"barmanObjectStore": M{"destinationPath": "s3://b"}, "retentionPolicy": "3d"}})},
			want: `retentionPolicy "3d" keeps less than the stack's floor of 7 days`},
		{name: "cnpg archive_timeout 5min", rs: []Resource{cnpg(M{"backup": barman, "postgresql": M{"parameters": M{"archive_timeout": "5min"}}})}},
		{name: "cnpg archive_timeout 1h in prod", rs: []Resource{cnpg(M{"backup": barman, "postgresql": M{"parameters": M{"archive_timeout": "1h"}}})},
			want: "archive_timeout 1h exceeds the stack's RPO of 15 minutes"},
		{name: "cnpg archive_timeout 1h in staging", env: Staging, rs: []Resource{cnpg(M{"backup": barman, "postgresql": M{"parameters": M{"archive_timeout": "1h"}}})}},
	})
}

func TestPostgresScheduledBackups(t *testing.T) {
	cluster := res(CNPGCluster, "pg", M{"metadata": M{"name": "metadata-db", "namespace": "data"}, "spec": M{"instances": 3}})
	runPolicy(t, "postgres-scheduled-backups", []tc{
		{name: "paired by name", rs: []Resource{cluster, res(CNPGScheduledBackup, "daily", M{
			"metadata": M{"name": "daily", "namespace": "data"}, "spec": M{"schedule": "0 0 2 * * *", "cluster": M{"name": "metadata-db"}}})}},
		{name: "paired by dependency", rs: []Resource{cluster, with(res(CNPGScheduledBackup, "daily", M{
			"metadata": M{"namespace": "data"}, "spec": M{"cluster": M{"name": unknown}}}), after(cluster.URN))}},
		{name: "backup for another namespace", rs: []Resource{cluster, res(CNPGScheduledBackup, "daily", M{
			"metadata": M{"name": "daily", "namespace": "other"}, "spec": M{"cluster": M{"name": "metadata-db"}}})},
			want: "cluster data/metadata-db has no ScheduledBackup"},
		{name: "no backup", rs: []Resource{cluster}, want: "CloudNativePG cluster data/metadata-db has no ScheduledBackup"},
	})
}
