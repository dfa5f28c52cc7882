package cloudsql

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/sql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newReplica creates the cross-region read replica in DRRegion. It mirrors the primary's machine,
// disk, network and TLS settings, so that once promoted it can take the primary's load; it is REGIONAL
// when the primary is, so the promoted instance keeps the zone-failure SLA at once.
//
// A read replica cannot hold automated backups or point-in-time recovery (the primary's, stored in
// DRRegion, cover it); after a promotion, enable them on the new primary (docs/runbook-gcp.md).
// pulumi-gcp@v7.38.0 sdk/go/gcp/sql/databaseInstance.go: MasterInstanceName, "The name of the existing
// instance that will act as the master in the replication setup"; Cloud SQL docs "Promote replicas
// for regional migration or disaster recovery".
func newReplica(ctx *pulumi.Context, name string, args *MetadataDBArgs, primary *sql.DatabaseInstance, privateNetwork pulumi.StringOutput, opt pulumi.ResourceOption) (*sql.DatabaseInstance, error) {
	settings := instanceSettings(args, privateNetwork)
	settings.InsightsConfig = &sql.DatabaseInstanceSettingsInsightsConfigArgs{QueryInsightsEnabled: pulumi.Bool(true)}
	return sql.NewDatabaseInstance(ctx, name+"-dr-replica", &sql.DatabaseInstanceArgs{
		Project:            pulumi.String(args.Project),
		Region:             pulumi.String(args.DRRegion),
		Name:               pulumi.String(args.InstanceName + "-dr"),
		DatabaseVersion:    pulumi.String("POSTGRES_" + args.Version),
		MasterInstanceName: primary.Name, // also orders the replica after the primary
		DeletionProtection: pulumi.Bool(args.DeletionProtection),
		Settings:           settings,
	}, opt, pulumi.IgnoreChanges([]string{DiskSizeProperty})) // autoresize owns the size after creation
}
