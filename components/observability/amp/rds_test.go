package amp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	awsrds "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func alarmsByName(m *mockcloud.Mocks) map[string]*mockcloud.Resource {
	out := map[string]*mockcloud.Resource{}
	for _, r := range m.ByType(alType) {
		out[strings.TrimPrefix(inspect.Str(r.Inputs, "name"), "dataplatform-prod-")] = r
	}
	return out
}

// TestRDSConnectionSaturation (issue 12): the connection alarm fires above 80 % of the default
// max_connections of the instance's class, LEAST(memory/9531392, 5000) with the memory EC2 reports
// for the class (db.m7g.xlarge: 16 GiB → 1802 → 1441.6), and says so in its description.
func TestRDSConnectionSaturation(t *testing.T) {
	assert.Equal(t, 450, PostgresMaxConnections(4096))
	assert.Equal(t, 1802, PostgresMaxConnections(16384))
	assert.Equal(t, 5000, PostgresMaxConnections(512*1024), "capped at 5000")
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, args())
		inspect.RequireRan(t, preview, err)
		c := alarmsByName(m)["rds-connections-high"]
		require.NotNil(t, c)
		assert.Equal(t, "DatabaseConnections", inspect.Str(c.Inputs, "metricName"))
		assert.Equal(t, "Maximum", inspect.Str(c.Inputs, "statistic"))
		assert.Equal(t, "GreaterThanThreshold", inspect.Str(c.Inputs, "comparisonOperator"))
		assert.InDelta(t, 1441.6, inspect.Num(c.Inputs, "threshold"), 0.01)
		assert.Contains(t, inspect.Str(c.Inputs, "alarmDescription"), "nominal memory of db.m7g.xlarge (1802;")
		assert.Contains(t, inspect.Str(c.Inputs, "alarmDescription"), "runbook-alerts-aws.md#rds-connections-high")
	})
}

// TestRDSFreeStorageFollowsAutoscaling: without storage autoscaling the alarm fires at 10 % of the
// allocation after 10 minutes; with it, at 5 % of the initial allocation after 30 minutes (below
// what autoscaling reacts to, so it means autoscaling could not act), and the description says so.
func TestRDSFreeStorageFollowsAutoscaling(t *testing.T) {
	for _, tc := range []struct {
		max          int
		gib, periods float64
		says         string
	}{
		{0, 10, 2, "10 % of its 100 GiB"},
		{1000, 5, 6, "storage autoscaling (up to 1000 GiB)"},
	} {
		a := args()
		a.Database.MaxAllocatedStorageGiB = tc.max
		m, err := run(t, false, a)
		require.NoError(t, err)
		f := alarmsByName(m)["rds-free-storage-low"]
		require.NotNil(t, f)
		assert.Equal(t, tc.gib*(1<<30), inspect.Num(f.Inputs, "threshold"), "max %d", tc.max)
		assert.Equal(t, tc.periods, inspect.Num(f.Inputs, "evaluationPeriods"), "max %d", tc.max)
		assert.Equal(t, "breaching", inspect.Str(f.Inputs, "treatMissingData"))
		assert.Contains(t, inspect.Str(f.Inputs, "alarmDescription"), tc.says)
	}
}

// TestRDSWALAndEvents: WAL held on the instance beyond 10 % of its storage (at least 4 GiB) is an
// alarm; the instance's failure events reach the alert topic through an event
// subscription created after the data services and the topic policy, which lets RDS publish this
// instance's events only, and the topic's key lets RDS's event service encrypt them.
func TestRDSWALAndEvents(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, args())
		inspect.RequireRan(t, preview, err)
		wal := alarmsByName(m)["rds-transaction-logs-high"]
		require.NotNil(t, wal)
		assert.Equal(t, "TransactionLogsDiskUsage", inspect.Str(wal.Inputs, "metricName"))
		assert.Equal(t, float64(10<<30), inspect.Num(wal.Inputs, "threshold"))
		assert.Equal(t, "dataplatform-prod-metadata", inspect.Str(wal.Inputs, "dimensions", "DBInstanceIdentifier"))

		sub := inspect.MustNamed(t, m, "aws:rds/eventSubscription:EventSubscription", "observability-rds-events")
		assert.Equal(t, "dataplatform-prod-metadata-events", inspect.Str(sub.Inputs, "name"))
		assert.Equal(t, "db-instance", inspect.Str(sub.Inputs, "sourceType"))
		assert.Equal(t, []string{"dataplatform-prod-metadata"}, inspect.Strs(sub.Inputs, "sourceIds"))
		assert.Equal(t, []string{"failure"}, inspect.Strs(sub.Inputs, "eventCategories"), "autoscaling on: no low-storage events at every growth step; never the daily backup start/end")
		pol := inspect.MustNamed(t, m, "aws:sns/topicPolicy:TopicPolicy", "observability-alerts-policy")
		assert.True(t, m.DependsOn(sub, pol), "RDS may publish before the subscription exists")
		assert.True(t, m.DependsOn(sub, inspect.MustNamed(t, m, "aws:sns/topic:Topic", "observability-alerts")))
		assert.Contains(t, inspect.Str(inspect.MustNamed(t, m, "aws:kms/key:Key", "observability-kms").Inputs, "policy"), `"events.rds.amazonaws.com"`)
		if preview {
			return
		}
		var doc struct {
			Statement []struct {
				Principal map[string]any
				Action    []string
				Condition map[string]map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(pol.Inputs, "policy")), &doc))
		last := doc.Statement[len(doc.Statement)-1]
		assert.Equal(t, "events.rds.amazonaws.com", last.Principal["Service"])
		assert.Equal(t, []string{"sns:Publish"}, last.Action)
		assert.Equal(t, "arn:aws:rds:eu-north-1:"+mockcloud.AWSAccountID+":db:dataplatform-prod-metadata", last.Condition["ArnLike"]["aws:SourceArn"])
	})
}

// TestRDSWithoutDatabase: no database, no RDS alarms, events or publishing right.
func TestRDSWithoutDatabase(t *testing.T) {
	a := args()
	a.Database = nil
	m, err := run(t, false, a)
	require.NoError(t, err)
	assert.Empty(t, m.ByType("aws:rds/eventSubscription:EventSubscription"))
	for n := range alarmsByName(m) {
		assert.False(t, strings.HasPrefix(n, "rds-"), n)
	}
	assert.NotContains(t, inspect.Str(inspect.MustNamed(t, m, "aws:sns/topicPolicy:TopicPolicy", "observability-alerts-policy").Inputs, "policy"), "events.rds")
}

// TestRDSBadInput: a class that is not an RDS class, or an autoscaling ceiling not above the
// allocation, is refused before anything is registered.
func TestRDSBadInput(t *testing.T) {
	for name, edit := range map[string]func(a *Args){
		"class": func(a *Args) { a.Database.InstanceClass = "m7g.large" },
		"max":   func(a *Args) { a.Database.MaxAllocatedStorageGiB = 100 },
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			edit(a)
			m, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Database.")
			assert.Empty(t, m.ByType(alType))
		})
	}
}

// TestAlarmRunbooksExist: every alarm's runbook anchor, and the RDS events' section, is a section of
// docs/runbook-alerts-aws.md.
func TestAlarmRunbooksExist(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", RunbookDoc))
	require.NoError(t, err)
	anchors := []string{RDSEventsRunbook, "acm-certificate-expiring"}
	for _, al := range alarms(args(), 1000) {
		anchors = append(anchors, al.runbook)
	}
	require.Greater(t, len(anchors), 5)
	for _, a := range anchors {
		assert.Contains(t, string(doc), `<a id="`+a+`"></a>`, "runbook section %s", a)
	}
}

// TestRDSWaitsForTheInstance: the event subscription and the database's alarms wait for
// Database.Ready (RDS refuses an unknown source; the free-storage alarm would count the instance's
// creation as breaching); the buckets' alarms do not.
func TestRDSWaitsForTheInstance(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
			if err != nil {
				return err
			}
			k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
			if err != nil {
				return err
			}
			db, err := awsrds.NewInstance(ctx, "metadata-instance", &awsrds.InstanceArgs{InstanceClass: pulumi.String("db.m7g.xlarge")}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			a := args()
			a.KubernetesProvider = k
			a.Database.Ready = []pulumi.Resource{db}
			_, err = New(ctx, "observability", a, pulumi.Provider(p))
			return err
		}, nil)
		inspect.RequireRan(t, preview, err)
		db := inspect.MustNamed(t, m, "aws:rds/instance:Instance", "metadata-instance")
		assert.True(t, m.DependsOn(inspect.MustNamed(t, m, "aws:rds/eventSubscription:EventSubscription", "observability-rds-events"), db))
		assert.True(t, m.DependsOn(inspect.MustNamed(t, m, "aws:cloudwatch/eventRule:EventRule", "observability-backup-finished"), db), "the backup rule waits for the instance")
		for n, al := range alarmsByName(m) {
			assert.Equal(t, strings.HasPrefix(n, "rds-"), m.DependsOn(al, db), "alarm %s waits for the instance only if it watches it", n)
		}
	})
}

// TestRDSEventCategories: without storage autoscaling the low-storage events are the storage signal
// relative to the current allocation; with it they would ring at every growth step. The daily
// backup start/end ("backup") never reaches the pager. The WAL threshold has a 4 GiB floor.
func TestRDSEventCategories(t *testing.T) {
	assert.Equal(t, []string{"failure", "low storage"}, RDSEventCategories(&Database{AllocatedStorageGiB: 100}))
	assert.Equal(t, []string{"failure"}, RDSEventCategories(&Database{AllocatedStorageGiB: 100, MaxAllocatedStorageGiB: 200}))
	a := args()
	a.Database.MaxAllocatedStorageGiB = 0
	a.Database.AllocatedStorageGiB = 20
	m, err := run(t, false, a)
	require.NoError(t, err)
	sub := inspect.MustNamed(t, m, "aws:rds/eventSubscription:EventSubscription", "observability-rds-events")
	assert.Equal(t, []string{"failure", "low storage"}, inspect.Strs(sub.Inputs, "eventCategories"))
	assert.Equal(t, float64(4<<30), inspect.Num(alarmsByName(m)["rds-transaction-logs-high"].Inputs, "threshold"), "20 GiB: the 4 GiB floor")
}

// TestRDSClassWithoutEC2Twin: a class whose memory EC2 does not report (no EC2 type of that name, or
// not offered in the region) deploys without the connection alarm, with a warning, instead of
// failing the stack on an alarm threshold.
func TestRDSClassWithoutEC2Twin(t *testing.T) {
	a := args()
	a.Database.InstanceClass = "db.x2g.16xlarge"
	m, err := run(t, false, a)
	require.NoError(t, err)
	byName := alarmsByName(m)
	assert.NotContains(t, byName, "rds-connections-high")
	assert.Contains(t, byName, "rds-free-storage-low")
	assert.Contains(t, byName, "rds-transaction-logs-high")
}
