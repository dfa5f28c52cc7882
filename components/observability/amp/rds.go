package amp

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The RDS side of the model's alert classes on AWS. What RDS for PostgreSQL offers, and what it does
// not (RDS user guide rds-metrics.md, USER_Events.Messages.md):
//   - connection saturation: DatabaseConnections against max_connections, which the platform's
//     parameter group leaves at the engine default, LEAST({DBInstanceClassMemory/9531392}, 5000)
//     (RDS user guide CHAP_Limits.md "Maximum number of database connections");
//   - replication lag: none to watch. The platform runs no read replica (ReplicaLag is a read
//     replica's metric); a Multi-AZ DB instance's standby is synchronous and not readable and has no
//     lag metric;
//   - backups and WAL archiving: RDS takes the daily snapshot and archives WAL to its own backup
//     storage every five minutes (user guide USER_PIT.md); neither the archive's age nor
//     LatestRestorableTime is a CloudWatch metric, and no event says "no backup today". What is real:
//     the "failure" events of the instance (an event subscription to the alert topic, newRDSEvents)
//     and the WAL held on the instance's own volume, TransactionLogsDiskUsage, which grows when WAL
//     is not recycled (archiving stuck, or a replication slot holding it). A missing or failed daily
//     backup is the alarm on the EventBridge rule that counts finished backups (backup.go);
//   - storage: FreeStorageSpace, and the "low storage" events (relative to the current allocation).

// instanceClassRE is an RDS instance class ("db.m7g.large", "db.t4g.medium").
var instanceClassRE = regexp.MustCompile(`^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$`)

const (
	// bytesPerConnection is RDS for PostgreSQL's max_connections divisor (CHAP_Limits.md:
	// LEAST({DBInstanceClassMemory/9531392}, 5000)).
	bytesPerConnection = 9531392
	maxConnectionsCap  = 5000
	// ConnectionsAlarmRatio is the share of max_connections the connection alarm fires above.
	ConnectionsAlarmRatio = 0.8
	// walAlarmShare is the share of the allocated storage the WAL held on the instance may take, and
	// walAlarmFloorGiB its floor: between checkpoints PostgreSQL keeps up to max_wal_size of WAL (1 GB
	// in PostgreSQL's own defaults; RDS's parameter group defaults may raise it, `aws rds
	// describe-engine-default-parameters`), more during a burst of writes, without anything stuck.
	walAlarmShare    = 0.1
	walAlarmFloorGiB = 4
)

// RDSEventsRunbook is the runbook section of the RDS events (an event subscription has no
// description to carry the link, and AWS tag values cannot hold the '#' of an anchor).
const RDSEventsRunbook = "rds-events"

// RDSEventCategories are the instance's event categories the alert topic (the receiver's pager)
// receives (RDS API DescribeEventCategories, source type db-instance; USER_Events.Messages.md "DB
// instance events"): failure (the instance failed or cannot start, e.g. RDS-EVENT-0031) always, and
// low storage (RDS-EVENT-0089, more than 90 % of the allocated storage used; RDS-EVENT-0007, storage
// exhausted) only without storage autoscaling — with it, RDS-EVENT-0089 fires at every growth step
// (autoscaling reacts at 10 % free), which the free-storage alarm covers instead. Not "backup": its
// events are each automated backup's start and end (RDS-EVENT-0001/0002), two messages a day that
// mean all is well, on the topic that pages.
func RDSEventCategories(d *Database) []string {
	if d.MaxAllocatedStorageGiB > 0 {
		return []string{"failure"}
	}
	return []string{"failure", "low storage"}
}

// PostgresMaxConnections is RDS for PostgreSQL's default max_connections for an instance with
// memoryMiB of memory. DBInstanceClassMemory is the class's memory less what RDS keeps for the OS
// and its own processes (user guide Appendix.PostgreSQL.CommonDBATasks.Parameters: "DBInstanceClassMemory"),
// so the real value is a few percent lower than this one, computed on the nominal memory.
func PostgresMaxConnections(memoryMiB int) int {
	return min(memoryMiB*(1<<20)/bytesPerConnection, maxConnectionsCap)
}

// postgresMaxConnections reads the class's memory from EC2 (an RDS class db.<family>.<size> has the
// memory of the EC2 instance type <family>.<size>; pulumi-aws@v6.83.4 sdk/go/aws/ec2/getInstanceType.go
// MemorySize: "Size of the instance memory, in MiB") and returns the default max_connections.
func postgresMaxConnections(ctx *pulumi.Context, class string, opt pulumi.ResourceOrInvokeOption) (int, error) {
	ec2Type := strings.TrimPrefix(class, "db.")
	it, err := ec2.GetInstanceType(ctx, &ec2.GetInstanceTypeArgs{InstanceType: ec2Type}, opt)
	if err != nil {
		return 0, fmt.Errorf("amp: Database.InstanceClass = %q: reading the memory of EC2 instance type %s (its max_connections follows it): %w", class, ec2Type, err)
	}
	if it.MemorySize <= 0 {
		return 0, fmt.Errorf("amp: Database.InstanceClass = %q: EC2 reports no memory for %s", class, ec2Type)
	}
	return PostgresMaxConnections(it.MemorySize), nil
}

// FreeStorageThresholdGiB is where the free-storage alarm fires. Without storage autoscaling: 10 %
// of the allocation. With it, RDS grows the volume by itself when less than 10 % of the current
// allocation is free for 5 minutes and 6 hours have passed since the last storage change (user guide
// USER_PIOPS.Autoscaling.md); an alarm there would ring at every growth step. It fires at 5 % of the
// initial allocation instead — at or below half of what autoscaling reacts to, whatever the volume
// has grown to — so it means autoscaling could not act: the ceiling is reached, the 6-hour wait is
// on, or the volume fills faster than it grows. The "low storage" events report the share of the
// current allocation.
func FreeStorageThresholdGiB(d *Database) float64 {
	if d.MaxAllocatedStorageGiB > 0 {
		return float64(d.AllocatedStorageGiB) * 0.05
	}
	return float64(d.AllocatedStorageGiB) * 0.1
}

// rdsAlarms are the database's alarms (AWS/RDS, dimension DBInstanceIdentifier; CPUUtilization
// percent, FreeStorageSpace and TransactionLogsDiskUsage bytes, DatabaseConnections count:
// rds-metrics.md).
func rdsAlarms(d *Database, maxConnections int) []alarm {
	dims := pulumi.StringMap{"DBInstanceIdentifier": pulumi.String(d.Identifier)}
	metric := func(name, stat string, periods int, op string, threshold float64, missing string) cloudwatch.MetricAlarmArgs {
		return cloudwatch.MetricAlarmArgs{
			Namespace: pulumi.String("AWS/RDS"), MetricName: pulumi.String(name), Dimensions: dims,
			Statistic: pulumi.String(stat), Period: pulumi.Int(300), EvaluationPeriods: pulumi.Int(periods), DatapointsToAlarm: pulumi.Int(periods),
			ComparisonOperator: pulumi.String(op), Threshold: pulumi.Float64(threshold), TreatMissingData: pulumi.String(missing),
		}
	}
	gib := float64(1 << 30)
	free := FreeStorageThresholdGiB(d)
	freeSummary := fmt.Sprintf("the metadata database has less than %.0f GiB free (10 %% of its %d GiB)", free, d.AllocatedStorageGiB)
	freePeriods := 2
	if d.MaxAllocatedStorageGiB > 0 {
		freeSummary = fmt.Sprintf("the metadata database has had less than %.0f GiB free for 30 minutes although storage autoscaling (up to %d GiB) should have grown it", free, d.MaxAllocatedStorageGiB)
		freePeriods = 6
	}
	connections := float64(maxConnections) * ConnectionsAlarmRatio
	wal := max(float64(d.AllocatedStorageGiB)*walAlarmShare, walAlarmFloorGiB)
	out := []alarm{
		{suffix: "rds-cpu-high", runbook: "rds-cpu-high", summary: "the metadata database's CPU has been above 80 % for 15 minutes",
			args: metric("CPUUtilization", "Average", 3, "GreaterThanThreshold", 80, "missing")},
		// no storage figure from a running instance is itself a problem
		{suffix: "rds-free-storage-low", runbook: "rds-free-storage-low", summary: freeSummary,
			args: metric("FreeStorageSpace", "Minimum", freePeriods, "LessThanThreshold", free*gib, "breaching")},
		{suffix: "rds-connections-high", runbook: "rds-connections-high",
			summary: fmt.Sprintf("the metadata database has had more than %.0f connections for 15 minutes: 80 %% of the default max_connections computed on the nominal memory of %s (%d; the real limit is a few percent lower, SHOW max_connections)", connections, d.InstanceClass, maxConnections),
			args:    metric("DatabaseConnections", "Maximum", 3, "GreaterThanThreshold", connections, "missing")},
		{suffix: "rds-transaction-logs-high", runbook: "rds-transaction-logs-high",
			summary: fmt.Sprintf("WAL held on the metadata database's volume has exceeded %.0f GiB (10 %% of its allocated storage, at least 4 GiB) for 15 minutes: archiving or a replication slot is holding it", wal),
			args:    metric("TransactionLogsDiskUsage", "Maximum", 3, "GreaterThanThreshold", wal*gib, "missing")},
	}
	kept := out[:0]
	for _, al := range out {
		if al.suffix == "rds-connections-high" && maxConnections <= 0 {
			continue // the class's memory is unknown (newCloudWatch warned)
		}
		al.after = d.Ready
		kept = append(kept, al)
	}
	return kept
}

// newRDSEvents subscribes the alert topic to the instance's backup, failure and low-storage events
// (pulumi-aws@v6.83.4 sdk/go/aws/rds/eventSubscription.go: snsTopic, sourceType db-instance,
// sourceIds, eventCategories). RDS checks that the source exists, so it waits for the instance
// (Database.Ready, in after) and for the topic policy that lets RDS publish (topicPolicy).
func newRDSEvents(ctx *pulumi.Context, name string, a *Args, topicARN pulumi.StringOutput, tags func(string) pulumi.StringMap, parent pulumi.ResourceOption, after []pulumi.Resource) error {
	_, err := rds.NewEventSubscription(ctx, name+"-rds-events", &rds.EventSubscriptionArgs{
		Name:            pulumi.String(a.Name + "-metadata-events"),
		SnsTopic:        topicARN,
		SourceType:      pulumi.String("db-instance"),
		SourceIds:       pulumi.ToStringArray([]string{a.Database.Identifier}),
		EventCategories: pulumi.ToStringArray(RDSEventCategories(a.Database)),
		Enabled:         pulumi.Bool(true),
		Tags:            tags(name + "-rds-events"),
	}, parent, pulumi.DependsOn(after))
	return err
}
