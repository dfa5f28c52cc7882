package amp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RunbookDoc is the runbook of the CloudWatch alarms, relative to the repository.
const RunbookDoc = "docs/runbook-alerts-aws.md"

// Database is the RDS for PostgreSQL instance the alarms watch (AWS/RDS metrics, dimension
// DBInstanceIdentifier: RDS user guide rds-metrics.md) and whose events go to the topic (rds.go).
type Database struct {
	// Identifier is the DB instance identifier.
	Identifier string
	// InstanceClass is the instance's class ("db.m7g.large"); its memory gives max_connections.
	InstanceClass string
	// AllocatedStorageGiB is the instance's allocated storage; MaxAllocatedStorageGiB its storage
	// autoscaling ceiling (0: no autoscaling). The free-storage alarm follows both (rds.go).
	AllocatedStorageGiB    int
	MaxAllocatedStorageGiB int
	// Ready are what stands for the instance's existence (it, or what waits for it): the event
	// subscription and the alarms wait for them — RDS refuses to subscribe to an unknown source, and
	// the free-storage alarm counts missing data as breaching.
	Ready []pulumi.Resource
	// PerformanceInsights says whether the instance has Performance Insights on
	// (metadataDB.performanceInsights): the dashboard's transaction-rate and cache-hit widgets query
	// its counters (perfinsights.go); without it they are a text widget saying so.
	PerformanceInsights bool
	// ResourceID is the instance's DbiResourceId ("db-…"; pulumi-aws@v6.83.4 rds.Instance
	// resourceId), the identifier Performance Insights knows it by. Required with
	// PerformanceInsights.
	ResourceID pulumi.StringInput
}

// Bucket is an S3 bucket whose request metrics are turned on and watched.
type Bucket struct {
	// Role names the bucket in alarm names ("lake", "warehouse"); a DNS label.
	Role string
	// Name is the bucket's name.
	Name pulumi.StringInput
}

// requestMetricsFilter is the request-metrics configuration every bucket gets: the whole bucket. S3
// publishes request metrics only for such a configuration, with its name as the FilterId dimension
// (S3 user guide metrics-dimensions.md "Amazon S3 request metrics", configure-request-metrics-
// bucket.md; pulumi-aws@v6.83.4 sdk/go/aws/s3/bucketMetric.go: a metric without filter covers the
// entire bucket).
const requestMetricsFilter = "EntireBucket"

var roleRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$`)

func (a *Args) validateCloudWatch() error {
	if d := a.Database; d != nil {
		// RDS user guide CHAP_Limits.md: identifiers are 1–63 letters, digits or hyphens, starting
		// with a letter.
		if !regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,62}$`).MatchString(d.Identifier) {
			return fmt.Errorf("amp: Database.Identifier = %q: an RDS DB instance identifier", d.Identifier)
		}
		if d.AllocatedStorageGiB < 20 {
			return fmt.Errorf("amp: Database.AllocatedStorageGiB = %d: the instance's allocated storage (RDS allows 20 GiB and more)", d.AllocatedStorageGiB)
		}
		if d.MaxAllocatedStorageGiB != 0 && d.MaxAllocatedStorageGiB <= d.AllocatedStorageGiB {
			return fmt.Errorf("amp: Database.MaxAllocatedStorageGiB = %d: 0 (no storage autoscaling) or above AllocatedStorageGiB (%d)", d.MaxAllocatedStorageGiB, d.AllocatedStorageGiB)
		}
		if !instanceClassRE.MatchString(d.InstanceClass) {
			return fmt.Errorf("amp: Database.InstanceClass = %q: an RDS instance class such as \"db.m7g.large\" (its memory sizes max_connections)", d.InstanceClass)
		}
		if d.PerformanceInsights && d.ResourceID == nil {
			return fmt.Errorf("amp: Database.ResourceID is required with PerformanceInsights (the instance's DbiResourceId, which Performance Insights' counters are queried by)")
		}
	}
	seen := map[string]bool{}
	for i, b := range a.Buckets {
		if !roleRE.MatchString(b.Role) || seen[b.Role] || b.Name == nil {
			return fmt.Errorf("amp: Buckets[%d] = %q: a unique DNS-label role and the bucket's name", i, b.Role)
		}
		seen[b.Role] = true
	}
	return nil
}

// alarm is one CloudWatch alarm of the platform.
type alarm struct {
	suffix, runbook, summary string
	args                     cloudwatch.MetricAlarmArgs
	// after are what the alarm waits for besides the topic policy and the buckets' metrics.
	after []pulumi.Resource
}

// runbookURL is the alarm's runbook link, absolute when base is set.
func runbookURL(base, anchor string) string {
	u := RunbookDoc + "#" + anchor
	if base != "" {
		u = strings.TrimSuffix(base, "/") + "/" + u
	}
	return u
}

// alarms are the managed services' alarms: the database's (rdsAlarms, with maxConnections its
// max_connections) and the buckets'. S3: user guide metrics-dimensions.md (AWS/S3 5xxErrors count,
// BucketName and FilterId).
func alarms(a *Args, maxConnections int) []alarm {
	var out []alarm
	if d := a.Database; d != nil {
		out = append(out, rdsAlarms(d, maxConnections)...)
		b := backupAlarm(a)
		b.after = d.Ready
		out = append(out, b)
	}
	for _, b := range a.Buckets {
		out = append(out, alarm{suffix: "s3-" + b.Role + "-5xx", runbook: "s3-server-errors",
			summary: "S3 answers requests to the " + b.Role + " bucket with server errors (5 or more per 5 minutes, 15 minutes long)",
			args: cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String("AWS/S3"), MetricName: pulumi.String("5xxErrors"),
				Dimensions: pulumi.StringMap{"BucketName": b.Name, "FilterId": pulumi.String(requestMetricsFilter)},
				Statistic:  pulumi.String("Sum"), Period: pulumi.Int(300), EvaluationPeriods: pulumi.Int(3), DatapointsToAlarm: pulumi.Int(3),
				ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"), Threshold: pulumi.Float64(5),
				TreatMissingData: pulumi.String("notBreaching"), // S3 publishes request metrics only for periods with requests
			}})
	}
	return out
}

// newCloudWatch turns on the buckets' request metrics and creates the alarms (alarm and OK actions on
// the topic) and the dashboard. It returns the alarms' names and the dashboard's.
func newCloudWatch(ctx *pulumi.Context, name string, a *Args, w where, topicARN pulumi.StringOutput, keyARN pulumi.StringInput, tags func(string) pulumi.StringMap, parent pulumi.ResourceOrInvokeOption, after []pulumi.Resource) ([]string, string, error) {
	var metricDeps []pulumi.Resource
	for _, b := range a.Buckets {
		m, err := s3.NewBucketMetric(ctx, name+"-s3-"+b.Role+"-requests", &s3.BucketMetricArgs{
			Bucket: b.Name, Name: pulumi.String(requestMetricsFilter),
		}, parent)
		if err != nil {
			return nil, "", err
		}
		metricDeps = append(metricDeps, m)
	}
	maxConnections := 0
	var backupRule pulumi.Resource
	if d := a.Database; d != nil {
		var err error
		if maxConnections, err = postgresMaxConnections(ctx, d.InstanceClass, parent); err != nil {
			// An RDS class without an EC2 twin of the same name (or not offered in the region): the
			// stack still deploys, without the connection alarm, and says so.
			_ = ctx.Log.Warn(fmt.Sprintf("%v: no connection-saturation alarm for %s", err, d.Identifier), nil)
			maxConnections = 0
		}
		if err := newRDSEvents(ctx, name, a, topicARN, tags, parent, append(append([]pulumi.Resource{}, a.Database.Ready...), after...)); err != nil {
			return nil, "", err
		}
		if backupRule, err = newBackupRule(ctx, name, a, w, keyARN, tags, parent, a.Database.Ready); err != nil {
			return nil, "", err
		}
	}
	var names []string
	for _, al := range alarms(a, maxConnections) {
		n := a.Name + "-" + al.suffix
		args := al.args
		args.Name = pulumi.String(n)
		args.AlarmDescription = pulumi.String(al.summary + ". Runbook: " + runbookURL(a.RunbookBase, al.runbook))
		args.AlarmActions = pulumi.Array{topicARN}
		args.OkActions = pulumi.Array{topicARN}
		args.Tags = tags(name + "-" + al.suffix)
		deps := append(append(append([]pulumi.Resource{}, after...), metricDeps...), al.after...)
		if al.runbook == BackupRunbook {
			deps = append(deps, backupRule)
		}
		if _, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+al.suffix, &args, parent, pulumi.DependsOn(deps)); err != nil {
			return nil, "", err
		}
		names = append(names, n)
	}

	// Dashboards are per account, not per region (CloudWatch API PutDashboard): the region keeps two
	// regions' stacks of one project apart.
	dashboard := a.Name + "-" + a.Region + "-data-services"
	bucketNames := pulumi.StringArray{}
	for _, b := range a.Buckets {
		bucketNames = append(bucketNames, b.Name)
	}
	var resourceID pulumi.StringInput = pulumi.String("")
	if d := a.Database; d != nil && d.PerformanceInsights {
		resourceID = d.ResourceID
	}
	body := pulumi.All(bucketNames, resourceID).ApplyT(func(v []any) (string, error) {
		return DashboardBody(w.region, a.Database, v[1].(string), maxConnections, a.Buckets, v[0].([]string))
	}).(pulumi.StringOutput)
	if _, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(dashboard), DashboardBody: body,
	}, parent); err != nil {
		return nil, "", err
	}
	return names, dashboard, nil
}

// DashboardBody is the CloudWatch dashboard of the managed services' key metrics (CloudWatch API
// reference CloudWatch-Dashboard-Body-Structure.md: widgets of type "metric" with x, y, width,
// height and properties.metrics arrays [namespace, metric, dimension, value, …], region, stat,
// period, title; widths on a 24-column grid). names are the buckets' names in Buckets' order;
// resourceID is the database's DbiResourceId ("" without Performance Insights).
func DashboardBody(region string, db *Database, resourceID string, maxConnections int, buckets []Bucket, names []string) (string, error) {
	type widget = map[string]any
	var widgets []widget
	add := func(title, stat string, metrics ...[]any) {
		i := len(widgets)
		widgets = append(widgets, widget{
			"type": "metric", "x": (i % 2) * 12, "y": (i / 2) * 6, "width": 12, "height": 6,
			"properties": widget{"title": title, "region": region, "stat": stat, "period": 300, "view": "timeSeries", "metrics": metrics},
		})
	}
	if db != nil {
		m := func(metric string) []any { return []any{"AWS/RDS", metric, "DBInstanceIdentifier", db.Identifier} }
		add("PostgreSQL CPU (%)", "Average", m("CPUUtilization"))
		title := "PostgreSQL connections"
		if maxConnections > 0 {
			title = fmt.Sprintf("PostgreSQL connections (max_connections about %d)", maxConnections)
		}
		add(title, "Maximum", m("DatabaseConnections"))
		add("PostgreSQL free storage (bytes)", "Minimum", m("FreeStorageSpace"))
		add("PostgreSQL read / write latency (s)", "Average", m("ReadLatency"), m("WriteLatency"))
		add("PostgreSQL WAL on the instance (bytes) and WAL written (bytes/s)", "Maximum", m("TransactionLogsDiskUsage"), m("TransactionLogsGeneration"))
		for _, p := range performanceInsightsWidgets(db, resourceID) {
			if p.markdown != "" {
				i := len(widgets)
				widgets = append(widgets, widget{"type": "text", "x": (i % 2) * 12, "y": (i / 2) * 6, "width": 12, "height": 6,
					"properties": widget{"markdown": p.markdown}})
				continue
			}
			add(p.title, "Average", p.metrics...)
		}
	}
	if len(buckets) != len(names) {
		return "", fmt.Errorf("amp: %d buckets but %d names", len(buckets), len(names))
	}
	for i, b := range buckets {
		r := func(metric string) []any {
			return []any{"AWS/S3", metric, "BucketName", names[i], "FilterId", requestMetricsFilter}
		}
		add("S3 "+b.Role+": requests and errors", "Sum", r("AllRequests"), r("4xxErrors"), r("5xxErrors"))
		add("S3 "+b.Role+": bytes down / up", "Sum", r("BytesDownloaded"), r("BytesUploaded"))
	}
	if len(widgets) == 0 {
		widgets = append(widgets, widget{"type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
			"properties": widget{"markdown": "No managed data services on this stack."}})
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}
